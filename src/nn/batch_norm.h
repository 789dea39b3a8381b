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

 private:
  torch::Tensor forward_synchronised(const torch::Tensor& x);
};
TORCH_MODULE(BatchNorm2d);

}  // namespace axnn::nn
