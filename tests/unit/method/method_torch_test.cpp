// The method's torch steps: the noise term, sampling, deploy.
#include <gtest/gtest.h>

#include "core/error.h"
#include "method/deploy.h"
#include "method/noise.h"
#include "method/sampling.h"
#include "method/step_configs.h"
#include "multipliers/families.h"
#include "nn/approx_layer.h"

namespace axnn::method {
namespace {

models::Checkpoint lenet() {
  torch::manual_seed(3);
  models::ModelOptions o;
  o.in_channels = 1;
  o.image_size = 28;
  models::Checkpoint c{"lenet5", o, models::build_model("lenet5", o)};
  for (auto& [name, layer] : nn::approx_layers(*c.model)) layer->set_mode(nn::Mode::Quant);
  return c;
}

data::Dataset random_dataset(int64_t n) {
  data::Dataset d;
  d.name = "random";
  for (int i = 0; i < 10; ++i) d.classes.push_back(std::to_string(i));
  d.train.n = n, d.train.c = 1, d.train.h = d.train.w = 28;
  std::mt19937_64 rng(5);
  for (int64_t i = 0; i < n * 28 * 28; ++i) d.train.images.push_back(static_cast<uint8_t>(rng() % 256));
  for (int64_t i = 0; i < n; ++i) d.train.labels.push_back(static_cast<int32_t>(i % 10));
  d.mean = {0.5};
  d.std = {0.3};
  return d;
}

TEST(Noise, TermGradientReachesEverySigma) {
  models::Checkpoint c = lenet();
  start_noise(c, 0.1, select_layers(*c.model, {"all"}));
  train::ExtraLoss extra = noise_term(c, 0.2, 0.5);
  extra.term().backward();
  auto layers = nn::approx_layers(*c.model);
  double shares = 0;
  for (auto& [name, layer] : layers) {
    EXPECT_EQ(layer->mode(), nn::Mode::Noise);
    ASSERT_TRUE(layer->sigma().grad().defined()) << name;
    const double g = layer->sigma().grad().item<double>();
    EXPECT_LT(g, 0) << name;  // raising sigma lowers the loss
    shares += -g / 0.2;
  }
  EXPECT_NEAR(shares, 1.0, 1e-6);  // the gradients are -lambda * ops share
  // Above sigma_max the term is flat.
  layers[0].second->sigma().grad().zero_();
  layers[0].second->sigma().data().fill_(0.7);
  extra.term().backward();
  EXPECT_EQ(layers[0].second->sigma().grad().item<double>(), 0.0);
  EXPECT_TRUE(extra.log().contains("mean_sigma"));
}

TEST(Noise, ModulesSelectLayersByAliasOrName) {
  models::Checkpoint c = lenet();
  EXPECT_EQ(select_layers(*c.model, {"conv"}).size(), 2u);
  EXPECT_EQ(select_layers(*c.model, {"linear"}).size(), 3u);
  EXPECT_EQ(select_layers(*c.model, {"all"}).size(), 5u);
  EXPECT_THROW(select_layers(*c.model, {"depthwise"}), ConfigError);  // LeNet-5 has none
  const auto names = select_layers(*c.model, {"conv"});
  EXPECT_EQ(select_layers(*c.model, {names[1], "conv"}), (std::vector<std::string>{names[1], names[0]}));
  EXPECT_THROW(select_layers(*c.model, {"nonesuch"}), ConfigError);
  start_noise(c, 0.2, {names[0]});
  auto layers = nn::approx_layers(*c.model);
  EXPECT_EQ(layers[0].second->mode(), nn::Mode::Noise);
  EXPECT_EQ(layers[1].second->mode(), nn::Mode::Quant);
  EXPECT_EQ(layers[1].second->sigma().item<double>(), 0.0);
  train::ExtraLoss extra = noise_term(c, 1.0, 0.5);
  extra.term().backward();
  EXPECT_FALSE(layers[1].second->sigma().grad().defined());
}

TEST(Noise, CrossEntropyGradientReachesSigmaThroughTheNoise) {
  models::Checkpoint c = lenet();
  start_noise(c, 0.3, select_layers(*c.model, {"all"}));
  c.model->train();
  torch::Tensor x = torch::randn({8, 1, 28, 28});
  torch::nn::functional::cross_entropy(c.model->forward(x), torch::arange(8) % 10).backward();
  for (auto& [name, layer] : nn::approx_layers(*c.model)) {
    ASSERT_TRUE(layer->sigma().grad().defined()) << name;
    EXPECT_NE(layer->sigma().grad().item<double>(), 0.0) << name;
  }
}

nlohmann::json sample_config(int64_t images, int64_t max_rows) {
  return config::resolve(sample_spec(), {{"images", images}, {"max_rows", max_rows}, {"batch_size", 3}}, "test");
}

TEST(Sampling, RecordsBoundedRowsAndIsSeeded) {
  models::Checkpoint c = lenet();
  data::Dataset d = random_dataset(20);
  Refs a = sample_refs(c, d, sample_config(7, 500), 1);
  ASSERT_EQ(a.layers.size(), 5u);
  EXPECT_EQ(a.images, 7);
  const LayerRefs& conv1 = a.layers[0];
  EXPECT_EQ(conv1.fan_in, 25);
  EXPECT_EQ(conv1.rows_seen, 7 * 28 * 28);  // pad 2 keeps 28x28 positions
  EXPECT_EQ(conv1.kept(), 500);
  EXPECT_EQ(conv1.opcount, 25 * 6 * 28 * 28);
  int64_t act_total = 0;
  for (int64_t v : conv1.act_hist) act_total += v;
  EXPECT_EQ(act_total, 7 * 28 * 28 * 25);
  EXPECT_GT(conv1.act_hist[128], 0);  // padding zeros
  EXPECT_GT(conv1.output_std, 0);
  const LayerRefs& fc3 = a.layers[4];
  EXPECT_EQ(fc3.rows_seen, 7);
  EXPECT_EQ(fc3.kept(), 7);
  EXPECT_EQ(static_cast<int64_t>(fc3.weights.size()), 84 * 10);

  models::Checkpoint c2 = lenet();
  Refs b = sample_refs(c2, d, sample_config(7, 500), 1);
  EXPECT_EQ(a.layers[1].rows, b.layers[1].rows);
  EXPECT_EQ(a.layers[1].output_std, b.layers[1].output_std);
  Refs other = sample_refs(c2, d, sample_config(7, 500), 2);
  EXPECT_NE(a.layers[1].rows, other.layers[1].rows);
}

Matching all_exact_matching(models::Checkpoint& c, const mult::Library& lib) {
  Matching m;
  m.model_hash = "sha256:model";
  for (const auto& mm : lib.multipliers) m.multipliers.push_back(mm.name), m.relative_power.push_back(lib.relative_power(mm));
  for (auto& [name, layer] : nn::approx_layers(*c.model)) {
    LayerMatch l;
    l.name = name;
    l.predicted.assign(m.multipliers.size(), 0);
    l.chosen = static_cast<int>(&lib.exact() - lib.multipliers.data());
    m.layers.push_back(l);
  }
  return m;
}

TEST(Deploy, InstallsTablesAndRefusesAMatchingThatDoesNotFit) {
  const mult::Library lib = mult::build_library("builtin-8s", mult::default_members());
  models::Checkpoint c = lenet();
  Matching m = all_exact_matching(c, lib);
  m.layers[1].chosen = 3;
  EXPECT_THROW(deploy(c, "sha256:other", m, lib, "sha256:lib"), InputError);
  Matching renamed = m;
  renamed.layers[2].name = "conv9";
  try {
    deploy(c, "sha256:model", renamed, lib, "sha256:lib");
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("conv9"), std::string::npos) << e.what();
  }
  deploy(c, "sha256:model", m, lib, "sha256:lib");
  auto layers = nn::approx_layers(*c.model);
  EXPECT_EQ(layers[1].second->multiplier(), lib.multipliers[3].name);
  EXPECT_EQ(layers[1].second->library(), "sha256:lib");
  EXPECT_EQ(layers[1].second->lut()[0][0].item<int32_t>(), lib.multipliers[3].lut[0]);
  for (auto& [name, layer] : layers) EXPECT_EQ(layer->mode(), nn::Mode::Approx);
}

}  // namespace
}  // namespace axnn::method
