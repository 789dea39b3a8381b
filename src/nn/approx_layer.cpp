#include "nn/approx_layer.h"

#include <fmt/format.h>

#include <atomic>
#include <cstdlib>

#include "core/error.h"

namespace axnn::nn {
namespace F = torch::nn::functional;

std::string mode_name(Mode m) {
  switch (m) {
    case Mode::Baseline: return "baseline";
    case Mode::Quant: return "quant";
    case Mode::Noise: return "noise";
    case Mode::Approx: return "approx";
  }
  return "?";
}

Mode parse_mode(const std::string& name) {
  for (Mode m : {Mode::Baseline, Mode::Quant, Mode::Noise, Mode::Approx})
    if (mode_name(m) == name) return m;
  throw UsageError(fmt::format("unknown layer mode '{}' (expected baseline, quant, noise or approx)", name));
}

namespace {
// AXNN_SEPARABLE=0 turns the separable fast path off for a whole run (to compare speeds).
bool separable_default() {
  const char* v = std::getenv("AXNN_SEPARABLE");
  return !(v && std::string(v) == "0");
}
std::atomic<bool> g_separable_fast_path{separable_default()};
}  // namespace

void set_separable_fast_path(bool on) { g_separable_fast_path = on; }

Gradient parse_gradient(const std::string& name) {
  if (name == "ste") return Gradient::Ste;
  if (name == "table") return Gradient::Table;
  throw UsageError(fmt::format("unknown gradient '{}' (expected ste or table)", name));
}

namespace {

torch::Tensor exact_lut() {
  auto v = torch::arange(-128, 128, torch::kInt32);
  return v.unsqueeze(1) * v.unsqueeze(0);
}

}  // namespace

ApproxLayer::ApproxLayer() {
  mode_ = register_buffer("mode", torch::zeros({}, torch::kInt64));
  act_max_ = register_buffer("act_max", torch::zeros({}));
  sigma_ = register_parameter("sigma", torch::full({}, 0.1));
  mu_ = register_buffer("mu", torch::zeros({}));
  lut_ = register_buffer("lut", exact_lut());
  error_offset_ = register_buffer("error_offset", torch::zeros({0}));
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

torch::Tensor ApproxLayer::lut16() {
  // The int16 copy the CUDA GEMM keeps in shared memory; undefined when the table does not fit.
  if (lut16_version_ != lut_._version() || !lut16_.defined() || lut16_.device() != lut_.device()) {
    const bool fits = lut_.min().item<int32_t>() >= -32768 && lut_.max().item<int32_t>() <= 32767;
    lut16_ = fits ? lut_.to(torch::kInt16).contiguous() : torch::Tensor();
    lut16_version_ = static_cast<uint32_t>(lut_._version());
  }
  return lut16_;
}

const kernels::PreparedLut& ApproxLayer::prepared_lut() {
  // Rebuilt when the table changes (set_lut, or a checkpoint loaded into the buffer).
  if (!prepared_ || prepared_ptr_ != lut_.data_ptr() || prepared_version_ != lut_._version()) {
    torch::Tensor cpu = lut_.to(torch::kCPU).contiguous();  // a copy only when the table lives on a GPU
    prepared_.emplace(cpu.data_ptr<int32_t>());
    separable_ = kernels::find_separable(cpu.data_ptr<int32_t>());
    prepared_ptr_ = lut_.data_ptr();
    prepared_version_ = static_cast<uint32_t>(lut_._version());
  }
  return *prepared_;
}

const TableGradients& ApproxLayer::table_grads() {
  if (!table_grads_.da.defined() || table_grads_version_ != lut_._version() || table_grads_.da.device() != lut_.device()) {
    table_grads_ = table_gradients(lut_);
    table_grads_version_ = static_cast<uint32_t>(lut_._version());
  }
  return table_grads_;
}

std::optional<torch::ScalarType> ApproxLayer::separable_dtype() {
  if (!g_separable_fast_path) return std::nullopt;
  prepared_lut();  // finds the maps when the table changed
  if (!separable_ || separable_->fa[128] != 0) return std::nullopt;
  const double bound = static_cast<double>(separable_->max_abs_product()) * static_cast<double>(fan_in());
  if (bound < 16777216.0) return torch::kFloat;         // 2^24
  if (bound < 9007199254740992.0) return torch::kDouble;  // 2^53
  return std::nullopt;
}

std::string ApproxLayer::cpu_path() {
  const auto dtype = separable_dtype();
  return !dtype ? "table" : *dtype == torch::kFloat ? "separable (float)" : "separable (double)";
}

torch::Tensor ApproxLayer::separable_product(const Op& op, const torch::Tensor& xi, const torch::Tensor& wi) {
  if (xi.is_cuda()) return {};
  const auto found = separable_dtype();
  if (!found) return {};
  const auto dtype = *found;
  auto mapped = [dtype](const std::array<int32_t, 256>& map, const torch::Tensor& v) {
    const torch::Tensor src = v.contiguous();
    torch::Tensor out = torch::empty(src.sizes(), torch::TensorOptions().dtype(dtype));
    if (dtype == torch::kFloat) kernels::map_operands(src.data_ptr<int8_t>(), src.numel(), map, out.data_ptr<float>());
    else kernels::map_operands(src.data_ptr<int8_t>(), src.numel(), map, out.data_ptr<double>());
    return out;
  };
  torch::NoGradGuard no_grad;
  return op(mapped(separable_->fa, xi), mapped(separable_->fw, wi)).to(torch::kFloat);
}

torch::Tensor ApproxLayer::forward_modes(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                         const Op& op, const Op& lut_op) {
  auto with_bias = [&](torch::Tensor y) {
    if (bias.defined()) {
      std::vector<int64_t> shape(static_cast<size_t>(y.dim()), 1);
      shape[1] = bias.size(0);
      y = y + bias.reshape(shape);
    }
    if (capture_) captured_ = y;
    return y;
  };
  const Mode m = mode();
  if (m == Mode::Baseline) return with_bias(op(x, weight));

  const torch::Tensor s_a = observe_activation_scale(x, act_max_, is_training(), quant.activations);
  if (calibrating_ && m != Mode::Approx) return with_bias(op(x, weight));
  const torch::Tensor s_w = weight_scale(weight, quant.per_channel_weights);
  // Per-channel weight scales broadcast over the output's channel axis.
  torch::Tensor s_w_out = s_w;
  if (quant.per_channel_weights) {
    std::vector<int64_t> shape(static_cast<size_t>(x.dim()), 1);
    shape[1] = -1;
    s_w_out = s_w.reshape(shape);
  }
  if (recording_) {
    torch::NoGradGuard no_grad;
    recorded_ = record(quantize_int8(x, s_a).cpu(), quantize_int8(weight, s_w).cpu());
  }
  const bool wants_grad = torch::GradMode::is_enabled() && (x.requires_grad() || weight.requires_grad());
  torch::Tensor y;
  if (m != Mode::Approx) y = op(fake_quant(x, s_a), fake_quant(weight, s_w));
  if (m == Mode::Noise && is_training()) {
    // y + eps * std(y) * sigma + mu, eps ~ N(0, 1) per element; std over the whole batch output.
    y = y + torch::randn_like(y) * y.std() * sigma_ + mu_;
  }
  if (m == Mode::Approx) {
    // int8 operands on the input's device: the CUDA kernels run where the data is (when built).
    const torch::Tensor xi = quantize_int8(x, s_a).contiguous(), wi = quantize_int8(weight, s_w).contiguous();
    torch::Tensor acc = separable_product(op, xi, wi);
    if (!acc.defined()) acc = lut_op(xi, wi).to(x.device()).to(torch::kFloat);
    // The backward, without an exact forward: table (the table's own differences) or ste (the exact
    // op's gradients at the fake-quantized operands, as quant mode has them).
    const bool table = wants_grad && gradient_ == Gradient::Table;
    if (table) acc = table_product(x, weight, acc, xi, wi, s_a, s_w, table_grads(), gemm_view(x));
    if (error_offset_.numel() > 0) {  // bias compensation: the table's expected error per channel
      std::vector<int64_t> shape(static_cast<size_t>(acc.dim()), 1);
      shape[1] = -1;
      acc = acc - error_offset_.reshape(shape);
    }
    y = acc * (s_a * s_w_out).detach();
    if (wants_grad && !table) {
      const torch::Tensor xq = xi.to(x.dtype()) * s_a.detach(), wq = wi.to(weight.dtype()) * s_w.detach();
      y = approx_product(x, weight, y, [this, xq, wq](const torch::Tensor& g, bool need_x, bool need_w) {
        return exact_backward(g, xq, wq, need_x, need_w);
      });
    }
  }
  return with_bias(y);
}

// ---- Conv2d ----

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
  auto lut_op = [&](const torch::Tensor& xi, const torch::Tensor& wi) { return table_conv2d(s, xi, wi); };
  return forward_modes(x, weight, bias, op, lut_op);
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

// ---- Linear ----

ApproxLinearImpl::ApproxLinearImpl(torch::nn::LinearOptions o) : options(std::move(o)) {
  torch::nn::Linear reference(options);
  weight = register_parameter("weight", reference->weight.detach().clone());
  if (options.bias()) bias = register_parameter("bias", reference->bias.detach().clone());
}

torch::Tensor ApproxLinearImpl::forward(const torch::Tensor& x) {
  auto op = [](const torch::Tensor& in, const torch::Tensor& w) { return F::linear(in, w); };
  auto lut_op = [&](const torch::Tensor& xi, const torch::Tensor& wi) { return table_gemm(xi, wi); };
  return forward_modes(x, weight, bias, op, lut_op);
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

// ---- conversion ----

namespace {

template <typename Visit>
int visit_children(torch::nn::Module& root, const Visit& visit) {
  int replaced = 0;
  for (const auto& item : root.named_children()) {
    replaced += visit(root, item.key(), item.value());
    replaced += visit_children(*item.value(), visit);
  }
  return replaced;
}

}  // namespace

int convert_to_approx(torch::nn::Module& root) {
  return visit_children(root, [](torch::nn::Module& parent, const std::string& name, const std::shared_ptr<torch::nn::Module>& child) {
    torch::NoGradGuard no_grad;
    if (auto conv = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(child)) {
      const auto& o = conv->options;
      ApproxConv2d a(torch::nn::Conv2dOptions(o.in_channels(), o.out_channels(), o.kernel_size())
                         .stride(o.stride())
                         .padding(o.padding())
                         .dilation(o.dilation())
                         .groups(o.groups())
                         .bias(o.bias()));
      a->weight.copy_(conv->weight);
      if (conv->options.bias()) a->bias.copy_(conv->bias);
      parent.replace_module(name, a);
      return 1;
    }
    if (auto lin = std::dynamic_pointer_cast<torch::nn::LinearImpl>(child)) {
      ApproxLinear a(lin->options);
      a->weight.copy_(lin->weight);
      if (lin->options.bias()) a->bias.copy_(lin->bias);
      parent.replace_module(name, a);
      return 1;
    }
    return 0;
  });
}

int convert_to_torch(torch::nn::Module& root) {
  return visit_children(root, [](torch::nn::Module& parent, const std::string& name, const std::shared_ptr<torch::nn::Module>& child) {
    torch::NoGradGuard no_grad;
    if (auto a = std::dynamic_pointer_cast<ApproxConv2dImpl>(child)) {
      torch::nn::Conv2d conv(a->options);
      conv->weight.copy_(a->weight);
      if (a->options.bias()) conv->bias.copy_(a->bias);
      parent.replace_module(name, conv);
      return 1;
    }
    if (auto a = std::dynamic_pointer_cast<ApproxLinearImpl>(child)) {
      torch::nn::Linear lin(a->options);
      lin->weight.copy_(a->weight);
      if (a->options.bias()) lin->bias.copy_(a->bias);
      parent.replace_module(name, lin);
      return 1;
    }
    return 0;
  });
}

std::vector<std::pair<std::string, std::shared_ptr<ApproxLayer>>> approx_layers(torch::nn::Module& root) {
  std::vector<std::pair<std::string, std::shared_ptr<ApproxLayer>>> out;
  for (const auto& item : root.named_modules("", false))
    if (auto a = std::dynamic_pointer_cast<ApproxLayer>(item.value())) out.emplace_back(item.key(), a);
  return out;
}

}  // namespace axnn::nn
