// BatchNorm adaptation against oracles: torch's own BatchNorm over the whole image set in one batch,
// the exact statistics of the first BatchNorm's inputs, nothing else changed, and no effect without
// BatchNorm.
#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <random>

#include "core/error.h"
#include "method/bn_adaptation.h"
#include "nn/approx_layer.h"
#include "nn/batch_norm.h"
#include "method_fixtures.h"

namespace axnn::method {
namespace {

models::Checkpoint lenet_quant() {
  models::Checkpoint c = test::quant_lenet(7);
  for (auto& [name, layer] : nn::approx_layers(*c.model)) layer->act_max().fill_(3.0);
  return c;
}

data::Dataset random_images(int64_t n) { return test::random_dataset(n, 11); }

// The images adapt_batchnorm draws, normalised as the loader does.
torch::Tensor drawn(const data::Dataset& d, int64_t n, uint64_t seed) {
  const data::Split s = data::seeded_subset(d.train, n, seed);
  torch::Tensor x = torch::from_blob(const_cast<uint8_t*>(s.images.data()), {s.n, 1, 28, 28}, torch::kUInt8).to(torch::kFloat);
  return (x / 255.0 - 0.5) / 0.3;
}

std::map<std::string, torch::Tensor> state(models::Model& m) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : m.named_parameters()) out[p.key()] = p.value().detach().clone();
  for (const auto& b : m.named_buffers()) out[b.key()] = b.value().detach().clone();
  return out;
}

TEST(BnAdaptation, OneBatchEqualsTorchBatchNormOverTheWholeSet) {
  const data::Dataset d = random_images(40);
  models::Checkpoint c = lenet_quant();
  models::Checkpoint oracle = lenet_quant();
  BnAdaptationOptions o;
  o.images = 30, o.batch_size = 30, o.seed = 4;
  const BnAdaptationResult r = adapt_batchnorm(*c.model, d, "random.h5", o, torch::kCPU);
  EXPECT_EQ(r.layers, 2);
  EXPECT_EQ(r.images, 30);
  // Oracle: torch's BatchNorm in train mode with momentum 1 over all 30 images in one batch.
  torch::NoGradGuard no_grad;
  oracle.model->eval();
  for (const auto& m : oracle.model->modules())
    if (auto* bn = dynamic_cast<nn::BatchNorm2dImpl*>(m.get())) {
      bn->options.momentum(1.0);
      bn->train();
    }
  oracle.model->forward(drawn(d, 30, 4));
  auto a = state(*c.model), b = state(*oracle.model);
  for (const char* key : {"bn1.running_mean", "bn1.running_var", "bn2.running_mean", "bn2.running_var"})
    EXPECT_TRUE(torch::allclose(a[key], b[key], 1e-4, 1e-5)) << key << "\n" << a[key] << "\n" << b[key];
}

