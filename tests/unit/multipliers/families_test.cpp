#include "multipliers/families.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"

namespace axnn::mult {
namespace {

int32_t at(const Multiplier& m, int a, int w) { return m.lut[(a + 128) * 256 + (w + 128)]; }

TEST(Exact, IsTheProductEverywhereWithZeroMetrics) {
  Multiplier m = make_multiplier({"exact"});
  for (int a = -128; a < 128; ++a)
    for (int w = -128; w < 128; ++w) ASSERT_EQ(at(m, a, w), a * w);
  EXPECT_EQ(m.metrics.mae, 0);
  EXPECT_EQ(m.metrics.wce, 0);
  EXPECT_EQ(m.metrics.mre, 0);
  EXPECT_EQ(m.metrics.ep, 0);
  EXPECT_EQ(m.metrics.mse, 0);
  EXPECT_EQ(m.metrics.error_mean, 0);
  EXPECT_EQ(m.metrics.error_std, 0);
  EXPECT_DOUBLE_EQ(m.power, 1.0);
}

TEST(Families, OperandTruncationHandChecked) {
  Multiplier m = make_multiplier({"operand_truncation", 3});
  // Sign-magnitude: |-77| = 77 -> 72, 45 -> 40, product sign negative.
  EXPECT_EQ(at(m, -77, 45), -2880);
  EXPECT_EQ(at(m, 77, -45), -2880);
  EXPECT_EQ(at(m, -77, -45), 2880);
  EXPECT_EQ(at(m, 7, 100), 0);
  EXPECT_EQ(at(m, -128, -128), 16384);
  EXPECT_EQ(at(m, 127, 127), 120 * 120);
}

TEST(Families, TruncatedColumnsHandChecked) {
  Multiplier m = make_multiplier({"truncated", 4});
  // 15 x 15: partial products a_i w_j with i + j >= 4 survive: 3*16 + 2*32 + 64 = 176.
  EXPECT_EQ(at(m, 15, 15), 176);
  EXPECT_EQ(at(m, -15, 15), -176);
  EXPECT_EQ(at(m, 3, 3), 0);
  EXPECT_EQ(at(m, 16, 16), 256);
  EXPECT_LE(m.metrics.error_mean, 0);  // truncation only ever drops bits
}

TEST(Families, BrokenArrayRowsBelongToTheWeightOperand) {
  Multiplier m = make_multiplier({"broken_array", 0, 2, 0});
  // hbl = 2 drops the partial-product rows of weight bits 0 and 1.
  EXPECT_EQ(at(m, 15, 15), 15 * 12);
  EXPECT_EQ(at(m, 15, 3), 0);
  EXPECT_EQ(at(m, 3, 15), 3 * 12);
  Multiplier both = make_multiplier({"broken_array", 0, 1, 4});
  EXPECT_EQ(at(both, 15, 15), 176);  // every bit with i + j >= 4 also has j >= 1
}

TEST(Families, DrumHandChecked) {
  Multiplier m = make_multiplier({"drum", 3});
  // 100 = 1100100b -> keep 110, set LSB -> 111 << 4 = 112; 37 = 100101b -> 101 << 3 = 40.
  EXPECT_EQ(at(m, 100, 37), 112 * 40);
  EXPECT_EQ(at(m, -100, 37), -112 * 40);
  EXPECT_EQ(at(m, 5, 7), 35);  // operands below 2^k are exact
}

TEST(Families, MitchellHandChecked) {
  Multiplier m = make_multiplier({"mitchell"});
  EXPECT_EQ(at(m, 3, 3), 8);    // log2 3 ~ 1.5 + 1.5 -> 2^3
  EXPECT_EQ(at(m, 2, 3), 6);    // powers of two are exact
  EXPECT_EQ(at(m, 5, 6), 28);   // 2^4 * 1.75
  EXPECT_EQ(at(m, 0, 77), 0);
  EXPECT_EQ(at(m, -5, 6), -28);
  for (int a = 1; a < 128; ++a)  // Mitchell's approximation never overestimates
    for (int w = 1; w < 128; ++w) ASSERT_LE(at(m, a, w), a * w) << a << " " << w;
}

TEST(Families, DefaultLibrarySpansExactToVeryCheap) {
  Library lib = build_library("builtin-8s", default_members());
  EXPECT_GE(lib.multipliers.size(), 10u);
  EXPECT_LE(lib.multipliers.size(), 20u);
  double cheapest = 1;
  for (const auto& m : lib.multipliers) cheapest = std::min(cheapest, lib.relative_power(m));
  EXPECT_LE(cheapest, 0.25);
  EXPECT_EQ(lib.exact().name, "exact");
}

TEST(Families, PowerProxyIsMonotoneInTruncation) {
  for (int k = 1; k < 12; ++k)
    EXPECT_LT(member_power({"truncated", k}), member_power({"truncated", k - 1})) << k;
  for (int k = 1; k < 6; ++k)
    EXPECT_LT(member_power({"operand_truncation", k}), member_power({"operand_truncation", k - 1})) << k;
}

TEST(Families, BadParametersAreConfigErrors) {
  EXPECT_THROW(make_multiplier({"drum", 1}), ConfigError);
  EXPECT_THROW(make_multiplier({"operand_truncation", 9}), ConfigError);
  EXPECT_THROW(make_multiplier({"wallace"}), ConfigError);
  nlohmann::json cfg = config::resolve(library_spec(), {{"multipliers", {{{"family", "drum"}, {"k", 12}}}}}, "lib.yaml");
  try {
    members_from_config(cfg, "lib.yaml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("lib.yaml: multipliers[0]: multiplier family 'drum': k must be in 2..8"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace axnn::mult
