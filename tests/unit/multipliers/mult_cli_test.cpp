// axnn-mult and axnn-schema as a user runs them.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "multipliers/library_io.h"
#include "../cli_util.h"
#include "../test_util.h"

namespace axnn {
namespace {

using test::run;

// .npy v1.0 with an int16 or int32 table of the given shape.
void write_npy(const std::string& path, const std::string& descr, int rows, int cols, int bytes_per) {
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                       std::to_string(cols) + "), }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::ofstream f(path, std::ios::binary);
  f.write("\x93NUMPY\x01\x00", 8);
  uint16_t len = static_cast<uint16_t>(header.size());
  f.write(reinterpret_cast<const char*>(&len), 2);
  f << header;
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) {
      int32_t v = (i - 128) * (j - 128) + ((i + j) % 3 == 0 ? 1 : 0);
      f.write(reinterpret_cast<const char*>(&v), bytes_per);
    }
}

TEST(MultCli, BuildsDefaultLibraryFastAndInspectShowsIt) {
  test::TempDir dir;
  auto t0 = std::chrono::steady_clock::now();
  auto r = run(AXNN_MULT_EXE, "build -o " + dir.file("lib.h5"));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(r.code, 0) << r.output;
  std::printf("axnn-mult build took %.2f s\n", seconds);  // the note reports it; not asserted
  auto lib = mult::read_library(dir.file("lib.h5"));
  EXPECT_EQ(lib.name, "builtin-8s");
  auto i = run(AXNN_INSPECT_EXE, dir.file("lib.h5"));
  ASSERT_EQ(i.code, 0) << i.output;
  EXPECT_NE(i.output.find("kind: multipliers"), std::string::npos);
  EXPECT_NE(i.output.find("rel_power"), std::string::npos) << i.output;
  EXPECT_NE(i.output.find("otrunc4"), std::string::npos) << i.output;
  auto l = run(AXNN_MULT_EXE, "list " + dir.file("lib.h5"));
  EXPECT_EQ(l.code, 0);
  EXPECT_LT(l.output.find("otrunc4"), l.output.find("exact")) << "cheapest first";
  auto s = run(AXNN_MULT_EXE, "show " + dir.file("lib.h5") + " trunc6 --png " + dir.file("e.png"));
  EXPECT_EQ(s.code, 0) << s.output;
  EXPECT_TRUE(std::filesystem::file_size(dir.file("e.png")) > 1000);
  EXPECT_EQ(run(AXNN_MULT_EXE, "show " + dir.file("lib.h5") + " nope").code, 2);
}

TEST(MultCli, ConfigErrorsNameTheKeyAndWriteNothing) {
  test::TempDir dir;
  std::ofstream(dir.file("lib.yaml")) << "name: mine\nmultipliers:\n  - family: drum\n    k: fast\n";
  auto r = run(AXNN_MULT_EXE, "build -c " + dir.file("lib.yaml") + " -o " + dir.file("lib.h5"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("lib.yaml: multipliers[0].k: expected an integer, got \"fast\""), std::string::npos) << r.output;
  EXPECT_EQ(dir.entries(), 1u);
}

TEST(MultCli, ImportsNpyAndCsvTablesAndRejectsBadOnes) {
  test::TempDir dir;
  write_npy(dir.file("t16.npy"), "<i2", 256, 256, 2);
  write_npy(dir.file("t32.npy"), "<i4", 256, 256, 4);
  write_npy(dir.file("short.npy"), "<i4", 255, 256, 4);
  auto r = run(AXNN_MULT_EXE, "import " + dir.file("t16.npy") + " --power 0.8 -o " + dir.file("a.h5"));
  ASSERT_EQ(r.code, 0) << r.output;
  r = run(AXNN_MULT_EXE, "import " + dir.file("t32.npy") + " --name t32 --power 0.7 --into " + dir.file("a.h5") +
                             " -o " + dir.file("b.h5"));
  ASSERT_EQ(r.code, 0) << r.output;
  auto lib = mult::read_library(dir.file("b.h5"));
  ASSERT_EQ(lib.multipliers.size(), 3u);
  EXPECT_EQ(lib.find("t16")->lut, lib.find("t32")->lut);
  EXPECT_EQ(lib.find("t32")->lut[0], (-128) * (-128) + 1);
  EXPECT_EQ(lib.find("t32")->lut[1], (-128) * (-127));

  {
    std::ofstream csv(dir.file("c.csv"));
    for (int i = 0; i < 256; ++i) {
      for (int j = 0; j < 256; ++j) csv << (j ? "," : "") << (i - 128) * (j - 128);
      csv << "\n";
    }
  }
  std::ofstream(dir.file("c.yaml")) << "name: from_csv\npower: 0.9\n";
  r = run(AXNN_MULT_EXE, "import " + dir.file("c.csv") + " --sidecar " + dir.file("c.yaml") + " -o " + dir.file("c.h5"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(mult::read_library(dir.file("c.h5")).find("from_csv")->metrics.mae, 0);

  std::ofstream(dir.file("bad.yaml")) << "power: .nan\n";
  size_t before = dir.entries();
  r = run(AXNN_MULT_EXE, "import " + dir.file("short.npy") + " --power 0.5 -o " + dir.file("bad1.h5"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("short.npy: table has shape (255,256), expected (256, 256)"), std::string::npos) << r.output;
  r = run(AXNN_MULT_EXE, "import " + dir.file("t16.npy") + " --power nan -o " + dir.file("bad2.h5"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("not a finite number"), std::string::npos) << r.output;
  r = run(AXNN_MULT_EXE, "import " + dir.file("t16.npy") + " --sidecar " + dir.file("bad.yaml") + " -o " + dir.file("bad3.h5"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("bad.yaml: power: expected a finite number"), std::string::npos) << r.output;
  EXPECT_EQ(dir.entries(), before) << "no library file may be written on bad input";
}

TEST(MultCli, EvoImportOfUncompilableFileWritesNoLibrary) {
  test::TempDir dir;
  std::filesystem::create_directories(dir.path() / "models");
  std::ofstream(dir.file("models/mul8s_bad.c")) << "// PDK45_PWR = 0.1 mW\nint16_t mul8s_bad(int8_t A, int8_t B) { syntax error }\n";
  auto r = run(AXNN_MULT_EXE, "import-evoapprox " + dir.file("models") + " --exact-power 0.4 -o " + dir.file("lib.h5"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("mul8s_bad.c: does not compile"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir.file("lib.h5")));
}

TEST(MultCli, MergeAndFilter) {
  test::TempDir dir;
  ASSERT_EQ(run(AXNN_MULT_EXE, "build -o " + dir.file("a.h5")).code, 0);
  std::ofstream(dir.file("small.yaml")) << "name: small\nmultipliers: [{family: drum, k: 6}]\n";
  ASSERT_EQ(run(AXNN_MULT_EXE, "build -c " + dir.file("small.yaml") + " -o " + dir.file("b.h5")).code, 0);
  auto r = run(AXNN_MULT_EXE, "merge " + dir.file("a.h5") + " " + dir.file("b.h5") + " --name all -o " + dir.file("m.h5"));
  ASSERT_EQ(r.code, 0) << r.output;
  auto merged = mult::read_library(dir.file("m.h5"));
  EXPECT_EQ(merged.name, "all");
  EXPECT_NE(merged.find("drum6"), nullptr);
  EXPECT_NE(merged.find("otrunc4"), nullptr);
  r = run(AXNN_MULT_EXE, "filter " + dir.file("m.h5") + " --name '^trunc' -o " + dir.file("f.h5"));
  ASSERT_EQ(r.code, 0) << r.output;
  auto filtered = mult::read_library(dir.file("f.h5"));
  for (const auto& m : filtered.multipliers) EXPECT_TRUE(m.name == "exact" || m.name.rfind("trunc", 0) == 0) << m.name;
  EXPECT_EQ(filtered.multipliers.size(), 6u);
}

// ---- compose: a library from sources, as the workflow builds it ----

std::string evoapproxlib() {
  const char* env = std::getenv("AXNN_EVOAPPROXLIB");
  std::filesystem::path p = env && *env ? env : std::filesystem::path(AXNN_SOURCE_DIR) / ".." / "shared" / "evoapproxlib";
  return std::filesystem::is_directory(p / "multiplers") ? p.string() : "";
}

TEST(MultCompose, DefaultIsTheBuiltinLibraryWithItsSourceRecorded) {
  test::TempDir dir;
  auto r = run(AXNN_MULT_EXE, "compose -o " + dir.file("lib.h5"));
  ASSERT_EQ(r.code, 0) << r.output;
  auto lib = mult::read_library(dir.file("lib.h5"));
  EXPECT_EQ(lib.multipliers.size(), 17u);
  ASSERT_EQ(lib.sources.size(), 1u);
  EXPECT_EQ(lib.sources[0]["kind"], "builtin");
  EXPECT_EQ(lib.sources[0]["path"], "default");
  EXPECT_EQ(lib.sources[0]["hash"].get<std::string>().rfind("sha256:", 0), 0u);
  EXPECT_EQ(lib.sources[0]["multipliers"].size(), 17u);
}

TEST(MultCompose, MergesSourcesInOrderAndFilters) {
  test::TempDir dir;
  write_npy(dir.file("mine.npy"), "<i4", 256, 256, 4);
  std::ofstream(dir.file("fam.yaml")) << "name: fam\nmultipliers: [{family: drum, k: 4}, {family: truncated, k: 6}]\n";
  std::ofstream(dir.file("lib.yaml")) << "name: mixed\nsources:\n  - builtin: " << dir.file("fam.yaml")
                                      << "\n  - table: " << dir.file("mine.npy") << "\n    power: 0.9\n"
                                      << "filter: {exclude: '^drum', max_wce: 1000}\n";
  auto r = run(AXNN_MULT_EXE, "compose -c " + dir.file("lib.yaml") + " -o " + dir.file("lib.h5"));
  ASSERT_EQ(r.code, 0) << r.output;
  auto lib = mult::read_library(dir.file("lib.h5"));
  EXPECT_EQ(lib.name, "mixed");
  std::vector<std::string> names;
  for (const auto& m : lib.multipliers) names.push_back(m.name);
  EXPECT_EQ(names, (std::vector<std::string>{"exact", "trunc6", "mine"}));
  EXPECT_EQ(lib.sources.size(), 2u);
  EXPECT_EQ(lib.sources[1]["kind"], "table");
  EXPECT_EQ(lib.sources[1]["multipliers"], nlohmann::json::array({"mine"}));
  // --set overrides the file: keep drum4 back, drop the table's WCE bound.
  r = run(AXNN_MULT_EXE, "compose -c " + dir.file("lib.yaml") + " --set 'filter={names: drum}' -o " + dir.file("d.h5"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(mult::read_library(dir.file("d.h5")).multipliers.size(), 2u);  // exact + drum4
}

TEST(MultCompose, BadSourcesAreNamedAndWriteNothing) {
  test::TempDir dir;
  const size_t before = dir.entries();
  struct Case {
    std::string set, text;
  };
  const std::vector<Case> cases = {
      {"sources=[{artifact: /nonexistent/x.h5}]", "sources[0]: '/nonexistent/x.h5' does not exist"},
      {"sources=[{builtin: default, evoapprox: /tmp}]", "sources[0]: give exactly one of builtin, evoapprox, artifact, table"},
      {"sources=[{builtin: default, power: 2}]", "sources[0].power: only a table source takes this key"},
      {"sources=[]", "sources: give at least one source"},
      {"sources=[{builtin: default}, {builtin: default, convert_power: {factor: 0.4, unit: mW}}]",
       "sources[1]: power of 'exact' is in mW, but library: sources[0] gives power in relative"},
      {"filter={names: '('}", "filter.names: '(' is not a valid regular expression"},
      {"sources=[{evoapprox: " + dir.path().string() + "}]", "no .c files"},
  };
  for (const auto& c : cases) {
    auto r = run(AXNN_MULT_EXE, "compose --set \"" + c.set + "\" -o " + dir.file("lib.h5"));
    EXPECT_EQ(r.code, 2) << c.set << "\n" << r.output;
    EXPECT_NE(r.output.find(c.text), std::string::npos) << c.set << "\n" << r.output;
  }
  EXPECT_EQ(dir.entries(), before) << "no library file may be written on bad input";
}

TEST(MultCompose, EvoApproxLibWithBuiltinNeedsAPowerConversion) {
  const std::string root = evoapproxlib();
  if (root.empty()) GTEST_SKIP() << "EvoApproxLib not present (set AXNN_EVOAPPROXLIB)";
  test::TempDir dir;
  const std::string evo = "{evoapprox: " + root + "/multiplers/8x8_signed}";
  auto r = run(AXNN_MULT_EXE, "compose --set 'sources=[" + evo + ", {builtin: default}]' -o " + dir.file("x.h5"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("is in relative, but library: sources[0] gives power in mW"), std::string::npos) << r.output;
  r = run(AXNN_MULT_EXE, "compose --set 'sources=[" + evo +
                             ", {builtin: default, convert_power: {factor: 0.425, unit: mW}}]' --set filter.exclude=drum -o " +
                             dir.file("lib.h5"));
  ASSERT_EQ(r.code, 0) << r.output;
  auto lib = mult::read_library(dir.file("lib.h5"));
  EXPECT_EQ(lib.exact().power_unit, "mW");
  EXPECT_DOUBLE_EQ(lib.exact().power, 0.425);  // mul8s_1KV6, the exact EvoApproxLib circuit
  ASSERT_NE(lib.find("mul8s_1L2N"), nullptr);
  ASSERT_NE(lib.find("trunc6"), nullptr);
  ASSERT_EQ(run(AXNN_MULT_EXE, "build -o " + dir.file("builtin.h5")).code, 0);
  EXPECT_NEAR(lib.find("trunc6")->power, 0.425 * mult::read_library(dir.file("builtin.h5")).find("trunc6")->power, 1e-12);
  EXPECT_EQ(lib.find("drum4"), nullptr);
  EXPECT_EQ(lib.sources[0]["multipliers"].size(), 14u);  // exact + every mul8s circuit once (39 files)
  // Only signed circuits with WCE <= 2000: the filter keeps the cheap ones a user asks for.
  r = run(AXNN_MULT_EXE, "compose --set 'sources=[" + evo + "]' --set filter.max_wce=2000 -o " + dir.file("f.h5"));
  ASSERT_EQ(r.code, 0) << r.output;
  for (const auto& m : mult::read_library(dir.file("f.h5")).multipliers) EXPECT_LE(m.metrics.wce, 2000) << m.name;
}

TEST(SchemaCli, CommittedWorkflowSchemasMatchTheCode) {
  auto r = run(AXNN_SCHEMA_EXE, std::string("--check ") + AXNN_SOURCE_DIR + "/workflows/schemas");
  EXPECT_EQ(r.code, 0) << r.output;
}

}  // namespace
}  // namespace axnn
