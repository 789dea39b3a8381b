#include "kernels/separable.h"

#include <algorithm>
#include <cstdlib>
#include <numeric>

#include <tbb/parallel_for.h>

namespace axnn::kernels {

int64_t SeparableMaps::max_abs_product() const {
  auto max_abs = [](const std::array<int32_t, 256>& v) {
    int64_t m = 0;
    for (int32_t x : v) m = std::max<int64_t>(m, std::llabs(x));
    return m;
  };
  return max_abs(fa) * max_abs(fw);
}

std::optional<SeparableMaps> find_separable(const int32_t* lut) {
  SeparableMaps s;
  // fw: the first row with a non-zero entry, divided by the gcd of its entries.
  int pivot_row = -1;
  for (int a = 0; a < 256 && pivot_row < 0; ++a)
    for (int w = 0; w < 256; ++w)
      if (lut[a * 256 + w] != 0) {
        pivot_row = a;
        break;
      }
  if (pivot_row < 0) return s;  // all zero
  int64_t g = 0;
  int first = -1;
  for (int w = 0; w < 256; ++w) {
    const int64_t v = lut[pivot_row * 256 + w];
    g = std::gcd(g, std::llabs(v));
    if (first < 0 && v != 0) first = w;
  }
  const int64_t sign = lut[pivot_row * 256 + first] < 0 ? -1 : 1;
  for (int w = 0; w < 256; ++w) s.fw[w] = static_cast<int32_t>(sign * lut[pivot_row * 256 + w] / g);
  // fa[a] from the first column where fw is non-zero; then every entry must equal the product.
  for (int a = 0; a < 256; ++a) {
    const int64_t v = lut[a * 256 + first];
    if (v % s.fw[first] != 0) return std::nullopt;
    s.fa[a] = static_cast<int32_t>(v / s.fw[first]);
    for (int w = 0; w < 256; ++w)
      if (int64_t{lut[a * 256 + w]} != int64_t{s.fa[a]} * s.fw[w]) return std::nullopt;
  }
  return s;
}

namespace {

template <typename T>
void map_into(const int8_t* v, int64_t n, const std::array<int32_t, 256>& map, T* out) {
  std::array<T, 256> table;
  for (size_t i = 0; i < 256; ++i) table[i] = static_cast<T>(map[i]);
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, n, 1 << 16), [&](const tbb::blocked_range<int64_t>& r) {
    for (int64_t i = r.begin(); i < r.end(); ++i) out[i] = table[static_cast<uint8_t>(v[i] ^ 0x80)];
  });
}

}  // namespace

void map_operands(const int8_t* v, int64_t n, const std::array<int32_t, 256>& map, float* out) { map_into(v, n, map, out); }
void map_operands(const int8_t* v, int64_t n, const std::array<int32_t, 256>& map, double* out) { map_into(v, n, map, out); }

}  // namespace axnn::kernels
