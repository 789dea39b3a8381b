#include "nn/quantize.h"

#include <gtest/gtest.h>

namespace axnn::nn {
namespace {

TEST(Quantize, FakeQuantRoundsClampsAndPassesGradientsStraightThrough) {
  torch::Tensor x = torch::tensor({-3.0f, -1.26f, 0.0f, 0.004f, 0.6f, 5.0f}, torch::requires_grad());
  torch::Tensor s = torch::tensor(0.01f);
  torch::Tensor q = fake_quant(x, s);
  torch::Tensor want = torch::tensor({-1.27f, -1.26f, 0.0f, 0.0f, 0.6f, 1.27f});
  EXPECT_TRUE(torch::allclose(q, want, 1e-6, 1e-6));
  q.sum().backward();
  EXPECT_TRUE(torch::equal(x.grad(), torch::ones_like(x)));
  torch::Tensor i = quantize_int8(x, s);
  EXPECT_EQ(i.scalar_type(), torch::kInt8);
  EXPECT_EQ(i[0].item<int>(), -127);
  EXPECT_EQ(i[5].item<int>(), 127);
}

TEST(Quantize, FakeQuantSupportsDoubleBackward) {
  torch::Tensor x = torch::randn({5}, torch::requires_grad());
  torch::Tensor y = fake_quant(x, torch::tensor(0.05f)).pow(3).sum();
  torch::Tensor g = torch::autograd::grad({y}, {x}, {}, true, true)[0];
  torch::Tensor h = torch::autograd::grad({g.sum()}, {x})[0];
  EXPECT_TRUE(h.defined());
  EXPECT_GT(h.abs().sum().item<float>(), 0.0f);
}

TEST(Quantize, WeightScalesPerTensorAndPerChannel) {
  torch::Tensor w = torch::tensor({{1.0f, -2.54f}, {0.5f, 0.25f}}).reshape({2, 2, 1, 1});
  EXPECT_FLOAT_EQ(weight_scale(w, false).item<float>(), 2.54f / 127.0f);
  torch::Tensor pc = weight_scale(w, true);
  EXPECT_EQ(pc.sizes(), (torch::IntArrayRef{2, 1, 1, 1}));
  EXPECT_FLOAT_EQ(pc[0].item<float>(), 2.54f / 127.0f);
  EXPECT_FLOAT_EQ(pc[1].item<float>(), 0.5f / 127.0f);
}

TEST(Quantize, ActivationScaleRunsInTrainingAndFreezesInEval) {
  torch::Tensor running = torch::zeros({});
  ActObserverOptions o;
  o.momentum = 0.5;
  observe_activation_scale(torch::tensor({1.0f, -4.0f}), running, true, o);
  EXPECT_FLOAT_EQ(running.item<float>(), 4.0f);  // first batch sets it
  observe_activation_scale(torch::tensor({2.0f}), running, true, o);
  EXPECT_FLOAT_EQ(running.item<float>(), 3.0f);  // 0.5 * 4 + 0.5 * 2
  torch::Tensor s = observe_activation_scale(torch::tensor({100.0f}), running, false, o);
  EXPECT_FLOAT_EQ(running.item<float>(), 3.0f);  // frozen in eval
  EXPECT_FLOAT_EQ(s.item<float>(), 3.0f / 127.0f);
  torch::Tensor fresh = torch::zeros({});
  o.percentile = 50.0;
  observe_activation_scale(torch::arange(1, 102, torch::kFloat), fresh, true, o);
  EXPECT_FLOAT_EQ(fresh.item<float>(), 51.0f);  // median of 1..101
}

}  // namespace
}  // namespace axnn::nn
