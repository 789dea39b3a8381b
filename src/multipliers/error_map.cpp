#include "multipliers/error_map.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "io/png.h"

namespace axnn::mult {
namespace {

int64_t error_at(const Multiplier& m, int ia, int iw) {
  return int64_t{m.lut[ia * 256 + iw]} - int64_t{ia - 128} * (iw - 128);
}

}  // namespace

std::string ascii_error_map(const Multiplier& m) {
  constexpr int kBlock = 8, kCells = 256 / kBlock;
  static const char kShades[] = " .:-=+*#%@";
  double cell[kCells][kCells] = {};
  double peak = 0;
  for (int r = 0; r < kCells; ++r)
    for (int c = 0; c < kCells; ++c) {
      double sum = 0;
      for (int i = 0; i < kBlock; ++i)
        for (int j = 0; j < kBlock; ++j) sum += std::fabs(static_cast<double>(error_at(m, r * kBlock + i, c * kBlock + j)));
      cell[r][c] = sum / (kBlock * kBlock);
      peak = std::max(peak, cell[r][c]);
    }
  std::string out = fmt::format("mean |error| per 8x8 operand block (' ' = 0, '@' = {:.4g}); rows a = -128..127 "
                                "(activation), columns w = -128..127 (weight)\n",
                                peak);
  out += "        w=-128" + std::string(2 * kCells - 14, ' ') + "w=127\n";
  for (int r = 0; r < kCells; ++r) {
    out += fmt::format("a={:>5} ", r * kBlock - 128);
    for (int c = 0; c < kCells; ++c) {
      int level = peak > 0 ? static_cast<int>(std::lround(9.0 * cell[r][c] / peak)) : 0;
      if (cell[r][c] > 0 && level == 0) level = 1;  // any error is visible
      out += std::string(2, kShades[level]);
    }
    out += "\n";
  }
  return out;
}

void write_error_png(const Multiplier& m, const std::string& path, int scale) {
  double peak = 0;
  for (int ia = 0; ia < 256; ++ia)
    for (int iw = 0; iw < 256; ++iw) peak = std::max(peak, std::fabs(static_cast<double>(error_at(m, ia, iw))));
  int size = 256 * scale;
  std::vector<uint8_t> rgb(static_cast<size_t>(size) * size * 3);
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      double e = static_cast<double>(error_at(m, y / scale, x / scale));
      // Square-root scale so small errors stay visible next to the worst case.
      double t = peak > 0 ? std::sqrt(std::fabs(e) / peak) : 0;
      auto fade = static_cast<uint8_t>(std::lround(255 * (1 - t)));
      uint8_t* p = &rgb[(static_cast<size_t>(y) * size + x) * 3];
      p[0] = e < 0 ? fade : 255;
      p[1] = fade;
      p[2] = e > 0 ? fade : 255;
    }
  write_png(path, size, size, rgb);
}

}  // namespace axnn::mult
