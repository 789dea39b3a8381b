#include "io/artifact.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/hash.h"
#include "io/h5.h"
#include "../test_util.h"

namespace axnn {
namespace {

using test::TempDir;

Provenance sample_provenance() {
  Provenance p;
  p.program = "axnn-test";
  p.command_line = "axnn-test --seed 7";
  p.config = {{"lr", 0.1}, {"steps", {"a", "b"}}};
  p.seed = 7;
  return p;
}

void write_sample(const std::string& path, const std::string& kind = "model", int version = 1) {
  ArtifactWriter w(path, kind, version, sample_provenance());
  H5::Group root = w.root();
  std::vector<float> data = {1.5f, -2.0f, 3.25f, 0.0f, 7.0f, -1e-3f};
  h5::write_dataset(root, "params/layer1/weight", data, {2, 3}, {"weights of layer 1", "1"});
  w.commit();
}

TEST(Artifact, RoundTripsRootAttributesAndDatasets) {
  TempDir dir;
  std::string path = dir.file("a.h5");
  std::string input = dir.file("in.txt");
  std::ofstream(input) << "hello";
  Provenance p = sample_provenance();
  p.inputs.push_back(input_ref(input));
  {
    ArtifactWriter w(path, "model", 3, p);
    H5::Group root = w.root();
    std::vector<int32_t> ints(300000);
    for (size_t i = 0; i < ints.size(); ++i) ints[i] = static_cast<int32_t>(i * 7919 % 65536) - 32768;
    h5::write_dataset(root, "big/ints", ints, {600, 500});  // large: chunked + compressed
    h5::write_dataset(root, "small", std::vector<uint8_t>{0, 127, 255}, {3}, {"bytes", ""});
    H5::Group g = h5::ensure_group(root, "layers/conv1");
    h5::write_attr(g, "mode", "approx");
    h5::write_attr(g, "fan_in", int64_t{75});
    h5::write_attr(g, "sigma", 0.25);
    h5::write_attr(g, "signed", true);
    w.commit();
  }
  Artifact a = Artifact::open(path, "model", 3);
  EXPECT_EQ(a.info().kind, "model");
  EXPECT_EQ(a.info().schema_version, 3);
  EXPECT_EQ(a.info().seed, 7u);
  EXPECT_EQ(a.info().config["lr"], 0.1);
  EXPECT_EQ(a.info().created_by["program"], "axnn-test");
  ASSERT_EQ(a.info().inputs.size(), 1u);
  EXPECT_EQ(a.info().inputs[0]["kind"], "file");
  EXPECT_EQ(a.info().inputs[0]["hash"], sha256_bytes("hello"));

  H5::Group root = a.root();
  h5::Shape shape;
  auto ints = h5::read_dataset<int32_t>(root, "big/ints", &shape);
  ASSERT_EQ(shape, (h5::Shape{600, 500}));
  for (size_t i = 0; i < ints.size(); ++i) ASSERT_EQ(ints[i], static_cast<int32_t>(i * 7919 % 65536) - 32768);
  H5::DataSet big = root.openDataSet("big/ints");
  EXPECT_EQ(big.getCreatePlist().getLayout(), H5D_CHUNKED);
  EXPECT_EQ(root.openDataSet("small").getCreatePlist().getLayout(), H5D_CONTIGUOUS);
  EXPECT_EQ(h5::read_dataset<uint8_t>(root, "small"), (std::vector<uint8_t>{0, 127, 255}));
  EXPECT_EQ(h5::read_string_attr(root.openDataSet("small"), "description"), "bytes");

  H5::Group g = root.openGroup("layers/conv1");
  EXPECT_EQ(h5::read_string_attr(g, "mode"), "approx");
  EXPECT_EQ(h5::read_int_attr(g, "fan_in"), 75);
  EXPECT_DOUBLE_EQ(h5::read_double_attr(g, "sigma"), 0.25);
  EXPECT_EQ(h5::read_int_attr(g, "signed"), 1);
}

TEST(Artifact, InputRefRecordsKindOfArtifacts) {
  TempDir dir;
  write_sample(dir.file("m.h5"), "refs", 1);
  InputRef ref = input_ref(dir.file("m.h5"));
  EXPECT_EQ(ref.kind, "refs");
  EXPECT_EQ(ref.hash, sha256_file(dir.file("m.h5")));
}

TEST(Artifact, WrongKindNamesFileAndBothKinds) {
  TempDir dir;
  std::string path = dir.file("refs.h5");
  write_sample(path, "refs", 1);
  try {
    Artifact::open(path, "model", 1);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find("expected an axnn artifact of kind 'model'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("found kind 'refs'"), std::string::npos) << msg;
  }
}

TEST(Artifact, WrongSchemaVersionNamesBothVersions) {
  TempDir dir;
  std::string path = dir.file("m.h5");
  write_sample(path, "model", 9);
  try {
    Artifact::open(path, "model", 1);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find("schema version 9"), std::string::npos) << msg;
    EXPECT_NE(msg.find("reads version 1"), std::string::npos) << msg;
  }
}

TEST(Artifact, MissingNonHdf5AndForeignHdf5FilesAreNamedErrors) {
  TempDir dir;
  EXPECT_THROW(Artifact::open(dir.file("nope.h5"), "model", 1), InputError);
  std::ofstream(dir.file("text.h5")) << "not hdf5 at all";
  try {
    Artifact::open(dir.file("text.h5"), "model", 1);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not an HDF5 file"), std::string::npos) << e.what();
  }
  { H5::H5File plain(dir.file("plain.h5"), H5F_ACC_TRUNC); }
  try {
    Artifact::open(dir.file("plain.h5"), "model", 1);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not an axnn artifact"), std::string::npos) << e.what();
  }
}

TEST(Artifact, ExceptionMidWriteLeavesNothingAtFinalPath) {
  TempDir dir;
  std::string path = dir.file("out.h5");
  try {
    ArtifactWriter w(path, "model", 1, sample_provenance());
    H5::Group root = w.root();
    h5::write_dataset(root, "x", std::vector<float>(1000, 1.0f), {1000});
    EXPECT_FALSE(std::filesystem::exists(path));  // built in memory; nothing on disk before commit()
    throw std::runtime_error("simulated failure");
  } catch (const std::runtime_error&) {
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_EQ(dir.entries(), 0u) << "temporary file left behind";
}

TEST(Artifact, FailedRewriteKeepsExistingGoodFile) {
  TempDir dir;
  std::string path = dir.file("out.h5");
  write_sample(path);
  std::string before = sha256_file(path);
  try {
    ArtifactWriter w(path, "model", 1, sample_provenance());
    H5::Group root = w.root();
    h5::write_dataset(root, "y", std::vector<float>(10, 2.0f), {10});
    throw std::runtime_error("simulated failure");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(sha256_file(path), before);
  EXPECT_EQ(dir.entries(), 1u);
  Artifact a = Artifact::open(path, "model", 1);
  EXPECT_FALSE(h5::exists(a.root(), "y"));
  EXPECT_TRUE(h5::exists(a.root(), "params/layer1/weight"));
}

TEST(Artifact, OutputIntoMissingFolderIsUsageError) {
  TempDir dir;
  EXPECT_THROW(ArtifactWriter(dir.file("no/such/dir/x.h5"), "model", 1, sample_provenance()), UsageError);
}

TEST(H5, ReadingMissingDatasetNamesIt) {
  TempDir dir;
  write_sample(dir.file("m.h5"));
  Artifact a = Artifact::open(dir.file("m.h5"), "model", 1);
  try {
    h5::read_dataset<float>(a.root(), "params/nope/weight");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("params/nope/weight"), std::string::npos);
  }
}

}  // namespace
}  // namespace axnn