TEST(BnAdaptation, FirstLayerStatisticsAreExactOverBatches) {
  const data::Dataset d = random_images(50);
  models::Checkpoint c = lenet_quant();
  auto layers = nn::approx_layers(*c.model);
  BnAdaptationOptions o;
  o.images = 37, o.batch_size = 8, o.seed = 2;  // batches of 8, 8, 8, 8, 5
  adapt_batchnorm(*c.model, d, "random.h5", o, torch::kCPU);
  torch::NoGradGuard no_grad;
  // bn1's input is conv1's output, whatever the batching: its exact mean and unbiased variance.
  torch::Tensor y = layers[0].second->as<nn::ApproxConv2dImpl>()->forward(drawn(d, 37, 2)).to(torch::kDouble);
  torch::Tensor mean = y.mean({0, 2, 3}), var = y.var({0, 2, 3}, /*unbiased=*/true);
  auto s = state(*c.model);
  EXPECT_TRUE(torch::allclose(s["bn1.running_mean"].to(torch::kDouble), mean, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(s["bn1.running_var"].to(torch::kDouble), var, 1e-5, 1e-6));
}

TEST(BnAdaptation, ChangesOnlyTheRunningStatisticsAndIsSeeded) {
  const data::Dataset d = random_images(40);
  models::Checkpoint c = lenet_quant(), again = lenet_quant(), other = lenet_quant();
  const auto before = state(*c.model);
  BnAdaptationOptions o;
  o.images = 20, o.batch_size = 6, o.seed = 9;
  adapt_batchnorm(*c.model, d, "random.h5", o, torch::kCPU);
  adapt_batchnorm(*again.model, d, "random.h5", o, torch::kCPU);
  o.seed = 10;
  adapt_batchnorm(*other.model, d, "random.h5", o, torch::kCPU);
  const auto after = state(*c.model), repeat = state(*again.model), reseeded = state(*other.model);
  EXPECT_FALSE(c.model->is_training());
  for (const auto& [key, t] : before) {
    const bool running = key.find("running_") != std::string::npos;
    EXPECT_EQ(torch::equal(t, after.at(key)), !running) << key;  // statistics moved, nothing else did
    EXPECT_TRUE(torch::equal(after.at(key), repeat.at(key))) << key;
    if (running) {
      EXPECT_FALSE(torch::equal(after.at(key), reseeded.at(key))) << key;
    }
  }
}

struct NoBatchNorm : models::Model {
  NoBatchNorm() : conv(register_module("conv", nn::ApproxConv2d(torch::nn::Conv2dOptions(1, 2, 3)))) {}
  torch::Tensor forward(torch::Tensor x) override { return conv(x).flatten(1); }
  nn::ApproxConv2d conv;
};

TEST(BnAdaptation, NoEffectWithoutBatchNormOrWithZeroImages) {
  const data::Dataset d = random_images(10);
  NoBatchNorm plain;
  const auto before = state(plain);
  EXPECT_EQ(count_batchnorm(plain), 0);
  EXPECT_EQ(adapt_batchnorm(plain, d, "random.h5", {}, torch::kCPU).layers, 0);
  for (const auto& [key, t] : state(plain)) EXPECT_TRUE(torch::equal(t, before.at(key))) << key;
  models::Checkpoint c = lenet_quant();
  const auto lenet_before = state(*c.model);
  BnAdaptationOptions off;
  off.images = 0;
  EXPECT_EQ(adapt_batchnorm(*c.model, d, "random.h5", off, torch::kCPU).layers, 0);
  for (const auto& [key, t] : state(*c.model)) EXPECT_TRUE(torch::equal(t, lenet_before.at(key))) << key;
}

struct ConvBatchNorm : models::Model {
  ConvBatchNorm()
      : conv(register_module("conv", nn::ApproxConv2d(torch::nn::Conv2dOptions(1, 2, 3)))),
        bn(register_module("bn", nn::BatchNorm2d(2))) {}
  torch::Tensor forward(torch::Tensor x) override { return bn(conv(x)).flatten(1); }
  nn::ApproxConv2d conv;
  nn::BatchNorm2d bn;
};

TEST(BnAdaptation, NonFiniteStatisticsAreAnErrorNamingTheLayer) {
  const data::Dataset d = random_images(10);
  ConvBatchNorm m;
  {
    torch::NoGradGuard no_grad;
    m.conv->weight.fill_(std::numeric_limits<float>::infinity());
  }
  BnAdaptationOptions o;
  o.images = 10;
  try {
    adapt_batchnorm(m, d, "random.h5", o, torch::kCPU);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("non-finite statistics in layer bn"), std::string::npos) << e.what();
  }
}

TEST(BnAdaptation, MoreImagesThanTheSplitIsAnInputErrorNamingTheSetting) {
  const data::Dataset d = random_images(10);
  models::Checkpoint c = lenet_quant();
  BnAdaptationOptions o;
  o.images = 11;
  try {
    adapt_batchnorm(*c.model, d, "random.h5", o, torch::kCPU);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bn_adaptation.images"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("random.h5"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace axnn::method
