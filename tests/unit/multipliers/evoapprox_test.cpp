#include "multipliers/evoapprox.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "../test_util.h"

namespace axnn::mult {
namespace {

// Small C models in EvoApproxLib's format, written for the tests (header comments, stdint types).
const char* kSignedModel = R"(/***
* A test model in the EvoApproxLib format.
***/
// MAE% = 0.0023 %
// MAE = 1.0
// WCE% = 0.0046 %
// WCE = 3
// EP% = 50.00 %
// PDK45_PWR = 0.300 mW
// PDK45_AREA = 500.0 um2
// PDK45_DELAY = 1.20 ns
#include <stdint.h>
#include <stdlib.h>

/* clears the two lowest product bits */
int16_t mul8s_T1(int8_t A, int8_t B)
{
  int16_t P = (int16_t)(A * B);
  return P & ~3;
}
)";

// An unsigned model with an inline comment after a metric, and a comment inside the signature.
const char* kUnsignedModel = R"(// MAE = 0.25 // measured on all pairs
// WCE = 1
// PDK45_PWR = 0.250 mW  // typical corner
#include <stdint.h>
uint16_t mul8u_T2(uint8_t A /* multiplicand */, uint8_t B)
{
  return (uint16_t)((A * B) & ~1);
}
)";

// A signed model written with unsigned types: its raw 16-bit result must be read as int16.
// The header's MAE is deliberately wrong, to check the mismatch warning.
const char* kSignedUnsignedTypes = R"(// MAE = 99
// WCE = 0
// PDK45_PWR = 0.425 mW
#include <stdint.h>
uint16_t mul8s_T3(uint8_t A, uint8_t B)
{
  int8_t a = (int8_t)A, b = (int8_t)B;
  return (uint16_t)(int16_t)(a * b);
}
)";

void write(const std::string& path, const char* text) { std::ofstream(path) << text; }

int32_t at(const Multiplier& m, int a, int w) { return m.lut[(a + 128) * 256 + (w + 128)]; }

TEST(EvoApprox, ParsesHeaderIncludingInlineComments) {
  auto h = parse_evo_header(kUnsignedModel);
  EXPECT_DOUBLE_EQ(h.at("MAE").value, 0.25);
  EXPECT_EQ(h.at("MAE").decimals, 2);
  EXPECT_DOUBLE_EQ(h.at("WCE").value, 1);
  EXPECT_EQ(h.at("WCE").decimals, 0);
  EXPECT_DOUBLE_EQ(h.at("PDK45_PWR").value, 0.25);
  EXPECT_EQ(h.at("PDK45_PWR").unit, "mW");
  auto s = parse_evo_header(kSignedModel);
  EXPECT_DOUBLE_EQ(s.at("MAE%").value, 0.0023);
  EXPECT_EQ(s.at("MAE%").unit, "%");
  EXPECT_DOUBLE_EQ(s.at("PDK45_AREA").value, 500.0);
  EXPECT_EQ(s.at("PDK45_AREA").unit, "um2");
  EXPECT_EQ(s.at("PDK45_DELAY").unit, "ns");
  auto e = parse_evo_header("// MSE = 72829.102e2\n");
  EXPECT_DOUBLE_EQ(e.at("MSE").value, 7282910.2);
  EXPECT_EQ(e.at("MSE").decimals, 1);
}

TEST(EvoApprox, HeaderMetricsAgreeAtThePrintedPrecision) {
  // EvoApproxLib prints "MAE = 36" for 36.54: one unit of the last printed digit is within.
  EXPECT_TRUE(agrees_with_header(36.54, {36, 0, ""}));
  EXPECT_TRUE(agrees_with_header(35.2, {36, 0, ""}));
  EXPECT_FALSE(agrees_with_header(37.01, {36, 0, ""}));
  EXPECT_TRUE(agrees_with_header(0.519, {0.52, 2, "%"}));
  EXPECT_FALSE(agrees_with_header(0.55, {0.52, 2, "%"}));
  EXPECT_TRUE(agrees_with_header(7282910.26, {7282910.2, 1, ""}));
}

TEST(EvoApprox, ParsesSignatures) {
  EvoSignature s = parse_evo_signature(kSignedUnsignedTypes, "mul8s_T3", "t.c");
  EXPECT_EQ(s.function, "mul8s_T3");
  EXPECT_EQ(s.result_type, "uint16_t");
  EXPECT_EQ(s.a_type, "uint8_t");
  EXPECT_TRUE(s.semantic_signed);
  EvoSignature u = parse_evo_signature(kUnsignedModel, "mul8u_T2", "u.c");
  EXPECT_FALSE(u.semantic_signed);
  EXPECT_THROW(parse_evo_signature("int main() { return 0; }", "x", "x.c"), InputError);
}

