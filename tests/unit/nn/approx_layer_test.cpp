#include "nn/approx_layer.h"

#include <gtest/gtest.h>

#include <sstream>

#include "core/error.h"
#include "multipliers/families.h"

namespace axnn::nn {
namespace {

namespace F = torch::nn::functional;

// Quantized operands as integer-valued floats, and their scales, as the layer computes them.
struct Quantized {
  torch::Tensor xi, wi, s_a, s_w;
};

Quantized quantized(ApproxLayer& layer, const torch::Tensor& x, const torch::Tensor& w) {
  torch::Tensor s_a = torch::clamp_min(layer.act_max(), 1e-12) / kQMax;
  torch::Tensor s_w = weight_scale(w, layer.quant.per_channel_weights);
  return {quantize_int8(x, s_a).to(torch::kFloat), quantize_int8(w, s_w).to(torch::kFloat), s_a, s_w};
}

ApproxConv2d make_conv(int64_t groups = 1, int64_t stride = 1, int64_t dilation = 1) {
  torch::manual_seed(0);
  ApproxConv2d conv(torch::nn::Conv2dOptions(4, 6, 3).padding(1).groups(groups).stride(stride).dilation(dilation));
  conv->eval();
  conv->act_max().fill_(2.5);
  return conv;
}

TEST(ApproxConv, ExactTableEqualsIntegerConvAndRescaledMatchesQuantMode) {
  for (auto [groups, stride, dilation] : {std::tuple{1, 1, 1}, {2, 2, 1}, {1, 1, 2}}) {
    ApproxConv2d conv = make_conv(groups, stride, dilation);
    torch::Tensor x = torch::randn({2, 4, 9, 7});
    conv->set_mode(Mode::Approx);
    torch::Tensor y_approx = conv->forward(x);
    conv->set_mode(Mode::Quant);
    torch::Tensor y_quant = conv->forward(x);
    // Integer conv of the quantized operands, in float64 (exact for these sizes).
    Quantized q = quantized(*conv, x, conv->weight);
    torch::Tensor yi = F::conv2d(q.xi.to(torch::kDouble), q.wi.to(torch::kDouble),
                                 F::Conv2dFuncOptions().padding(1).groups(groups).stride(stride).dilation(dilation));
    torch::Tensor expect = (yi * (q.s_a * q.s_w).to(torch::kDouble)).to(torch::kFloat) + conv->bias.reshape({1, -1, 1, 1});
    EXPECT_TRUE(torch::allclose(y_approx, expect, 1e-5, 1e-5)) << groups << stride << dilation;
    EXPECT_TRUE(torch::allclose(y_approx, y_quant, 1e-4, 1e-4));
  }
}

TEST(ApproxConv, ApproxModeUsesTheTable) {
  ApproxConv2d conv = make_conv();
  torch::Tensor x = torch::randn({1, 4, 5, 5});
  conv->set_mode(Mode::Approx);
  torch::Tensor exact = conv->forward(x);
  torch::Tensor lut = torch::arange(-128, 128, torch::kInt32).unsqueeze(1) * torch::arange(-128, 128, torch::kInt32).unsqueeze(0);
  conv->set_lut(lut + 1, "plus_one");  // every product +1: every output + fan_in * s_a * s_w
  torch::Tensor shifted = conv->forward(x);
  Quantized q = quantized(*conv, x, conv->weight);
  torch::Tensor delta = (shifted - exact) / (q.s_a * q.s_w);
  EXPECT_TRUE(torch::allclose(delta, torch::full_like(delta, 36.0), 1e-3, 1e-3));  // 4 * 3 * 3 taps, padding included
  EXPECT_EQ(conv->multiplier(), "plus_one");
}

TEST(ApproxConv, ApproxGradientsEqualQuantGradients) {
  // Straight-through: approx mode's gradients are those of the exact op on the fake-quantized
  // operands. With a linear loss the upstream gradient is the same in both modes, so the input and
  // weight gradients must be identical even though the forward values differ (coarse table).
  ApproxConv2d conv = make_conv();
  conv->train();
  conv->quant.activations.momentum = 0.0;  // keep the activation scale fixed
  torch::Tensor lut = torch::arange(-128, 128, torch::kInt32).unsqueeze(1) * torch::arange(-128, 128, torch::kInt32).unsqueeze(0);
  conv->set_lut(torch::div(lut, 64, "floor") * 64, "coarse");
  torch::Tensor x = torch::randn({2, 4, 6, 6}, torch::requires_grad());
  auto grads = [&](Mode m) {
    conv->zero_grad();
    if (x.grad().defined()) x.grad().zero_();
    conv->set_mode(m);
    torch::Tensor y = conv->forward(x);
    y.sum().backward();
    return std::tuple{y.detach(), x.grad().clone(), conv->weight.grad().clone()};
  };
  auto [y_q, gx_q, gw_q] = grads(Mode::Quant);
  auto [y_a, gx_a, gw_a] = grads(Mode::Approx);
  EXPECT_FALSE(torch::allclose(y_q, y_a)) << "the coarse table must change the forward pass";
  EXPECT_TRUE(torch::equal(gx_q, gx_a));
  EXPECT_TRUE(torch::equal(gw_q, gw_a));
  EXPECT_GT(gx_a.abs().sum().item<float>(), 0);
}

TEST(ApproxConv, NoiseModeTrainsSigmaAndEvalIsQuiet) {
  ApproxConv2d conv = make_conv();
  conv->set_mode(Mode::Noise);
  torch::Tensor x = torch::randn({2, 4, 6, 6});
  conv->train();
  torch::Tensor y1 = conv->forward(x);
  y1.pow(2).mean().backward();
  ASSERT_TRUE(conv->sigma().grad().defined());
  EXPECT_NE(conv->sigma().grad().item<float>(), 0.0f);
  torch::Tensor y2 = conv->forward(x);
  EXPECT_FALSE(torch::equal(y1, y2)) << "training noise is random";
  conv->eval();
  torch::Tensor e1 = conv->forward(x), e2 = conv->forward(x);
  EXPECT_TRUE(torch::equal(e1, e2));
  conv->set_mode(Mode::Quant);
  EXPECT_TRUE(torch::equal(conv->forward(x), e1)) << "eval noise mode = quant mode";
}

TEST(ApproxLinear, ExactTableMatchesIntegerMatmulAndRecordsOperands) {
  torch::manual_seed(1);
  ApproxLinear fc(torch::nn::LinearOptions(33, 7));
  fc->eval();
  fc->act_max().fill_(3.0);
  fc->set_mode(Mode::Approx);
  fc->set_recording(true);
  torch::Tensor x = torch::randn({5, 33});
  torch::Tensor y = fc->forward(x);
  Quantized q = quantized(*fc, x, fc->weight);
  torch::Tensor expect = torch::matmul(q.xi.to(torch::kDouble), q.wi.to(torch::kDouble).t());
  EXPECT_TRUE(torch::allclose(y, (expect * (q.s_a * q.s_w).to(torch::kDouble)).to(torch::kFloat) + fc->bias, 1e-5, 1e-5));
  EXPECT_TRUE(torch::equal(fc->recorded().outputs, expect.to(torch::kInt64)));
  EXPECT_EQ(fc->recorded().rows.sizes(), (torch::IntArrayRef{5, 33}));
  EXPECT_EQ(fc->fan_in(), 33);
  EXPECT_EQ(fc->opcount(), 33 * 7);
}

TEST(ApproxLayers, FanInOpcountAndConvRecordingIncludePadding) {
  ApproxConv2d conv = make_conv(2);
  conv->set_mode(Mode::Quant);
  conv->set_recording(true);
  conv->forward(torch::randn({1, 4, 8, 8}));
  EXPECT_EQ(conv->fan_in(), 2 * 3 * 3);
  EXPECT_EQ(conv->opcount(), 18 * 6 * 64);
  const RecordedOperands& r = conv->recorded();
  EXPECT_EQ(r.rows.sizes(), (torch::IntArrayRef{2 * 64, 18}));  // two groups' rows stacked
  EXPECT_EQ(r.outputs.sizes(), (torch::IntArrayRef{64, 6}));
  // Corner position (0, 0): 5 of 9 taps are padding, for each of the group's 2 channels.
  EXPECT_GE(r.rows.select(0, 0).eq(0).sum().item<int64_t>(), 5 * 2);
  // Exact outputs of group 1, channel 3 at position 0 recomputed from the recorded rows.
  int64_t want = (r.rows[64].to(torch::kInt64) * r.weights[3].to(torch::kInt64)).sum().item<int64_t>();
  EXPECT_EQ(r.outputs[0][3].item<int64_t>(), want);
}

TEST(ApproxConv, BiasCompensationTakesTheExpectedErrorOutOfEveryChannel) {
  ApproxConv2d conv = make_conv();
  torch::Tensor x = torch::randn({1, 4, 5, 5});
  conv->set_mode(Mode::Approx);
  torch::Tensor exact = conv->forward(x);
  torch::Tensor lut = torch::arange(-128, 128, torch::kInt32).unsqueeze(1) * torch::arange(-128, 128, torch::kInt32).unsqueeze(0);
  conv->set_lut(lut + 1, "plus_one");  // every output's error: +36 (4 * 3 * 3 taps)
  conv->set_error_offset(torch::full({6}, 36.0));
  EXPECT_TRUE(torch::allclose(conv->forward(x), exact, 1e-4, 1e-4));
  conv->set_error_offset(torch::zeros({0}));  // none again
  EXPECT_FALSE(torch::allclose(conv->forward(x), exact, 1e-4, 1e-4));
  EXPECT_THROW(conv->set_error_offset(torch::zeros({2, 3})), InputError);
  EXPECT_THROW(conv->set_error_offset(torch::full({6}, std::nan(""))), InputError);
  conv->set_mode(Mode::Quant);  // only approx mode compensates
  conv->set_error_offset(torch::full({6}, 1000.0));
  EXPECT_TRUE(torch::allclose(conv->forward(x), exact, 1e-4, 1e-4));
}

TEST(ApproxLayers, ModesScalesAndTablesSurviveSaveLoad) {
  ApproxConv2d conv = make_conv();
  conv->set_mode(Mode::Approx);
  conv->act_max().fill_(1.75);
  conv->sigma().data().fill_(0.33);
  torch::Tensor lut = torch::randint(-1000, 1000, {256, 256}, torch::kInt32);
  conv->set_lut(lut, "random");
  std::stringstream buf;
  torch::save(conv, buf);
  ApproxConv2d back(torch::nn::Conv2dOptions(4, 6, 3).padding(1));
  torch::load(back, buf);
  EXPECT_EQ(back->mode(), Mode::Approx);
  EXPECT_FLOAT_EQ(back->act_max().item<float>(), 1.75f);
  EXPECT_FLOAT_EQ(back->sigma().item<float>(), 0.33f);
  EXPECT_TRUE(torch::equal(back->lut(), lut));
  back->eval();
  torch::Tensor x = torch::randn({1, 4, 5, 5});
  EXPECT_TRUE(torch::equal(back->forward(x), conv->forward(x)));
}

TEST(ApproxLayers, ConvertsModelsAndBack) {
  torch::nn::Sequential net(torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 3, 3).padding(1)), torch::nn::ReLU(),
                            torch::nn::Flatten(), torch::nn::Linear(3 * 4 * 4, 5));
  net->eval();
  torch::Tensor x = torch::randn({2, 1, 4, 4});
  torch::Tensor before = net->forward(x);
  EXPECT_EQ(convert_to_approx(*net), 2);
  auto layers = approx_layers(*net);
  ASSERT_EQ(layers.size(), 2u);
  EXPECT_EQ(layers[0].first, "0");
  EXPECT_TRUE(torch::allclose(net->forward(x), before));  // baseline mode = the original op
  EXPECT_EQ(convert_to_torch(*net), 2);
  EXPECT_TRUE(approx_layers(*net).empty());
  EXPECT_TRUE(torch::allclose(net->forward(x), before));
}

