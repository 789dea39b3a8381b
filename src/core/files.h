// Small file helpers shared by the readers.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace axnn {

// The whole file as bytes. Throws InputError naming the file when it cannot be read or holds more
// than `max_bytes` (every reader gives a bound, so /dev/zero or a huge file is an error, not an
// out-of-memory).
std::string read_file(const std::string& path, size_t max_bytes);

// The executable `program` resolves to: itself when it holds a '/', else the first match on $PATH
// (an empty entry is the current folder); nothing when there is none.
std::optional<std::string> find_on_path(const std::string& program);

// `path` itself, once its folder is known to exist. Throws UsageError naming both otherwise.
const std::string& require_output_folder(const std::string& path);

// Writes `bytes` to a hidden temporary file beside `path` (core/temp_files.h: removed on failure and
// on SIGINT/SIGTERM), fsyncs it, renames it into place and fsyncs the folder, so a reader never sees
// a half-written file. Every artifact, JSON, PNG and schema file is written this way. Throws Error
// naming `path` on failure (a full disk included).
void write_file_atomic(const std::string& path, std::string_view bytes);

}  // namespace axnn
