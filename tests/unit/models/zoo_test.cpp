#include "models/zoo.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "nn/approx_layer.h"

namespace axnn::models {
namespace {

struct Case {
  std::string arch;
  int64_t channels, size, params;  // parameters of the network (weights, biases, BatchNorm affine)
};

// Against published sizes: LeNet-5 61,706 + 44 BatchNorm = 61.75k; CIFAR ResNet-20/32 with option-A
// shortcuts 0.27M/0.46M (He et al. 2016; 269,722 and 464,154 with BatchNorm, as counted by common
// reimplementations); VGG-11/16-BN for CIFAR 9.23M/14.73M in implementations with conv biases, which
// ours omit before BatchNorm (2,752 / 4,224 fewer); MobileNetV2 with 10 classes 2.24M; the classic
// CIFAR AlexNet-style net 1.76M (conv 64-64, FC 384-192).
const Case kCases[] = {{"lenet5", 1, 28, 61750},      {"resnet8", 3, 32, 75290},     {"resnet14", 3, 32, 172506},
                       {"resnet20", 3, 32, 269722},   {"resnet32", 3, 32, 464154},   {"vgg11", 3, 32, 9228362},
                       {"vgg16", 3, 32, 14724042},    {"mobilenetv2", 3, 32, 2236682}, {"alexnet", 3, 32, 1756426}};

TEST(Zoo, ParameterCounts) {
  for (const auto& c : kCases) {
    ModelOptions o;
    o.in_channels = c.channels;
    o.image_size = c.size;
    auto m = build_model(c.arch, o);
    EXPECT_EQ(parameter_count(*m), c.params) << c.arch;
  }
}

TEST(Zoo, EveryModelRunsForwardAndBackwardInEveryMode) {
  torch::manual_seed(0);
  for (const auto& c : kCases) {
    ModelOptions o;
    o.in_channels = c.channels;
    o.image_size = c.size;
    auto m = build_model(c.arch, o);
    auto layers = nn::approx_layers(*m);
    ASSERT_FALSE(layers.empty()) << c.arch;
    torch::Tensor x = torch::randn({2, c.channels, c.size, c.size});
    torch::Tensor target = torch::tensor({1, 7});
    for (nn::Mode mode : {nn::Mode::Baseline, nn::Mode::Quant, nn::Mode::Noise, nn::Mode::Approx}) {
      for (auto& [name, layer] : layers) layer->set_mode(mode);
      m->train();
      m->zero_grad();
      torch::Tensor logits = m->forward(x);
      ASSERT_EQ(logits.sizes(), (torch::IntArrayRef{2, 10})) << c.arch;
      torch::nn::functional::cross_entropy(logits, target).backward();
      auto first = layers.front().second;
      auto* weight = first->named_parameters(false).find("weight");
      ASSERT_NE(weight, nullptr);
      ASSERT_TRUE(weight->grad().defined()) << c.arch << " " << nn::mode_name(mode);
      EXPECT_TRUE(torch::isfinite(weight->grad()).all().item<bool>()) << c.arch << " " << nn::mode_name(mode);
    }
  }
}

TEST(Zoo, EveryConvAndLinearIsApproximate) {
  auto m = build_model("mobilenetv2", {});
  int depthwise = 0;
  for (const auto& item : m->named_modules()) {
    EXPECT_EQ(std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(item.value()), nullptr) << item.key();
    EXPECT_EQ(std::dynamic_pointer_cast<torch::nn::LinearImpl>(item.value()), nullptr) << item.key();
    if (auto c = std::dynamic_pointer_cast<nn::ApproxConv2dImpl>(item.value()))
      depthwise += c->options.groups() > 1 && c->options.groups() == c->options.in_channels();
  }
  EXPECT_EQ(depthwise, 17);
}

TEST(Zoo, UnknownArchitecturesAndBadOptionsAreUsageErrors) {
  EXPECT_THROW(build_model("resnet9", {}), UsageError);
  EXPECT_THROW(build_model("transformer", {}), UsageError);
  ModelOptions tiny;
  tiny.image_size = 16;
  EXPECT_THROW(build_model("lenet5", tiny), UsageError);
  EXPECT_EQ(options_from_json(to_json(tiny)).image_size, 16);
}

}  // namespace
}  // namespace axnn::models
