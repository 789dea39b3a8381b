// Minimal PNG writer (8-bit RGB, zlib-compressed) for plots made by the C++ programs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace axnn {

// `rgb` holds height rows of width * 3 bytes. Written atomically (temporary file, then rename).
void write_png(const std::string& path, int width, int height, const std::vector<uint8_t>& rgb);

}  // namespace axnn
