#include "nn/approx_layer.h"

#include <fmt/format.h>

#include "core/error.h"

namespace axnn::nn {

namespace {

torch::Tensor exact_lut() {
  auto v = torch::arange(-128, 128, torch::kInt32);
  return v.unsqueeze(1) * v.unsqueeze(0);
}

// A per-channel vector shaped to broadcast over the channel axis (dim 1) of a `dims`-dimensional tensor.
torch::Tensor along_channels(const torch::Tensor& v, int64_t dims) {
  std::vector<int64_t> shape(static_cast<size_t>(dims), 1);
  shape[1] = -1;
  return v.reshape(shape);
}

}  // namespace

ApproxLayer::ApproxLayer() {
  mode_ = register_buffer("mode", torch::zeros({}, torch::kInt64));
  act_max_ = register_buffer("act_max", torch::zeros({}));
  sigma_ = register_parameter("sigma", torch::full({}, 0.1));
  mu_ = register_buffer("mu", torch::zeros({}));
  lut_ = register_buffer("lut", exact_lut());
  error_offset_ = register_buffer("error_offset", torch::zeros({0}));
  table_ = TableProduct(lut_);
}

void ApproxLayer::set_error_offset(const torch::Tensor& per_channel) {
  torch::NoGradGuard no_grad;
  if (per_channel.dim() != 1 || !torch::isfinite(per_channel).all().item<bool>())
    throw InputError("error offset: expected a finite vector, one value per output channel");
  error_offset_.resize_({per_channel.size(0)});
  error_offset_.copy_(per_channel.to(error_offset_.device(), torch::kFloat));
}

void ApproxLayer::set_lut(const torch::Tensor& lut, const std::string& multiplier, const std::string& library) {
  if (lut.sizes() != torch::IntArrayRef{256, 256})
    throw InputError(fmt::format("multiplier '{}': table must be 256x256", multiplier));
  torch::NoGradGuard no_grad;
  lut_.copy_(lut.to(torch::kInt32));
  multiplier_ = multiplier;
  library_ = library;
}

torch::Tensor ApproxLayer::forward_modes(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                         const Op& op, const Op& table_op) {
  const Mode m = mode();
  if (m == Mode::Baseline) return output_hook(op(x, weight), bias);
  const torch::Tensor s_a = observe_activation_scale(x, act_max_, is_training(), quant.activations);
  if (calibrating_ && m != Mode::Approx) return output_hook(op(x, weight), bias);
  const torch::Tensor s_w = weight_scale(weight, quant.per_channel_weights);
  if (recording_) record_hook(x, weight, s_a, s_w);
  return output_hook(m == Mode::Approx ? forward_approx(x, weight, s_a, s_w, op, table_op)
                                       : forward_quantized(m, x, weight, s_a, s_w, op),
                     bias);
}

torch::Tensor ApproxLayer::forward_quantized(Mode m, const torch::Tensor& x, const torch::Tensor& weight,
                                             const torch::Tensor& s_a, const torch::Tensor& s_w, const Op& op) {
  torch::Tensor y = op(fake_quant(x, s_a), fake_quant(weight, s_w));
  // Noise mode: y + eps * std(y) * sigma + mu, eps ~ N(0, 1) per element; std over the whole batch output.
  if (m == Mode::Noise && is_training()) y = y + torch::randn_like(y) * y.std() * sigma_ + mu_;
  return y;
}

torch::Tensor ApproxLayer::forward_approx(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& s_a,
                                          const torch::Tensor& s_w, const Op& op, const Op& table_op) {
  const bool wants_grad = torch::GradMode::is_enabled() && (x.requires_grad() || weight.requires_grad());
  // int8 operands on the input's device: the CUDA kernels run where the data is (when built).
  const torch::Tensor xi = quantize_int8(x, s_a).contiguous(), wi = quantize_int8(weight, s_w).contiguous();
  torch::Tensor acc = table_.accumulate(op, table_op, xi, wi, fan_in());
  // The backward, without an exact forward: table (the table's own differences) or ste (the exact
  // op's gradients at the fake-quantized operands, as quant mode has them).
  const bool table = wants_grad && gradient_ == Gradient::Table;
  if (table) acc = table_product(x, weight, acc, xi, wi, s_a, s_w, table_.gradients(), gemm_view(x));
  if (error_offset_.numel() > 0) acc = acc - along_channels(error_offset_, acc.dim());  // bias compensation
  // Per-channel weight scales broadcast over the output's channel axis.
  const torch::Tensor s_w_out = quant.per_channel_weights ? along_channels(s_w, x.dim()) : s_w;
  torch::Tensor y = acc * (s_a * s_w_out).detach();
  if (wants_grad && !table) {
    const torch::Tensor xq = xi.to(x.dtype()) * s_a.detach(), wq = wi.to(weight.dtype()) * s_w.detach();
    y = approx_product(x, weight, y, [this, xq, wq](const torch::Tensor& g, bool need_x, bool need_w) {
      return exact_backward(g, xq, wq, need_x, need_w);
    });
  }
  return y;
}

void ApproxLayer::record_hook(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& s_a,
                              const torch::Tensor& s_w) {
  torch::NoGradGuard no_grad;
  recorded_ = record(quantize_int8(x, s_a).cpu(), quantize_int8(weight, s_w).cpu());
}

torch::Tensor ApproxLayer::output_hook(torch::Tensor y, const torch::Tensor& bias) {
  if (bias.defined()) y = y + along_channels(bias, y.dim());
  if (capture_) captured_ = y;
  return y;
}

std::vector<std::pair<std::string, std::shared_ptr<ApproxLayer>>> approx_layers(torch::nn::Module& root) {
  std::vector<std::pair<std::string, std::shared_ptr<ApproxLayer>>> out;
  for (const auto& item : root.named_modules("", false))
    if (auto a = std::dynamic_pointer_cast<ApproxLayer>(item.value())) out.emplace_back(item.key(), a);
  return out;
}

}  // namespace axnn::nn
