#include "nn/quantize.h"

#include "parallel/tensors.h"

namespace axnn::nn {

torch::Tensor fake_quant(const torch::Tensor& x, const torch::Tensor& scale) {
  torch::Tensor q = torch::round(torch::clamp(x / scale, -kQMax, kQMax)) * scale;
  return x + (q - x).detach();
}

torch::Tensor quantize_int8(const torch::Tensor& x, const torch::Tensor& scale) {
  return torch::round(torch::clamp(x.detach() / scale.detach(), -kQMax, kQMax)).to(torch::kInt8);
}

torch::Tensor weight_scale(const torch::Tensor& w, bool per_channel) {
  torch::NoGradGuard no_grad;
  torch::Tensor m = per_channel ? w.abs().flatten(1).amax(1) : w.abs().max();
  if (per_channel) {
    std::vector<int64_t> shape(static_cast<size_t>(w.dim()), 1);
    shape[0] = w.size(0);
    m = m.reshape(shape);
  }
  return torch::clamp_min(m, 1e-12) / kQMax;
}

torch::Tensor observe_activation_scale(const torch::Tensor& x, torch::Tensor& running_max, bool training,
                                       const ActObserverOptions& options) {
  torch::NoGradGuard no_grad;
  auto batch_max = [&] {
    torch::Tensor a = x.detach().abs().flatten().to(torch::kFloat);
    torch::Tensor b = options.percentile >= 100.0 ? a.max() : torch::quantile(a, options.percentile / 100.0);
    return b.to(running_max.device());
  };
  const bool observed = running_max.item<float>() > 0.0f;
  if (training) {
    // In data-parallel training every rank observes the global batch's range (for a percentile, the
    // largest of the ranks' percentiles), so that all ranks keep the same scale.
    torch::Tensor b = parallel::all_reduce_max(batch_max());
    if (!observed) running_max.copy_(b);
    else running_max.mul_(1.0 - options.momentum).add_(b * options.momentum);
  } else if (!observed) {
    return torch::clamp_min(batch_max(), 1e-12) / kQMax;  // never trained: this batch's range, not stored
  }
  return torch::clamp_min(running_max, 1e-12) / kQMax;
}

}  // namespace axnn::nn
