// axnn-inspect as a user runs it: the real executable, its output and exit code.
#include <gtest/gtest.h>

#include <fstream>

#include "io/artifact.h"
#include "io/h5.h"
#include "../cli_util.h"
#include "../test_util.h"

namespace axnn {
namespace {

test::Result run(const std::string& args) { return test::run(AXNN_INSPECT_EXE, args); }

void make_artifact(const std::string& path) {
  Provenance p;
  p.program = "axnn-test";
  p.command_line = "axnn-test make";
  p.config = {{"alpha", 2}};
  p.seed = 42;
  ArtifactWriter w(path, "scratch", 1, p);  // a kind with no per-kind view
  H5::Group root = w.root();
  std::vector<int32_t> lut(65536, 3);
  h5::write_dataset(root, "multipliers/exact/lut", lut, {256, 256}, {"product table", ""});
  w.commit();
}

TEST(InspectCli, ShowsKindProvenanceAndContent) {
  test::TempDir dir;
  make_artifact(dir.file("lib.h5"));
  auto r = run(dir.file("lib.h5"));
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("kind: scratch (schema version 1)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("axnn-test make"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("seed: 42"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("/multipliers/exact/lut"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("int32"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("(256, 256)"), std::string::npos) << r.output;
}

TEST(InspectCli, JsonOutputParses) {
  test::TempDir dir;
  make_artifact(dir.file("lib.h5"));
  auto r = run("--json --log-level error " + dir.file("lib.h5"));
  ASSERT_EQ(r.code, 0) << r.output;
  nlohmann::json j = nlohmann::json::parse(r.output);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["kind"], "scratch");
  EXPECT_EQ(j[0]["config"]["alpha"], 2);
}

TEST(InspectCli, PlainHdf5FileIsReportedClearly) {
  test::TempDir dir;
  {
    H5::H5File f(dir.file("plain.h5"), H5F_ACC_TRUNC);
    H5::Group root = f.openGroup("/");
    h5::write_dataset(root, "data", std::vector<float>{1, 2, 3}, {3});
  }
  auto r = run(dir.file("plain.h5"));
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("plain.h5: an HDF5 file, but not an axnn artifact"), std::string::npos) << r.output;
}

TEST(InspectCli, NonHdf5AndMissingFilesAreUserErrors) {
  test::TempDir dir;
  std::ofstream(dir.file("notes.txt")) << "hello";
  auto r = run(dir.file("notes.txt"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("not an HDF5 file"), std::string::npos) << r.output;
  EXPECT_EQ(run(dir.file("missing.h5")).code, 2);
  EXPECT_EQ(run("--no-such-flag").code, 2);
}

TEST(InspectCli, HelpAndVersion) {
  auto help = run("--help");
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.output.find("--json"), std::string::npos);
  EXPECT_NE(help.output.find("--log-level"), std::string::npos);
  auto version = run("--version");
  EXPECT_EQ(version.code, 0);
  EXPECT_NE(version.output.find("axnn-inspect 0."), std::string::npos) << version.output;
}

}  // namespace
}  // namespace axnn
