// Separable tables are found exactly: operand truncation, DRUM and the exact product are; truncated
// products, Mitchell and any single changed entry are not.
#include "kernels/separable.h"

#include <gtest/gtest.h>

#include <random>

#include "multipliers/families.h"

namespace axnn::kernels {
namespace {

void expect_product(const std::vector<int32_t>& lut, const SeparableMaps& s) {
  for (int a = 0; a < 256; ++a)
    for (int w = 0; w < 256; ++w)
      ASSERT_EQ(int64_t{lut[a * 256 + w]}, int64_t{s.fa[a]} * s.fw[w]) << "a=" << a - 128 << " w=" << w - 128;
}

std::vector<int32_t> table_of(const std::string& family, int k = 0) {
  mult::FamilyMember m;
  m.family = family;
  m.k = k;
  return mult::make_multiplier(m).lut;
}

TEST(Separable, ExactOperandTruncationAndDrumAreProductsOfMaps) {
  for (auto [family, k] : std::vector<std::pair<std::string, int>>{{"exact", 0}, {"operand_truncation", 1},
                                                                   {"operand_truncation", 3}, {"drum", 4}}) {
    const auto lut = table_of(family, k);
    const auto s = find_separable(lut.data());
    ASSERT_TRUE(s.has_value()) << family << k;
    expect_product(lut, *s);
    EXPECT_EQ(s->fa[128], 0) << "a = 0 maps to 0";
  }
  const auto exact = find_separable(table_of("exact").data());
  EXPECT_EQ(exact->max_abs_product(), 128 * 128);
}

TEST(Separable, TruncatedMitchellAndPerturbedTablesAreNot) {
  EXPECT_FALSE(find_separable(table_of("truncated", 4).data()));
  EXPECT_FALSE(find_separable(table_of("mitchell").data()));
  std::mt19937 rng(3);
  auto lut = table_of("operand_truncation", 2);
  for (int trial = 0; trial < 20; ++trial) {
    auto changed = lut;
    changed[std::uniform_int_distribution<int>(0, 65535)(rng)] += 1;  // one entry off by one
    EXPECT_FALSE(find_separable(changed.data())) << trial;
  }
}

TEST(Separable, AllZeroAndScaledTables) {
  std::vector<int32_t> zero(65536, 0);
  const auto z = find_separable(zero.data());
  ASSERT_TRUE(z.has_value());
  EXPECT_EQ(z->max_abs_product(), 0);
  auto scaled = table_of("exact");
  for (auto& v : scaled) v *= -6;  // a common factor and a sign go into the maps
  const auto s = find_separable(scaled.data());
  ASSERT_TRUE(s.has_value());
  expect_product(scaled, *s);
}

}  // namespace
}  // namespace axnn::kernels
