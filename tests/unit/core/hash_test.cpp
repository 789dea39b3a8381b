#include "core/hash.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "../test_util.h"

namespace axnn {
namespace {

TEST(Hash, KnownSha256Vectors) {
  EXPECT_EQ(sha256_bytes(""), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_bytes("abc"), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Hash, FileHashEqualsBytesHash) {
  test::TempDir dir;
  std::string content(200000, 'x');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 31 % 251);
  std::ofstream(dir.file("f"), std::ios::binary) << content;
  EXPECT_EQ(sha256_file(dir.file("f")), sha256_bytes(content));
}

TEST(Hash, MissingFileIsInputError) { EXPECT_THROW(sha256_file("/nonexistent/axnn/file"), InputError); }

}  // namespace
}  // namespace axnn
