// Small file helpers shared by the readers.
#pragma once

#include <string>

namespace axnn {

// The whole file as bytes. Throws InputError naming the file when it cannot be read.
std::string read_file(const std::string& path);

// Writes `text` to a hidden temporary file beside `path`, then renames it into place, so a reader
// never sees a half-written file. Throws Error naming the file on failure.
void write_file_atomic(const std::string& path, const std::string& text);

}  // namespace axnn
