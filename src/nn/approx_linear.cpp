// ApproxLinear: a Linear whose products follow the layer mode (nn/approx_layer.h).
#include "nn/approx_layer.h"

namespace axnn::nn {
namespace F = torch::nn::functional;

ApproxLinearImpl::ApproxLinearImpl(torch::nn::LinearOptions o) : options(std::move(o)) {
  torch::nn::Linear reference(options);
  weight = register_parameter("weight", reference->weight.detach().clone());
  if (options.bias()) bias = register_parameter("bias", reference->bias.detach().clone());
}

torch::Tensor ApproxLinearImpl::forward(const torch::Tensor& x) {
  auto op = [](const torch::Tensor& in, const torch::Tensor& w) { return F::linear(in, w); };
  auto table_op = [&](const torch::Tensor& xi, const torch::Tensor& wi) { return table_.gemm(xi, wi); };
  return forward_modes(x, weight, bias, op, table_op);
}

RecordedOperands ApproxLinearImpl::record(const torch::Tensor& xi, const torch::Tensor& wi) const {
  torch::Tensor out = torch::matmul(xi.to(torch::kDouble), wi.to(torch::kDouble).t()).to(torch::kInt64);
  return {xi.reshape({-1, xi.size(-1)}), wi, out.reshape({-1, wi.size(0)})};
}

GemmView ApproxLinearImpl::gemm_view(const torch::Tensor& x) const {
  const std::vector<int64_t> shape = x.sizes().vec();
  const int64_t k = options.in_features(), n = options.out_features();
  GemmView v;
  v.rows = [k](const torch::Tensor& xi) { return xi.reshape({1, -1, k}); };
  v.out_rows = [n](const torch::Tensor& y) { return y.reshape({1, -1, n}); };
  v.input_grad = [shape](const torch::Tensor& gr) { return gr.reshape(shape); };
  return v;
}

std::pair<torch::Tensor, torch::Tensor> ApproxLinearImpl::exact_backward(const torch::Tensor& g, const torch::Tensor& xq,
                                                                         const torch::Tensor& wq, bool need_x, bool need_w) const {
  const int64_t k = options.in_features(), n = options.out_features();
  const torch::Tensor g2 = g.reshape({-1, n});
  return {need_x ? g2.matmul(wq).reshape(xq.sizes()) : torch::Tensor(),
          need_w ? g2.t().matmul(xq.reshape({-1, k})) : torch::Tensor()};
}

}  // namespace axnn::nn
