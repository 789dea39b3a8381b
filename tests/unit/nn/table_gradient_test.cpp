#include "nn/table_gradient.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "kernels/lut_backward.h"
#include "nn/approx_layer.h"

namespace axnn::nn {
namespace {

torch::Tensor exact_table() {
  torch::Tensor v = torch::arange(-128, 128, torch::kInt32);
  return v.unsqueeze(1) * v.unsqueeze(0);
}

// A rough approximate multiplier: the exact product with random errors of up to +-300.
torch::Tensor random_table() {
  return exact_table() + torch::randint(-300, 301, {256, 256}, torch::kInt32);
}

// Random int8 operands over the whole range, with -128 and 127 forced in.
torch::Tensor operands(std::vector<int64_t> shape) {
  torch::Tensor t = torch::randint(-128, 128, shape, torch::kInt32).to(torch::kInt8);
  t.view({-1})[0] = -128;
  if (t.numel() > 1) t.view({-1})[1] = 127;
  return t;
}

double lookup(const torch::Tensor& lut, int a, int w) { return lut[a + 128][w + 128].item<int32_t>(); }

TEST(TableGradients, ExactTableGivesTheOtherOperandEverywhereIncludingTheEnds) {
  TableGradients t = table_gradients(exact_table());
  torch::Tensor v = torch::arange(-128, 128, torch::kFloat);
  EXPECT_TRUE(torch::equal(t.da, v.unsqueeze(0).expand({256, 256})));  // d(a w)/da = w
  EXPECT_TRUE(torch::equal(t.dw, v.unsqueeze(1).expand({256, 256})));  // d(a w)/dw = a
}

TEST(TableGradients, CentralInsideOneSidedAtTheEnds) {
  torch::manual_seed(1);
  torch::Tensor lut = random_table();
  TableGradients t = table_gradients(lut);
  for (int w : {-128, -3, 0, 127}) {
    EXPECT_EQ(t.da[0][w + 128].item<float>(), lookup(lut, -127, w) - lookup(lut, -128, w));
    EXPECT_EQ(t.da[255][w + 128].item<float>(), lookup(lut, 127, w) - lookup(lut, 126, w));
    EXPECT_EQ(t.da[128 + 5][w + 128].item<float>(), (lookup(lut, 6, w) - lookup(lut, 4, w)) / 2);
    EXPECT_EQ(t.dw[w + 128][0].item<float>(), lookup(lut, w, -127) - lookup(lut, w, -128));
    EXPECT_EQ(t.dw[w + 128][255].item<float>(), lookup(lut, w, 127) - lookup(lut, w, 126));
    EXPECT_EQ(t.dw[w + 128][128 - 9].item<float>(), (lookup(lut, w, -8) - lookup(lut, w, -10)) / 2);
  }
}

// F(rows, weights) = sum_{g,r,c} grad[g,r,c] * sum_k lut[rows[g,r,k]][weights[g,c,k]], in double.
double table_forward(const torch::Tensor& lut, const torch::Tensor& rows, const torch::Tensor& weights,
                     const torch::Tensor& grad) {
  torch::Tensor idx = (rows.to(torch::kLong) + 128).unsqueeze(2) * 256 + (weights.to(torch::kLong) + 128).unsqueeze(1);
  torch::Tensor acc = lut.to(torch::kDouble).flatten().take(idx).sum(3);  // [G, R, C]
  return (acc * grad.to(torch::kDouble)).sum().item<double>();
}

// The finite difference of the table forward in one integer operand: central, one-sided at -128 / 127.
double finite_difference(const torch::Tensor& lut, torch::Tensor rows, torch::Tensor weights, const torch::Tensor& grad,
                         bool in_rows, int64_t g, int64_t i, int64_t k) {
  torch::Tensor& t = in_rows ? rows : weights;
  const int v = t[g][i][k].item<int8_t>();
  const int lo = std::max(v - 1, -128), hi = std::min(v + 1, 127);
  auto at = [&](int value) {
    torch::Tensor copy = t.clone();
    copy[g][i][k] = value;
    return in_rows ? table_forward(lut, copy, weights, grad) : table_forward(lut, rows, copy, grad);
  };
  return (at(hi) - at(lo)) / (hi - lo);
}

TEST(TableBackward, EqualsTheFiniteDifferenceOfTheTableForward) {
  torch::manual_seed(2);
  torch::Tensor lut = random_table();
  const int64_t groups = 2, r = 5, c = 3, k = 7;  // odd sizes
  torch::Tensor rows = operands({groups, r, k}), weights = operands({groups, c, k});
  torch::Tensor grad = torch::randn({groups, r, c});
  auto [grad_rows, grad_w] = table_backward(rows, weights, grad, table_gradients(lut));
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t kk = 0; kk < k; ++kk) {
      for (int64_t i = 0; i < r; ++i)
        EXPECT_NEAR(grad_rows[g][i][kk].item<float>(), finite_difference(lut, rows, weights, grad, true, g, i, kk), 1e-2)
            << "row " << g << "," << i << "," << kk;
      for (int64_t j = 0; j < c; ++j)
        EXPECT_NEAR(grad_w[g][j][kk].item<float>(), finite_difference(lut, rows, weights, grad, false, g, j, kk), 1e-2)
            << "weight " << g << "," << j << "," << kk;
    }
}

TEST(TableBackward, CpuKernelEqualsTheGatherPathAndThePlainReference) {
  torch::manual_seed(5);
  torch::Tensor lut = random_table();
  TableGradients t = table_gradients(lut);
  for (auto [groups, r, c, k] : {std::tuple<int64_t, int64_t, int64_t, int64_t>{1, 37, 5, 11}, {3, 64, 16, 27}, {1, 1, 1, 1}}) {
    torch::Tensor rows = operands({groups, r, k}), weights = operands({groups, c, k});
    torch::Tensor grad = torch::randn({groups, r, c});
    auto [kr, kw] = table_backward(rows, weights, grad, t);
    auto [gr, gw] = table_backward_gather(rows, weights, grad, t);
    EXPECT_TRUE(torch::allclose(kr, gr, 1e-4, 1e-3)) << (kr - gr).abs().max();
    EXPECT_TRUE(torch::allclose(kw, gw, 1e-4, 1e-3)) << (kw - gw).abs().max();
    for (int64_t g = 0; g < groups; ++g) {  // the kernels' plain reference, double sums
      torch::Tensor ra = torch::empty({r, k}), rw = torch::empty({c, k});
      torch::Tensor a = rows[g].contiguous(), w = weights[g].contiguous(), gg = grad[g].contiguous();
      kernels::lut_gemm_backward_reference({r, c, k, a.data_ptr<int8_t>(), k, w.data_ptr<int8_t>(), k, gg.data_ptr<float>(), c,
                                            t.da.data_ptr<float>(), t.dw.data_ptr<float>(), ra.data_ptr<float>(), k,
                                            rw.data_ptr<float>(), k});
      EXPECT_TRUE(torch::allclose(kr[g], ra, 1e-4, 1e-3));
      EXPECT_TRUE(torch::allclose(kw[g], rw, 1e-4, 1e-3));
    }
  }
}

// With the exact table, the table gradient is the straight-through one.
template <typename Layer>
void expect_table_grad_equals_ste(Layer layer, const torch::Tensor& x_in) {
  layer->eval();
  layer->act_max().fill_(2.0);
  layer->set_mode(Mode::Approx);
  torch::Tensor g = torch::randn_like(layer->forward(x_in));
  auto grads = [&](Gradient kind) {
    layer->set_gradient(kind);
    layer->zero_grad();
    torch::Tensor x = x_in.clone().requires_grad_(true);
    (layer->forward(x) * g).sum().backward();
    return std::pair{x.grad().clone(), layer->weight.grad().clone()};
  };
  auto [x_ste, w_ste] = grads(Gradient::Ste);
  auto [x_table, w_table] = grads(Gradient::Table);
  EXPECT_TRUE(torch::allclose(x_table, x_ste, 1e-4, 1e-4)) << (x_table - x_ste).abs().max();
  EXPECT_TRUE(torch::allclose(w_table, w_ste, 1e-4, 1e-3)) << (w_table - w_ste).abs().max();
  // A first layer (input without grad) skips the input gradient; the weight's must not change.
  layer->zero_grad();
  (layer->forward(x_in) * g).sum().backward();
  EXPECT_TRUE(torch::allclose(layer->weight.grad(), w_table, 1e-5, 1e-5));
}

TEST(TableGradientLayers, ExactTableMatchesStraightThroughOnConvAndLinear) {
  torch::manual_seed(3);
  expect_table_grad_equals_ste(ApproxConv2d(torch::nn::Conv2dOptions(4, 6, 3).padding(1)), torch::randn({2, 4, 7, 5}));
  expect_table_grad_equals_ste(ApproxConv2d(torch::nn::Conv2dOptions(4, 6, 3).padding(2).stride(2).groups(2).dilation(2)),
                               torch::randn({3, 4, 9, 8}));
  expect_table_grad_equals_ste(ApproxConv2d(torch::nn::Conv2dOptions(4, 4, 3).padding(1).groups(4)), torch::randn({2, 4, 5, 5}));
  ApproxConv2d per_channel(torch::nn::Conv2dOptions(3, 5, 2));
  per_channel->quant.per_channel_weights = true;
  expect_table_grad_equals_ste(per_channel, torch::randn({2, 3, 6, 6}));
  expect_table_grad_equals_ste(ApproxLinear(13, 7), torch::randn({5, 13}));
}

// Straight-through in approx mode (no exact forward) gives quant mode's gradients, whatever the table.
template <typename Layer>
void expect_ste_equals_quant_mode(Layer layer, const torch::Tensor& x_in) {
  layer->eval();
  layer->act_max().fill_(2.0);
  torch::manual_seed(9);
  layer->set_lut(random_table(), "random");
  torch::Tensor g;
  auto grads = [&](Mode mode) {
    layer->set_mode(mode);
    layer->set_gradient(Gradient::Ste);
    layer->zero_grad();
    torch::Tensor x = x_in.clone().requires_grad_(true);
    torch::Tensor y = layer->forward(x);
    if (!g.defined()) g = torch::randn_like(y);
    (y * g).sum().backward();
    return std::tuple{x.grad().clone(), layer->weight.grad().clone(), layer->bias.grad().clone()};
  };
  auto [xq, wq, bq] = grads(Mode::Quant);
  auto [xa, wa, ba] = grads(Mode::Approx);
  EXPECT_TRUE(torch::allclose(xa, xq, 1e-5, 1e-5)) << (xa - xq).abs().max();
  EXPECT_TRUE(torch::allclose(wa, wq, 1e-4, 1e-4)) << (wa - wq).abs().max();
  EXPECT_TRUE(torch::allclose(ba, bq));
  // Input without grad (a first layer): only the weight's gradient is computed, and it is the same.
  layer->zero_grad();
  (layer->forward(x_in) * g).sum().backward();
  EXPECT_TRUE(torch::allclose(layer->weight.grad(), wa, 1e-5, 1e-5));
}

TEST(StraightThroughLayers, ApproxModeBackwardEqualsQuantModeWithoutAnExactForward) {
  torch::manual_seed(6);
  expect_ste_equals_quant_mode(ApproxConv2d(torch::nn::Conv2dOptions(4, 6, 3).padding(1)), torch::randn({2, 4, 7, 5}));
  expect_ste_equals_quant_mode(ApproxConv2d(torch::nn::Conv2dOptions(4, 6, 3).padding(2).stride(2).groups(2).dilation(2)),
                               torch::randn({3, 4, 9, 8}));
  ApproxConv2d per_channel(torch::nn::Conv2dOptions(3, 5, 2));
  per_channel->quant.per_channel_weights = true;
  expect_ste_equals_quant_mode(per_channel, torch::randn({2, 3, 6, 6}));
  ApproxLinear lin(13, 7);
  lin->quant.per_channel_weights = true;
  expect_ste_equals_quant_mode(lin, torch::randn({5, 13}));
}

TEST(TableGradientLayers, FlatTableRegionsGiveNoGradient) {
  // A multiplier that ignores its activation (lut[a][w] = w): d/dx is zero, d/dw is the row count.
  torch::manual_seed(4);
  ApproxLinear lin(6, 3);
  lin->eval();
  lin->act_max().fill_(2.0);
  lin->set_mode(Mode::Approx);
  lin->set_gradient(Gradient::Table);
  lin->set_lut(torch::arange(-128, 128, torch::kInt32).unsqueeze(0).expand({256, 256}).contiguous(), "w_only");
  torch::Tensor x = torch::randn({4, 6}).requires_grad_(true);
  lin->forward(x).sum().backward();
  EXPECT_EQ(x.grad().abs().max().item<float>(), 0.0f);
  torch::Tensor s_w = weight_scale(lin->weight, false);
  torch::Tensor s_a = torch::full({}, 2.0 / kQMax);
  // y = s_a s_w sum_k w_int -> dy/dweight = s_a per row and output: 4 rows.
  EXPECT_TRUE(torch::allclose(lin->weight.grad(), torch::full({3, 6}, 4.0) * s_a, 1e-5, 1e-6));
}

TEST(TableGradientLayers, UnknownGradientNameIsAUsageError) {
  EXPECT_EQ(parse_gradient("table"), Gradient::Table);
  EXPECT_THROW(parse_gradient("finite"), UsageError);
}

}  // namespace
}  // namespace axnn::nn
