// BatchNorm2d for the model zoo: torch's, except that in data-parallel training (several ranks, see
// parallel/world.h) the batch statistics are those of the global batch, summed over the ranks
// (synchronised BatchNorm), so N ranks train the same function as one process with the same batch.
// Parameter and buffer names are torch's, so checkpoints do not change.
#pragma once

#include <torch/torch.h>

namespace axnn::nn {

class BatchNorm2dImpl : public torch::nn::BatchNorm2dImpl {
 public:
  using torch::nn::BatchNorm2dImpl::BatchNorm2dImpl;
  torch::Tensor forward(const torch::Tensor& x);

  // BatchNorm adaptation (method/bn_adaptation.h): between start and finish, every forward adds its
  // input's per-channel sum and sum of squares (double) to an exact accumulator; finish sums them over
  // the ranks and sets running_mean and the unbiased running_var to the statistics of everything seen,
  // restoring num_batches_tracked.
  void start_adaptation();
  void finish_adaptation();

 private:
  torch::Tensor forward_synchronised(const torch::Tensor& x);
  bool adapting_ = false;
  torch::Tensor sums_;  // double [3 * C]: sum, sum of squares, count (repeated per channel)
  torch::Tensor batches_before_;
};
TORCH_MODULE(BatchNorm2d);

}  // namespace axnn::nn
