// ApproxConv2d: a Conv2d whose products follow the layer mode (nn/approx_layer.h).
#include "nn/approx_layer.h"

#include "core/error.h"

namespace axnn::nn {
namespace F = torch::nn::functional;

ApproxConv2dImpl::ApproxConv2dImpl(torch::nn::Conv2dOptions o) : options(std::move(o)) {
  torch::nn::Conv2d reference(options);  // torch's own initialisation
  weight = register_parameter("weight", reference->weight.detach().clone());
  if (options.bias()) bias = register_parameter("bias", reference->bias.detach().clone());
}

int64_t ApproxConv2dImpl::fan_in() const {
  return options.in_channels() / options.groups() * (*options.kernel_size())[0] * (*options.kernel_size())[1];
}

int64_t ApproxConv2dImpl::opcount() const { return fan_in() * options.out_channels() * out_hw_; }

kernels::Conv2dShape ApproxConv2dImpl::shape_for(const torch::Tensor& x) const {
  kernels::Conv2dShape s;
  s.n = x.size(0), s.c_in = x.size(1), s.h = x.size(2), s.w = x.size(3);
  s.c_out = options.out_channels();
  s.kh = (*options.kernel_size())[0], s.kw = (*options.kernel_size())[1];
  s.stride_h = (*options.stride())[0], s.stride_w = (*options.stride())[1];
  const auto* pad = std::get_if<torch::ExpandingArray<2>>(&options.padding());
  if (!pad) throw UsageError("ApproxConv2d: only explicit (numeric) padding is supported");
  s.pad_h = (**pad)[0], s.pad_w = (**pad)[1];
  s.dil_h = (*options.dilation())[0], s.dil_w = (*options.dilation())[1];
  s.groups = options.groups();
  return s;
}

torch::Tensor ApproxConv2dImpl::forward(const torch::Tensor& x) {
  const kernels::Conv2dShape s = shape_for(x);
  out_hw_ = s.out_h() * s.out_w();
  auto op = [&](const torch::Tensor& in, const torch::Tensor& w) {
    return F::conv2d(in, w, F::Conv2dFuncOptions()
                                .stride(options.stride())
                                .padding(std::vector<int64_t>{s.pad_h, s.pad_w})
                                .dilation(options.dilation())
                                .groups(options.groups()));
  };
  auto table_op = [&](const torch::Tensor& xi, const torch::Tensor& wi) { return table_.conv2d(s, xi, wi); };
  return forward_modes(x, weight, bias, op, table_op);
}

RecordedOperands ApproxConv2dImpl::record(const torch::Tensor& xi, const torch::Tensor& wi) const {
  const kernels::Conv2dShape s = shape_for(xi);
  const int64_t g = s.groups, kg = fan_in();
  const torch::Tensor per_group = gemm_view(xi).rows(xi);  // im2col per group [g, N * L, kg], padding as a = 0
  torch::Tensor w = wi.reshape({g, s.c_out / g, kg}).to(torch::kDouble);
  torch::Tensor out = torch::bmm(per_group.to(torch::kDouble), w.transpose(1, 2));  // [g, N * L, C_out / g]
  return {per_group.reshape({-1, kg}), wi.reshape({s.c_out, kg}),
          out.permute({1, 0, 2}).reshape({-1, s.c_out}).to(torch::kInt64)};
}

GemmView ApproxConv2dImpl::gemm_view(const torch::Tensor& x) const {
  const kernels::Conv2dShape s = shape_for(x);
  const int64_t g = s.groups, kg = fan_in(), cg = s.c_out / g, positions = s.out_h() * s.out_w();
  auto unfold_options = F::UnfoldFuncOptions({s.kh, s.kw}).dilation({s.dil_h, s.dil_w}).padding({s.pad_h, s.pad_w}).stride({s.stride_h, s.stride_w});
  auto fold_options = F::FoldFuncOptions({s.h, s.w}, {s.kh, s.kw}).dilation({s.dil_h, s.dil_w}).padding({s.pad_h, s.pad_w}).stride({s.stride_h, s.stride_w});
  GemmView v;
  // [N, C, H, W] -> im2col [N, g * kg, L] -> [g, N * L, kg] (padding as a = 0, as the kernels)
  v.rows = [=](const torch::Tensor& xi) {
    torch::Tensor cols = F::unfold(xi.to(torch::kFloat), unfold_options);
    return cols.reshape({s.n, g, kg, positions}).permute({1, 0, 3, 2}).reshape({g, s.n * positions, kg}).to(torch::kInt8);
  };
  // [N, C_out, oh, ow] -> [g, N * L, cg]
  v.out_rows = [=](const torch::Tensor& y) {
    return y.reshape({s.n, g, cg, positions}).permute({1, 0, 3, 2}).reshape({g, s.n * positions, cg});
  };
  // [g, N * L, kg] -> col2im (padding dropped) -> [N, C, H, W]
  v.input_grad = [=](const torch::Tensor& gr) {
    torch::Tensor cols = gr.reshape({g, s.n, positions, kg}).permute({1, 0, 3, 2}).reshape({s.n, g * kg, positions});
    return F::fold(cols, fold_options);
  };
  return v;
}

std::pair<torch::Tensor, torch::Tensor> ApproxConv2dImpl::exact_backward(const torch::Tensor& g, const torch::Tensor& xq,
                                                                         const torch::Tensor& wq, bool need_x, bool need_w) const {
  const kernels::Conv2dShape s = shape_for(xq);
  auto [gx, gw, gb] = at::convolution_backward(g.contiguous(), xq, wq, std::nullopt, {s.stride_h, s.stride_w}, {s.pad_h, s.pad_w},
                                               {s.dil_h, s.dil_w}, false, {0, 0}, s.groups, {need_x, need_w, false});
  return {gx, gw};
}

}  // namespace axnn::nn