TEST(ApproxLayers, CudaApproxModeEqualsCpu) {
  if (!torch::cuda::is_available() || !kernels::cuda_kernels_built()) GTEST_SKIP() << "no CUDA device or kernels";
  torch::Tensor lut = torch::randint(-20000, 20000, {256, 256}, torch::kInt32);
  for (int64_t groups : {1, 2, 4}) {
    torch::manual_seed(2);
    ApproxConv2d conv(torch::nn::Conv2dOptions(4, 4, 3).padding(1).groups(groups));
    conv->eval();
    conv->act_max().fill_(2.0);
    conv->set_mode(Mode::Approx);
    conv->set_lut(lut, "random");
    torch::Tensor x = torch::randn({3, 4, 9, 9});
    torch::Tensor cpu = conv->forward(x);
    conv->to(torch::kCUDA);
    EXPECT_TRUE(torch::equal(conv->forward(x.to(torch::kCUDA)).cpu(), cpu)) << "groups " << groups;
  }
  ApproxLinear fc(torch::nn::LinearOptions(70, 9));
  fc->eval();
  fc->act_max().fill_(2.0);
  fc->set_mode(Mode::Approx);
  fc->set_lut(lut * 4, "wide");  // beyond int16: the global-memory table path
  torch::Tensor x = torch::randn({33, 70});
  torch::Tensor cpu = fc->forward(x);
  fc->to(torch::kCUDA);
  EXPECT_TRUE(torch::equal(fc->forward(x.to(torch::kCUDA)).cpu(), cpu));
}

