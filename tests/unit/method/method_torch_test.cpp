// The method's torch steps: the noise term, sampling, deploy.
#include <gtest/gtest.h>

#include "core/error.h"
#include "method/deploy.h"
#include "method/hessian.h"
#include "method/noise.h"
#include "method/sampling.h"
#include "method/step_configs.h"
#include "multipliers/families.h"
#include "nn/approx_layer.h"
#include "train/loader.h"
#include "method_fixtures.h"

namespace axnn::method {
namespace {

models::Checkpoint lenet() { return test::quant_lenet(3); }
data::Dataset random_dataset(int64_t n) { return test::random_dataset(n, 5); }

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

SampleSettings sample_config(int64_t images, int64_t max_rows) {
  return SampleSettings::from(
      config::resolve(sample_spec(), {{"images", images}, {"max_rows", max_rows}, {"batch_size", 3}}, "test"));
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
  for (auto& [name, layer] : layers) EXPECT_EQ(layer->error_offset().numel(), 0);
}

TEST(Deploy, BiasCompensationTakesTheChosenTablesChannelErrors) {
  const mult::Library lib = mult::build_library("builtin-8s", mult::default_members());
  models::Checkpoint c = lenet();
  Matching m = all_exact_matching(c, lib);
  // Without per-channel errors (an older matching) compensation is refused, naming the layer.
  try {
    deploy(c, "sha256:model", m, lib, "sha256:lib", true);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("conv1"), std::string::npos) << e.what();
  }
  auto layers = nn::approx_layers(*c.model);
  for (size_t i = 0; i < m.layers.size(); ++i) {
    const int64_t channels = layers[i].second->named_parameters(false)["weight"].size(0);
    for (size_t j = 0; j < m.multipliers.size(); ++j)
      m.layers[i].channel_mean_error.emplace_back(static_cast<size_t>(channels), static_cast<double>(j) + 0.5);
  }
  m.layers[1].chosen = 3;
  deploy(c, "sha256:model", m, lib, "sha256:lib", true);
  EXPECT_TRUE(torch::allclose(layers[1].second->error_offset(), torch::full({16}, 3.5)));
  m.layers[0].channel_mean_error[m.layers[0].chosen].pop_back();  // one channel short
  EXPECT_THROW(deploy(c, "sha256:model", m, lib, "sha256:lib", true), InputError);
}

TEST(Hutchinson, ConvergesToTheTraceOfAKnownHessian) {
  // loss(x) = 0.5 x^T A x: H = A. Two groups (two blocks of A), each checked against its trace.
  torch::manual_seed(1);
  const int64_t n = 60;
  torch::Tensor a = torch::diag(torch::linspace(0.5, 8.0, n, torch::kDouble)) + 0.05 * torch::randn({n, n}, torch::kDouble);
  a = (a + a.t()) / 2;
  torch::Tensor x = torch::randn({n}, torch::kDouble).requires_grad_(true);
  HutchinsonSample sample = [&](torch::Generator& rng) {
    torch::Tensor loss = 0.5 * x.dot(a.mv(x));
    torch::Tensor g = torch::autograd::grad({loss}, {x}, {}, true, true)[0];
    torch::Tensor v = rademacher(x, rng);
    torch::Tensor hv = torch::autograd::grad({(g * v).sum()}, {x})[0];
    torch::Tensor vhv = v * hv;
    return std::vector<double>{vhv.slice(0, 0, 20).sum().item<double>(), vhv.slice(0, 20).sum().item<double>()};
  };
  HutchinsonOptions o;
  o.max_iterations = 2000;
  o.tolerance = 1e-5;
  o.min_iterations = 50;
  HutchinsonResult r = hutchinson(sample, o);
  EXPECT_TRUE(r.converged);
  EXPECT_LT(r.iterations, o.max_iterations);  // the tolerance stopped it
  const double t1 = a.diag().slice(0, 0, 20).sum().item<double>(), t2 = a.diag().slice(0, 20).sum().item<double>();
  EXPECT_NEAR(r.mean[0], t1, 0.02 * t1);
  EXPECT_NEAR(r.mean[1], t2, 0.02 * t2);
  EXPECT_GT(r.standard_error[0], 0);
  o.tolerance = 0;  // never satisfied: the cap stops it
  o.max_iterations = 37;
  r = hutchinson(sample, o);
  EXPECT_FALSE(r.converged);
  EXPECT_EQ(r.iterations, 37);
}

TEST(Hessian, LastLayerOutputTraceIsTheMeanSoftmaxCurvature) {
  // For the logits y of one image, CE's Hessian is diag(p) - p p^T with trace 1 - |p|^2; the output
  // trace is normalised as the mean over images, so for the last layer it must equal mean(1 - |p|^2).
  models::Checkpoint c = lenet();
  data::Dataset d = random_dataset(24);
  c.model->train();
  c.model->forward(torch::randn({8, 1, 28, 28}));  // activation scales for quant mode
  nlohmann::json cfg = config::resolve(sensitivity_spec(), {{"samples", 24}, {"batch_size", 8}, {"max_iterations", 120},
                                                            {"tolerance", 0.0}}, "test");
  const Sensitivity s = hessian_sensitivity(c, d, SensitivitySettings::from(cfg), 2, torch::kCPU);
  ASSERT_EQ(s.layers.size(), 5u);
  EXPECT_EQ(s.iterations, 120);
  train::LoaderOptions lo;
  lo.shuffle = false;
  lo.batch_size = 24;
  const data::Split images = data::seeded_subset(d.train, 24, 2);
  train::BatchLoader loader(images, d.mean, d.std, lo);
  torch::Tensor x, y;
  loader.start_epoch(0);
  loader.next(x, y);
  torch::NoGradGuard no_grad;
  c.model->eval();
  torch::Tensor p = torch::softmax(c.model->forward(x), 1);
  const double expected = (1 - p.square().sum(1)).mean().item<double>();
  EXPECT_NEAR(s.layers[4].output_trace, expected, 0.05 * expected);
  EXPECT_LT(s.layers[4].output_trace_se, 0.05 * expected);
  for (const auto& l : s.layers) {
    EXPECT_GT(l.weight_trace, 0) << l.name;
    EXPECT_GT(l.output_scale, 0) << l.name;
  }
}

}  // namespace
}  // namespace axnn::method
