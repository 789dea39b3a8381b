// Pictures of a multiplier's error map e(a, w) = M(a, w) - a*w: an ASCII heat map for terminals
// and a PNG (blue: M < a*w, red: M > a*w, white: exact).
#pragma once

#include <string>

#include "multipliers/multiplier.h"

namespace axnn::mult {

// A 32x32 grid of 8x8 operand blocks, each shown by its mean |e| on a 10-step scale.
std::string ascii_error_map(const Multiplier& m);

// A 256x256 image scaled by `scale` (rows: a from -128 at the top; columns: w from -128 at the left).
void write_error_png(const Multiplier& m, const std::string& path, int scale = 2);

}  // namespace axnn::mult
