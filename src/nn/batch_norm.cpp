#include "nn/batch_norm.h"

#include "parallel/tensors.h"
#include "parallel/world.h"

namespace axnn::nn {

torch::Tensor BatchNorm2dImpl::forward(const torch::Tensor& x) {
  if (adapting_) {
    torch::NoGradGuard no_grad;
    const std::vector<int64_t> dims = {0, 2, 3};
    torch::Tensor xd = x.to(torch::kDouble);
    sums_ += torch::cat({xd.sum(dims), xd.square().sum(dims),
                         torch::full({x.size(1)}, static_cast<double>(x.numel() / x.size(1)), sums_.options())});
  }
  if (is_training() && parallel::world().size > 1 && options.track_running_stats()) return forward_synchronised(x);
  return torch::nn::BatchNorm2dImpl::forward(x);
}

torch::Tensor BatchNorm2dImpl::forward_synchronised(const torch::Tensor& x) {
  const int64_t c = x.size(1);
  // Per-channel sum and sum of squares in double (E[x^2] - E[x]^2 loses digits in float), and the
  // element count, summed over the ranks in one differentiable message.
  const std::vector<int64_t> dims = {0, 2, 3};
  torch::Tensor local = torch::cat({x.sum(dims, false, torch::kDouble), (x * x).sum(dims, false, torch::kDouble),
                                    torch::full({1}, static_cast<double>(x.numel() / c), x.options().dtype(torch::kDouble))});
  torch::Tensor global = parallel::all_reduce_sum(local);
  const double n = global[2 * c].item<double>();
  torch::Tensor mean = global.narrow(0, 0, c) / n;
  torch::Tensor var = global.narrow(0, c, c) / n - mean * mean;
  {
    torch::NoGradGuard no_grad;
    num_batches_tracked.add_(1);
    const double m = options.momentum() ? *options.momentum() : 1.0 / num_batches_tracked.item<double>();
    running_mean.mul_(1.0 - m).add_(mean.detach().to(running_mean.dtype()) * m);
    running_var.mul_(1.0 - m).add_(var.detach().to(running_var.dtype()) * (m * n / std::max(n - 1.0, 1.0)));
  }
  const std::vector<int64_t> shape = {1, c, 1, 1};
  torch::Tensor y = (x - mean.to(x.dtype()).view(shape)) * torch::rsqrt(var.to(x.dtype()).view(shape) + options.eps());
  if (options.affine()) y = y * weight.view(shape) + bias.view(shape);
  return y;
}

void BatchNorm2dImpl::start_adaptation() {
  adapting_ = true;
  sums_ = torch::zeros({3 * running_mean.size(0)}, running_mean.options().dtype(torch::kDouble));  // on the layer's device
  batches_before_ = num_batches_tracked.clone();
}

void BatchNorm2dImpl::finish_adaptation() {
  adapting_ = false;
  torch::NoGradGuard no_grad;
  torch::Tensor sums = sums_.to(torch::kCPU).contiguous();  // the collective takes host memory
  parallel::allreduce_sum(sums.data_ptr<double>(), static_cast<size_t>(sums.numel()));
  const int64_t c = running_mean.size(0);
  torch::Tensor n = sums.narrow(0, 2 * c, c);
  torch::Tensor mean = sums.narrow(0, 0, c) / n;
  torch::Tensor var = (sums.narrow(0, c, c) - n * mean * mean) / (n - 1).clamp_min(1);
  running_mean.copy_(mean.to(running_mean.dtype()));
  running_var.copy_(var.clamp_min(0).to(running_var.dtype()));
  num_batches_tracked.copy_(batches_before_);
  sums_ = torch::Tensor();
}

}  // namespace axnn::nn