TEST(ApproxLayers, CalibrationObservesButComputesInFloat) {
  ApproxLinear fc(16, 5);
  fc->set_mode(Mode::Quant);
  fc->train();
  torch::manual_seed(1);
  torch::Tensor x = torch::randn({8, 16}) * 3;
  fc->set_calibrating(true);
  torch::Tensor y = fc->forward(x);
  EXPECT_TRUE(torch::allclose(y, F::linear(x, fc->weight, fc->bias)));  // float, not fake-quantized
  EXPECT_GT(fc->act_max().item<double>(), 0.0);                        // but the observer saw x
  fc->set_calibrating(false);
  torch::Tensor q = fc->forward(x);
  EXPECT_FALSE(torch::allclose(q, F::linear(x, fc->weight, fc->bias)));
}

TEST(ApproxLayers, ModeNames) {
  EXPECT_EQ(parse_mode("noise"), Mode::Noise);
  EXPECT_EQ(mode_name(Mode::Approx), "approx");
  EXPECT_THROW(parse_mode("fast"), UsageError);
}

}  // namespace
}  // namespace axnn::nn

namespace axnn::nn {
namespace {

torch::Tensor family_table(const std::string& family, int k) {
  mult::FamilyMember m;
  m.family = family;
  m.k = k;
  return torch::tensor(mult::make_multiplier(m).lut, torch::kInt32).reshape({256, 256});
}

// The separable fast path (a float or double op on mapped operands) equals the table kernels bit for
// bit, in every layer geometry, on the float and the double bound.
TEST(SeparableFastPath, EqualsTheTableKernelsExactly) {
  torch::manual_seed(12);
  const torch::Tensor exact = family_table("exact", 0);
  const std::vector<std::pair<std::string, torch::Tensor>> tables = {
      {"otrunc3", family_table("operand_truncation", 3)}, {"drum4", family_table("drum", 4)},
      {"exact", exact}, {"exact x 3000 (double)", exact * 3000}};
  std::vector<std::pair<std::shared_ptr<ApproxLayer>, torch::Tensor>> layers = {
      {ApproxConv2d(torch::nn::Conv2dOptions(4, 6, 3).padding(1)).ptr(), torch::randn({2, 4, 9, 7}) * 3},
      {ApproxConv2d(torch::nn::Conv2dOptions(4, 6, 3).padding(2).stride(2).groups(2).dilation(2)).ptr(), torch::randn({3, 4, 9, 8})},
      {ApproxConv2d(torch::nn::Conv2dOptions(5, 5, 3).padding(1).groups(5)).ptr(), torch::randn({2, 5, 6, 70})},
      {ApproxLinear(37, 11).ptr(), torch::randn({5, 37}) * 3}};
  for (auto& [layer, x] : layers) {
    layer->eval();
    layer->act_max().fill_(2.0);  // |x| > 2 saturates to +-127
    layer->set_mode(Mode::Approx);
    for (const auto& [name, lut] : tables) {
      layer->set_lut(lut, name);
      auto forward = [&, l = layer, in = x](bool fast) {
        set_separable_fast_path(fast);
        torch::NoGradGuard no_grad;
        if (auto* lin = dynamic_cast<ApproxLinearImpl*>(l.get())) return lin->forward(in);
        return dynamic_cast<ApproxConv2dImpl*>(l.get())->forward(in);
      };
      const torch::Tensor table = forward(false), fast = forward(true);
      EXPECT_EQ(layer->cpu_path(), name.find("double") != std::string::npos ? "separable (double)" : "separable (float)");
      set_separable_fast_path(false);
      EXPECT_EQ(layer->cpu_path(), "table");
      set_separable_fast_path(true);
      EXPECT_TRUE(torch::equal(fast, table)) << name << " " << (fast - table).abs().max();
    }
  }
}

TEST(SeparableFastPath, NonSeparableTablesTakeTheTableKernels) {
  ApproxLinear lin(8, 3);
  lin->set_lut(family_table("truncated", 4), "trunc4");
  EXPECT_EQ(lin->cpu_path(), "table");
}

}  // namespace
}  // namespace axnn::nn
