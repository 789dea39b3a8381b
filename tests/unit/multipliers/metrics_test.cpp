#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "multipliers/multiplier.h"

namespace axnn::mult {
namespace {

// A table that is exact except on the row a = 1, where M(1, w) = w + 2 (error +2 on 256 pairs).
TEST(Metrics, KnownTableEqualsHandComputedValues) {
  std::vector<int32_t> lut = table_from([](int a, int w) { return a == 1 ? w + 2 : a * w; });
  ErrorMetrics m = compute_metrics(lut);
  EXPECT_DOUBLE_EQ(m.mae, 2.0 * 256 / 65536);
  EXPECT_DOUBLE_EQ(m.wce, 2.0);
  EXPECT_DOUBLE_EQ(m.ep, 100.0 * 256 / 65536);
  EXPECT_DOUBLE_EQ(m.mse, 4.0 * 256 / 65536);
  EXPECT_DOUBLE_EQ(m.error_mean, 2.0 * 256 / 65536);
  double mean = 2.0 * 256 / 65536;
  EXPECT_NEAR(m.error_std, std::sqrt(4.0 * 256 / 65536 - mean * mean), 1e-12);
  // MRE: over the 255 * 255 pairs with a*w != 0; the a = 1 row contributes 2/|w| for w != 0.
  double rel = 0;
  for (int w = -128; w < 128; ++w)
    if (w != 0) rel += 2.0 / std::abs(w);
  EXPECT_NEAR(m.mre, 100.0 * rel / (255.0 * 255.0), 1e-12);
}

TEST(Metrics, UnsignedDomainAndSignMagnitude) {
  std::vector<int32_t> u(kTableSize);
  for (int x = 0; x < 256; ++x)
    for (int y = 0; y < 256; ++y) u[x * 256 + y] = (x * y) & ~1;  // clear the LSB
  ErrorMetrics m = compute_metrics_unsigned(u);
  EXPECT_DOUBLE_EQ(m.wce, 1.0);
  EXPECT_DOUBLE_EQ(m.error_mean, -0.25);  // odd products: x and y both odd, 1 in 4 pairs
  std::vector<int32_t> s = sign_magnitude(u);
  EXPECT_EQ(s[(-3 + 128) * 256 + (5 + 128)], -14);
  EXPECT_EQ(s[(-3 + 128) * 256 + (-5 + 128)], 14);
  EXPECT_EQ(s[(-128 + 128) * 256 + (127 + 128)], -((128 * 127) & ~1));
}

TEST(Metrics, WrongTableSizeIsInputError) {
  EXPECT_THROW(compute_metrics(std::vector<int32_t>(100)), InputError);
}

TEST(Library, RequiresExactAndValidPowers) {
  Library lib;
  lib.name = "t";
  Multiplier a;
  a.name = "a";
  a.lut = table_from([](int x, int y) { return x * y + 1; });
  a.power = 0.5;
  lib.multipliers.push_back(a);
  EXPECT_THROW(lib.validate("t"), InputError);  // no exact
  Multiplier e;
  e.name = "exact";
  e.lut = exact_table();
  e.power = 2.0;
  lib.multipliers.push_back(e);
  lib.validate("t");
  EXPECT_DOUBLE_EQ(lib.relative_power(a), 0.25);
  lib.multipliers[0].power = std::nan("");
  EXPECT_THROW(lib.validate("t"), InputError);
}

}  // namespace
}  // namespace axnn::mult
