#include "kernels/lut_gemm.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace axnn::kernels {
namespace {

// The oracle itself must be right: with the exact table it is an integer matrix product, and with
// an asymmetric table it must use row = activation, column = weight.
TEST(LutGemmReference, ExactTableIsIntegerGemmOnFullRange) {
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> byte(-128, 127);
  const int64_t m = 7, n = 5, k = 33;
  std::vector<int8_t> a(m * k), w(n * k);
  for (auto& x : a) x = static_cast<int8_t>(byte(rng));
  for (auto& x : w) x = static_cast<int8_t>(byte(rng));
  a[0] = -128; a[1] = 127; w[0] = -128; w[1] = 127;
  std::vector<int32_t> lut(65536);
  for (int i = 0; i < 256; ++i)
    for (int j = 0; j < 256; ++j) lut[i * 256 + j] = (i - 128) * (j - 128);
  std::vector<int32_t> c(m * n, -1);
  lut_gemm_reference({m, n, k, a.data(), k, w.data(), k, lut.data(), c.data(), n});
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      int32_t want = 0;
      for (int64_t q = 0; q < k; ++q) want += int32_t{a[i * k + q]} * int32_t{w[j * k + q]};
      EXPECT_EQ(c[i * n + j], want);
    }
}

TEST(LutGemmReference, RowIsActivationColumnIsWeight) {
  std::vector<int32_t> lut(65536, 0);
  lut[(3 + 128) * 256 + (-5 + 128)] = 1000;  // M(a=3, w=-5)
  lut[(-5 + 128) * 256 + (3 + 128)] = 7;     // M(a=-5, w=3)
  int8_t a = 3, w = -5;
  int32_t c = 0;
  lut_gemm_reference({1, 1, 1, &a, 1, &w, 1, lut.data(), &c, 1});
  EXPECT_EQ(c, 1000);
}

}  // namespace
}  // namespace axnn::kernels
