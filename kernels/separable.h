// Separable tables: multipliers that are an exact product of transformed operands,
// lut[a][w] = fa(a) * fw(w) with integer maps (rank 1 after remapping the indices), e.g. operand
// truncation (a & m) * (w & m), or the exact product itself. Such a layer needs no table lookups: its
// result is an ordinary GEMM/convolution of fa(A) and fw(W), exact in floating point while every
// partial sum stays below the format's integer range. Torch-free.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

namespace axnn::kernels {

struct SeparableMaps {
  std::array<int32_t, 256> fa{}, fw{};  // indexed a + 128, w + 128
  int64_t max_abs_product() const;       // max |fa| * max |fw|
};

// The maps when lut[a][w] == fa(a) * fw(w) for every entry (fw normalised: the gcd of its entries is
// 1 and its first non-zero is positive), else nothing. An all-zero table is separable (fa = fw = 0).
std::optional<SeparableMaps> find_separable(const int32_t* lut);

// out[i] = map[v[i] + 128] (oneTBB threads): the operands of the separable path, as float or double.
void map_operands(const int8_t* v, int64_t n, const std::array<int32_t, 256>& map, float* out);
void map_operands(const int8_t* v, int64_t n, const std::array<int32_t, 256>& map, double* out);

}  // namespace axnn::kernels
