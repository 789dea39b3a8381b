// Symmetric int8 fake quantization with straight-through gradients. Integer range [-127, 127].
#pragma once

#include <torch/torch.h>

namespace axnn::nn {

constexpr double kQMax = 127.0;

// round(clamp(x / scale, -127, 127)) * scale in the forward pass, identity gradient for x (the
// straight-through estimator, written with detach so it supports double backward). `scale` is a
// scalar or broadcasts against x (per-channel weights).
torch::Tensor fake_quant(const torch::Tensor& x, const torch::Tensor& scale);

// The integer operands: round(clamp(x / scale, -127, 127)) as int8.
torch::Tensor quantize_int8(const torch::Tensor& x, const torch::Tensor& scale);

// Weight scale max|w| / 127: a scalar, or one per output channel shaped [C_out, 1, ...] to broadcast.
torch::Tensor weight_scale(const torch::Tensor& w, bool per_channel);

// Activation observer: running max of |x| (momentum) in training, frozen in eval; optionally the
// given percentile of |x| per batch instead of the max.
struct ActObserverOptions {
  double momentum = 0.1;
  double percentile = 100.0;  // 100: max
};

// Updates `running_max` (a scalar buffer; 0 = not yet observed) from x when training and returns
// the scale running_max / 127 (never 0).
torch::Tensor observe_activation_scale(const torch::Tensor& x, torch::Tensor& running_max, bool training,
                                       const ActObserverOptions& options);

}  // namespace axnn::nn
