#include "data/sources.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "data/dataset.h"
#include "../cli_util.h"
#include "../test_util.h"

namespace axnn::data {
namespace {

std::string idx_bytes(uint8_t ndim, const std::vector<uint32_t>& dims, const std::vector<uint8_t>& data) {
  std::string out = {0, 0, 0x08, static_cast<char>(ndim)};
  for (uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) out += static_cast<char>((d >> s) & 0xff);
  out.append(data.begin(), data.end());
  return out;
}

void write_file(const std::string& path, const std::string& bytes, bool gzip) {
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
  } else {
    std::ofstream(path, std::ios::binary) << bytes;
  }
}

// A tiny MNIST-format folder: n train and m test images of 4x3 pixels; image i is filled with i.
void write_mnist(const std::string& dir, uint32_t n, uint32_t m, bool gzip) {
  auto images = [](uint32_t count) {
    std::vector<uint8_t> v;
    for (uint32_t i = 0; i < count; ++i) v.insert(v.end(), 12, static_cast<uint8_t>(i));
    return v;
  };
  auto labels = [](uint32_t count) {
    std::vector<uint8_t> v;
    for (uint32_t i = 0; i < count; ++i) v.push_back(static_cast<uint8_t>(i % 10));
    return v;
  };
  std::string ext = gzip ? ".gz" : "";
  write_file(dir + "/train-images-idx3-ubyte" + ext, idx_bytes(3, {n, 4, 3}, images(n)), gzip);
  write_file(dir + "/train-labels-idx1-ubyte" + ext, idx_bytes(1, {n}, labels(n)), gzip);
  write_file(dir + "/t10k-images-idx3-ubyte" + ext, idx_bytes(3, {m, 4, 3}, images(m)), gzip);
  write_file(dir + "/t10k-labels-idx1-ubyte" + ext, idx_bytes(1, {m}, labels(m)), gzip);
}

TEST(Idx, ReadsPlainAndGzippedFiles) {
  test::TempDir dir;
  for (bool gz : {false, true}) {
    std::string p = dir.file(gz ? "a.gz" : "a");
    write_file(p, idx_bytes(2, {2, 3}, {1, 2, 3, 4, 5, 255}), gz);
    IdxArray a = read_idx(p);
    EXPECT_EQ(a.dims, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(a.data, (std::vector<uint8_t>{1, 2, 3, 4, 5, 255}));
  }
}

TEST(Idx, TruncatedAndWrongMagicFailClearly) {
  test::TempDir dir;
  std::string full = idx_bytes(3, {2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  write_file(dir.file("short"), full.substr(0, full.size() - 3), false);
  try {
    read_idx(dir.file("short"));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("short: truncated"), std::string::npos) << e.what();
  }
  std::string bad = full;
  bad[0] = 0x1f;
  write_file(dir.file("magic"), bad, false);
  EXPECT_THROW(read_idx(dir.file("magic")), InputError);
  std::string floats = full;
  floats[2] = 0x0d;
  write_file(dir.file("floats"), floats, false);
  try {
    read_idx(dir.file("floats"));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("expected unsigned bytes"), std::string::npos) << e.what();
  }
  write_file(dir.file("trunc.gz"), full, true);
  std::string gz;
  {
    std::ifstream in(dir.file("trunc.gz"), std::ios::binary);
    gz.assign(std::istreambuf_iterator<char>(in), {});
  }
  write_file(dir.file("trunc.gz"), gz.substr(0, gz.size() / 2), false);
  EXPECT_THROW(read_idx(dir.file("trunc.gz")), InputError);
  EXPECT_THROW(read_idx(dir.file("missing")), InputError);
}

TEST(Cifar, ReadsBatchesAndRejectsTruncatedOnes) {
  test::TempDir dir;
  auto batch = [](int records, uint8_t first_label) {
    std::string b;
    for (int r = 0; r < records; ++r) {
      b += static_cast<char>((first_label + r) % 10);
      for (int i = 0; i < 3072; ++i) b += static_cast<char>((r * 7 + i) % 256);
    }
    return b;
  };
  for (int i = 1; i <= 5; ++i) write_file(dir.file("data_batch_" + std::to_string(i) + ".bin"), batch(3, static_cast<uint8_t>(i)), false);
  write_file(dir.file("test_batch.bin"), batch(2, 0), false);
  Split train, test;
  std::vector<std::string> classes, files;
  read_cifar10_folder(dir.path().string(), train, test, classes, files);
  EXPECT_EQ(train.n, 15);
  EXPECT_EQ(test.n, 2);
  EXPECT_EQ(train.c, 3);
  EXPECT_EQ(train.labels[0], 1);
  EXPECT_EQ(train.images[1], 1);  // record 0, byte 1 (red plane)
  EXPECT_EQ(classes[9], "truck");
  write_file(dir.file("test_batch.bin"), batch(2, 0).substr(0, 5000), false);
  Split t2, e2;
  files.clear();
  try {
    read_cifar10_folder(dir.path().string(), t2, e2, classes, files);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not a whole number of 3073-byte"), std::string::npos) << e.what();
  }
}

TEST(Dataset, ImportSplitsSeededAndRoundTrips) {
  test::TempDir dir;
  std::filesystem::create_directories(dir.path() / "m");
  write_mnist(dir.file("m"), 50, 20, true);
  ImportOptions o;
  o.val_fraction = 0.2;
  o.seed = 7;
  o.verify = false;  // published names, other content
  std::vector<InputRef> inputs;
  Dataset d = import_dataset("mnist", dir.file("m"), o, inputs);
  EXPECT_EQ(d.train.n, 40);
  EXPECT_EQ(d.val.n, 10);
  EXPECT_EQ(d.test.n, 20);
  EXPECT_EQ(inputs.size(), 4u);
  EXPECT_TRUE(d.verified.empty());  // test files are not the published ones
  // Every original image is in exactly one of train and val.
  std::vector<int> seen(50, 0);
  for (int64_t i = 0; i < d.train.n; ++i) ++seen[d.train.images[static_cast<size_t>(i * 12)]];
  for (int64_t i = 0; i < d.val.n; ++i) ++seen[d.val.images[static_cast<size_t>(i * 12)]];
  for (int s : seen) EXPECT_EQ(s, 1);
  write_dataset(dir.file("d.h5"), d, Provenance{});
  Dataset back = read_dataset(dir.file("d.h5"));
  EXPECT_EQ(back.train.images, d.train.images);
  EXPECT_EQ(back.val.labels, d.val.labels);
  EXPECT_EQ(back.test.images, d.test.images);
  EXPECT_EQ(back.classes, d.classes);
  EXPECT_DOUBLE_EQ(back.mean[0], d.mean[0]);
  // Same seed, same split; another seed, another split.
  std::vector<InputRef> again;
  EXPECT_EQ(import_dataset("mnist", dir.file("m"), o, again).val.labels, d.val.labels);
  o.seed = 8;
  EXPECT_NE(import_dataset("mnist", dir.file("m"), o, again).val.images, d.val.images);
}

TEST(Dataset, MismatchedPublishedChecksumIsAnError) {
  test::TempDir dir;
  std::filesystem::create_directories(dir.path() / "f");
  write_mnist(dir.file("f"), 10, 5, true);  // names of the published files, other content
  std::vector<InputRef> inputs;
  ImportOptions o;
  try {
    import_dataset("fashion-mnist", dir.file("f"), o, inputs);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("differs from the published"), std::string::npos) << e.what();
  }
  o.verify = false;
  inputs.clear();
  EXPECT_EQ(import_dataset("fashion-mnist", dir.file("f"), o, inputs).classes[9], "Ankle boot");
}

TEST(DataCli, ImportsAndInspectShowsTheSplits) {
  test::TempDir dir;
  std::filesystem::create_directories(dir.path() / "m");
  write_mnist(dir.file("m"), 30, 10, false);
  // Uncompressed files under MNIST's names have published MD5s too: these synthetic ones differ.
  auto strict = test::run(AXNN_DATA_EXE, "mnist " + dir.file("m") + " -o " + dir.file("d.h5") + " --seed 3");
  EXPECT_EQ(strict.code, 2);
  EXPECT_NE(strict.output.find("differs from the published md5:6bbc9ace898e44ae57da46a324031adb"), std::string::npos)
      << strict.output;
  auto r = test::run(AXNN_DATA_EXE, "mnist " + dir.file("m") + " -o " + dir.file("d.h5") + " --seed 3 --no-verify");
  ASSERT_EQ(r.code, 0) << r.output;
  auto i = test::run(AXNN_INSPECT_EXE, dir.file("d.h5"));
  EXPECT_NE(i.output.find("kind: dataset"), std::string::npos) << i.output;
  EXPECT_NE(i.output.find("/train/images"), std::string::npos) << i.output;
  auto bad = test::run(AXNN_DATA_EXE, "mnist " + dir.file("nowhere") + " -o " + dir.file("x.h5"));
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.output.find("no such folder"), std::string::npos) << bad.output;
  EXPECT_FALSE(std::filesystem::exists(dir.file("x.h5")));
}

}  // namespace
}  // namespace axnn::data
