// Approx mode's backward as a custom autograd function (no exact forward needed), and table-aware
// retraining gradients (retrain gradient: table): the backward pass of an approximate product takes
// each operand's derivative from the multiplier's own table, by differences, instead of the exact
// product's (straight-through). A multiplier that ignores low bits of an
// operand then gives that operand no gradient where the table is flat.
#pragma once

#include <torch/torch.h>

#include <functional>

namespace axnn::nn {

// d/da and d/dw of the table, float [256, 256] indexed like it (lut[a + 128][w + 128]): central
// differences (lut[a+1][w] - lut[a-1][w]) / 2, one-sided at a = -128 and a = 127 (the same for w).
struct TableGradients {
  torch::Tensor da, dw;
};
TableGradients table_gradients(const torch::Tensor& lut);

// The backward of acc[g, r, c] = sum_k lut[rows[g, r, k]][weights[g, c, k]] (int8 operands, G
// groups): given d loss / d acc (float [G, R, C]), returns d loss / d rows (float [G, R, K]) and
// d loss / d weights (float [G, C, K]), in integer-operand units. On the CPU the kernel of
// kernels/lut_backward.h; on a GPU table_backward_gather.
std::pair<torch::Tensor, torch::Tensor> table_backward(const torch::Tensor& rows, const torch::Tensor& weights,
                                                       const torch::Tensor& grad, const TableGradients& t,
                                                       bool need_rows = true);
// The same with torch ops on any device: gathers the differences in [rows, C, K] blocks of about 4 M
// entries.
std::pair<torch::Tensor, torch::Tensor> table_backward_gather(const torch::Tensor& rows, const torch::Tensor& weights,
                                                              const torch::Tensor& grad, const TableGradients& t);

// How a layer's input and output map onto the grouped GEMM that table_backward works on.
struct GemmView {
  std::function<torch::Tensor(const torch::Tensor&)> rows;          // int8 input -> [G, R, K]
  std::function<torch::Tensor(const torch::Tensor&)> out_rows;      // d/d output -> [G, R, C]
  std::function<torch::Tensor(const torch::Tensor&)> input_grad;    // [G, R, K] -> the input's shape
};

// d loss / d x and d loss / d weight from d loss / d (the product's result); each only when asked
// (need_x, need_w; an input that needs none may get an undefined tensor).
using ProductBackward =
    std::function<std::pair<torch::Tensor, torch::Tensor>(const torch::Tensor& grad, bool need_x, bool need_w)>;

// `value` (a result computed without autograd, e.g. through the table kernels) as a differentiable
// function of x and weight whose gradients `backward` gives: approx mode's backward without an
// exact forward.
torch::Tensor approx_product(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& value,
                             ProductBackward backward);

// approx_product with the table's backward: d acc / d x = d lut / d a / s_a and d acc / d w = d lut / d w / s_w, with the
// integer operands xi = q(x / s_a), wi = q(weight / s_w) (straight-through rounding, as fake_quant).
// s_w is a scalar or per output channel (shaped like weight_scale's).
torch::Tensor table_product(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& acc,
                            const torch::Tensor& xi, const torch::Tensor& wi, const torch::Tensor& s_a,
                            const torch::Tensor& s_w, const TableGradients& t, const GemmView& view);

}  // namespace axnn::nn