TEST(EvoApprox, ImportsSignedUnsignedAndSignedWithUnsignedTypes) {
  test::TempDir dir;
  write(dir.file("mul8s_T1.c"), kSignedModel);
  write(dir.file("mul8u_T2.c"), kUnsignedModel);
  write(dir.file("mul8s_T3.c"), kSignedUnsignedTypes);
  Library lib = import_evoapprox({dir.path().string()}, "test", {});
  ASSERT_EQ(lib.multipliers.size(), 4u);
  const Multiplier& t1 = *lib.find("mul8s_T1");
  const Multiplier& t2 = *lib.find("mul8u_T2");
  const Multiplier& t3 = *lib.find("mul8s_T3");
  for (int a = -128; a < 128; ++a)
    for (int w = -128; w < 128; ++w) {
      ASSERT_EQ(at(t1, a, w), static_cast<int16_t>(a * w) & ~3) << a << "," << w;
      int mag = (std::abs(a) * std::abs(w)) & ~1;
      ASSERT_EQ(at(t2, a, w), (a < 0) != (w < 0) ? -mag : mag) << a << "," << w;
      ASSERT_EQ(at(t3, a, w), a * w) << a << "," << w;
    }
  EXPECT_TRUE(t1.is_signed);
  EXPECT_FALSE(t2.is_signed);
  EXPECT_DOUBLE_EQ(t1.power, 0.3);
  EXPECT_DOUBLE_EQ(*t1.area, 500.0);
  EXPECT_DOUBLE_EQ(*t1.delay, 1.2);
  EXPECT_EQ(t1.power_unit, "mW");
  // T3 is exact, so it sets the exact multiplier's power.
  EXPECT_DOUBLE_EQ(lib.exact().power, 0.425);
  EXPECT_NEAR(lib.relative_power(t2), 0.25 / 0.425, 1e-12);
  EXPECT_EQ(t1.source["header"]["WCE"], 3);
  EXPECT_EQ(t1.area_unit, "um2");
  EXPECT_EQ(t1.delay_unit, "ns");
}

TEST(EvoApprox, CircuitInSeveralSubsetsIsImportedOnceAndConflictsNameBothFiles) {
  test::TempDir dir;
  std::filesystem::create_directories(dir.path() / "pareto_pwr_mae");
  std::filesystem::create_directories(dir.path() / "pareto_pwr_ep");
  // The same circuit, with files that differ only in a comment (as EvoApproxLib ships them).
  write(dir.file("pareto_pwr_mae/mul8s_T1.c"), kSignedModel);
  write(dir.file("pareto_pwr_ep/mul8s_T1.c"), (std::string("// subset: ep\n") + kSignedModel).c_str());
  write(dir.file("pareto_pwr_ep/mul8s_T3.c"), kSignedUnsignedTypes);
  write(dir.file("pareto_pwr_ep/README.md"), "| mul8s_T1 | 0.1 |\n");  // non-C files are ignored
  Library lib = import_evoapprox({dir.path().string()}, "subsets", {});
  ASSERT_EQ(lib.multipliers.size(), 3u);  // exact, T1 once, T3
  const Multiplier& t1 = *lib.find("mul8s_T1");
  EXPECT_EQ(t1.source["files"].size(), 2u);

  // The same name with a different table is an error naming both files.
  std::string other = kSignedModel;
  other.replace(other.find("P & ~3"), 6, "P & ~7");
  write(dir.file("pareto_pwr_ep/mul8s_T1.c"), other.c_str());
  try {
    import_evoapprox({dir.path().string()}, "subsets", {});
    FAIL() << "conflicting tables were accepted";
  } catch (const InputError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("pareto_pwr_ep/mul8s_T1.c"), std::string::npos) << msg;
    EXPECT_NE(msg.find("pareto_pwr_mae/mul8s_T1.c"), std::string::npos) << msg;
    EXPECT_NE(msg.find("different tables"), std::string::npos) << msg;
  }
}

// EvoApproxLib's own 8x8 models (v2022, MIT), when present: $AXNN_EVOAPPROXLIB or ../shared/evoapproxlib.
std::string evoapproxlib() {
  const char* env = std::getenv("AXNN_EVOAPPROXLIB");
  std::filesystem::path p = env && *env ? env : std::filesystem::path(AXNN_SOURCE_DIR) / ".." / "shared" / "evoapproxlib";
  return std::filesystem::is_directory(p / "multiplers") ? p.string() : "";
}

