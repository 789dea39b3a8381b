#include "tensor/tensor_io.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "io/artifact.h"
#include "../test_util.h"

namespace axnn {
namespace {

TEST(TensorIo, RoundTripsEveryDtypeAndShapeExactly) {
  test::TempDir dir;
  torch::manual_seed(3);
  std::vector<std::pair<std::string, torch::Tensor>> tensors = {
      {"f32", torch::randn({3, 5, 7})},
      {"f64", torch::randn({4}, torch::kDouble)},
      {"i8", torch::randint(-128, 128, {2, 3}, torch::kInt8)},
      {"u8", torch::randint(0, 256, {60000, 1, 2, 2}, torch::kUInt8)},
      {"i16", torch::randint(-30000, 30000, {9}, torch::kInt16)},
      {"i32", torch::randint(-100000, 100000, {256, 256}, torch::kInt32)},
      {"i64", torch::randint(-100000, 100000, {5, 1}, torch::kLong)},
      {"scalar_like", torch::tensor({2.5f})},
      {"strided", torch::randn({6, 4}).t()},
  };
  {
    ArtifactWriter w(dir.file("t.h5"), "model", 1, Provenance{});
    H5::Group root = w.root();
    for (auto& [name, t] : tensors) write_tensor(root, "params/" + name, t);
    w.commit();
  }
  Artifact a = Artifact::open(dir.file("t.h5"), "model", 1);
  for (auto& [name, t] : tensors) {
    torch::Tensor back = read_tensor(a.root(), "params/" + name);
    EXPECT_EQ(back.scalar_type(), t.scalar_type()) << name;
    EXPECT_EQ(back.sizes(), t.sizes()) << name;
    EXPECT_TRUE(torch::equal(back, t)) << name;
  }
  EXPECT_THROW(read_tensor(a.root(), "params/missing"), InputError);
}

}  // namespace
}  // namespace axnn
