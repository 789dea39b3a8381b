// Small file helpers shared by the readers.
#pragma once

#include <string>

namespace axnn {

// The whole file as bytes. Throws InputError naming the file when it cannot be read.
std::string read_file(const std::string& path);

}  // namespace axnn
