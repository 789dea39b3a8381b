#include "models/checkpoint.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "inspect/inspect.h"
#include "inspect/model_view.h"
#include "io/h5.h"
#include "nn/approx_layer.h"
#include "../test_util.h"

namespace axnn::models {
namespace {

Checkpoint trained_lenet() {
  torch::manual_seed(4);
  ModelOptions o;
  o.in_channels = 1;
  o.image_size = 28;
  Checkpoint c{"lenet5", o, build_model("lenet5", o)};
  auto layers = nn::approx_layers(*c.model);
  layers[0].second->set_mode(nn::Mode::Quant);
  layers[1].second->set_mode(nn::Mode::Noise);
  layers[1].second->sigma().data().fill_(0.27);
  layers[2].second->set_mode(nn::Mode::Approx);
  layers[2].second->set_lut(torch::randint(-5000, 5000, {256, 256}, torch::kInt32), "random");
  c.model->train();  // one step of BatchNorm statistics and activation observers
  c.model->forward(torch::randn({8, 1, 28, 28}));
  c.model->eval();
  c.history = nlohmann::json::array({{{"epoch", 1}, {"loss", 0.5}}});
  return c;
}

TEST(Checkpoint, RoundTripPreservesOutputsModesAndTables) {
  test::TempDir dir;
  Checkpoint c = trained_lenet();
  torch::Tensor x = torch::randn({4, 1, 28, 28});
  torch::Tensor before = c.model->forward(x);
  save_checkpoint(dir.file("m.h5"), c, Provenance{});
  Checkpoint back = load_checkpoint(dir.file("m.h5"));
  back.model->eval();
  EXPECT_EQ(back.arch, "lenet5");
  EXPECT_TRUE(torch::equal(back.model->forward(x), before));
  auto layers = nn::approx_layers(*back.model);
  EXPECT_EQ(layers[0].second->mode(), nn::Mode::Quant);
  EXPECT_EQ(layers[2].second->mode(), nn::Mode::Approx);
  EXPECT_EQ(layers[2].second->multiplier(), "random");
  EXPECT_FLOAT_EQ(layers[1].second->sigma().item<float>(), 0.27f);
  EXPECT_EQ(back.history[0]["epoch"], 1);
  Artifact a = Artifact::open(dir.file("m.h5"), kModelKind, kModelSchemaVersion);
  H5::Group g = a.root().openGroup("layers/conv2");
  EXPECT_EQ(h5::read_int_attr(g, "fan_in"), 150);
  EXPECT_EQ(h5::read_int_attr(g, "opcount"), 150 * 16 * 10 * 10);
  EXPECT_FALSE(h5::exists(a.root(), "layers/conv1/lut"));  // exact tables are not stored
  EXPECT_FALSE(h5::exists(a.root(), "layers/conv1/error_offset"));  // no bias compensation

  inspect::register_model_view();
  nlohmann::json d = inspect::describe(dir.file("m.h5"));
  ASSERT_EQ(d["tables"].size(), 1u);
  const auto& rows = d["tables"][0]["rows"];
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[2][0], "fc1");
  EXPECT_EQ(rows[2][5], "approx");
  EXPECT_EQ(rows[2][8], "random");
}

TEST(Checkpoint, BiasCompensationIsStoredWithItsLayer) {
  test::TempDir dir;
  Checkpoint c = trained_lenet();
  auto layers = nn::approx_layers(*c.model);
  torch::Tensor offset = torch::linspace(-5, 5, 120);  // fc1: 120 outputs
  layers[2].second->set_error_offset(offset);
  torch::Tensor x = torch::randn({4, 1, 28, 28});
  c.model->eval();
  torch::Tensor before = c.model->forward(x);
  save_checkpoint(dir.file("m.h5"), c, Provenance{});
  Checkpoint back = load_checkpoint(dir.file("m.h5"));
  back.model->eval();
  EXPECT_TRUE(torch::equal(nn::approx_layers(*back.model)[2].second->error_offset(), offset));
  EXPECT_EQ(nn::approx_layers(*back.model)[0].second->error_offset().numel(), 0);
  EXPECT_TRUE(torch::equal(back.model->forward(x), before));
  // An offset of the wrong length is named.
  {
    H5::H5File f(dir.file("m.h5"), H5F_ACC_RDWR);
    f.unlink("layers/fc1/error_offset");
    h5::write_dataset(*static_cast<H5::Group*>(&f), "layers/fc1/error_offset", std::vector<float>(7, 1.0f), {7}, {});
  }
  try {
    load_checkpoint(dir.file("m.h5"));
    FAIL() << "a 7-value offset for a 120-channel layer was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("layers/fc1/error_offset"), std::string::npos) << e.what();
  }
}

TEST(Checkpoint, MissingOrForeignTensorsAreNamed) {
  test::TempDir dir;
  Checkpoint c = trained_lenet();
  save_checkpoint(dir.file("m.h5"), c, Provenance{});
  {
    H5::H5File f(dir.file("m.h5"), H5F_ACC_RDWR);
    f.unlink("params/fc2.weight");
  }
  try {
    load_checkpoint(dir.file("m.h5"));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("fc2.weight"), std::string::npos) << e.what();
  }
  save_checkpoint(dir.file("n.h5"), c, Provenance{});
  {
    H5::H5File f(dir.file("n.h5"), H5F_ACC_RDWR);
    H5::Group root = f.openGroup("/");
    h5::write_dataset(root, "params/extra.weight", std::vector<float>{1, 2}, {2});
  }
  try {
    load_checkpoint(dir.file("n.h5"));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("params/extra.weight does not belong to a lenet5 model"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace axnn::models