void check_real_folder(const std::string& folder, size_t circuits, bool is_signed, double exact_power) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(folder))
    if (e.path().extension() == ".c") files.push_back(e.path().string());
  // Every circuit's MAE, WCE, MSE, EP% (and MAE%, WCE%) agree with its header at the printed precision.
  for (const auto& f : files) {
    std::vector<std::string> warnings;
    Multiplier m = import_evo_file(f, {}, warnings);
    EXPECT_TRUE(warnings.empty()) << f << ": " << warnings[0];
    EXPECT_EQ(m.is_signed, is_signed) << f;
    EXPECT_EQ(m.power_unit, "mW");
    EXPECT_EQ(m.area_unit, "um2");
    EXPECT_EQ(m.delay_unit, "ns");
    EXPECT_GE(m.power, 0) << f;  // mul8u_TD3 (constant 0) has 0 mW
  }
  Library lib = import_evoapprox({folder}, "real", {});
  EXPECT_EQ(lib.multipliers.size(), circuits + 1) << folder;  // + exact
  EXPECT_NEAR(lib.exact().power, exact_power, 1e-12);
  for (const auto& m : lib.multipliers) EXPECT_LE(lib.relative_power(m), 1.0 + 1e-9) << m.name;
}

TEST(EvoApproxReal, SignedCircuitsAsShipped) {
  const std::string root = evoapproxlib();
  if (root.empty()) GTEST_SKIP() << "EvoApproxLib not present (set AXNN_EVOAPPROXLIB)";
  check_real_folder(root + "/multiplers/8x8_signed", 13, true, 0.425);
  // The trap: mul8s_1L2N declares unsigned types but is a signed multiplier.
  EvoImportOptions o;
  o.exact_power = 0.425;
  Library lib = import_evoapprox({root + "/multiplers/8x8_signed/pareto_pwr_mae/mul8s_1L2N.c"}, "one", o);
  const Multiplier& m = *lib.find("mul8s_1L2N");
  EXPECT_TRUE(m.is_signed);
  EXPECT_LT(at(m, -100, 100), -9000);
}

TEST(EvoApproxReal, UnsignedCircuitsAsShipped) {
  const std::string root = evoapproxlib();
  if (root.empty()) GTEST_SKIP() << "EvoApproxLib not present (set AXNN_EVOAPPROXLIB)";
  check_real_folder(root + "/multiplers/8x8_unsigned", 37, false, 0.391);
}

TEST(EvoApprox, WarnsWhenHeaderMetricsDisagree) {
  test::TempDir dir;
  write(dir.file("mul8s_T3.c"), kSignedUnsignedTypes);
  write(dir.file("mul8s_T1.c"), kSignedModel);
  std::vector<std::string> warnings;
  import_evo_file(dir.file("mul8s_T3.c"), {}, warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("computed MAE = 0.00 differs from the header's MAE = 99"), std::string::npos) << warnings[0];
  warnings.clear();
  import_evo_file(dir.file("mul8s_T1.c"), {}, warnings);
  EXPECT_TRUE(warnings.empty()) << warnings[0];  // MAE 1.0, WCE 3, EP 50 % are right for P & ~3
}

TEST(EvoApprox, UncompilableFileIsNamedError) {
  test::TempDir dir;
  write(dir.file("mul8s_bad.c"), "// PDK45_PWR = 0.1 mW\n#include <stdint.h>\nint16_t mul8s_bad(int8_t A, int8_t B) { return A * ; }\n");
  try {
    import_evoapprox({dir.path().string()}, "bad", {});
    FAIL();
  } catch (const InputError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("mul8s_bad.c: does not compile"), std::string::npos) << msg;
  }
}

TEST(EvoApprox, NoExactModelNeedsExactPower) {
  test::TempDir dir;
  write(dir.file("mul8s_T1.c"), kSignedModel);
  EXPECT_THROW(import_evoapprox({dir.path().string()}, "t", {}), UsageError);
  EvoImportOptions o;
  o.exact_power = 0.6;
  Library lib = import_evoapprox({dir.path().string()}, "t", o);
  EXPECT_DOUBLE_EQ(lib.relative_power(*lib.find("mul8s_T1")), 0.5);
}

}  // namespace
}  // namespace axnn::mult
