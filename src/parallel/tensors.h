// The collectives of data-parallel training on torch tensors, over parallel/world.h. Tensors on a GPU
// travel through host memory (MPI here is not CUDA-aware). Every call is a no-op in a world of one.
#pragma once

#include <torch/torch.h>

namespace axnn::parallel {

// The sum of `x` over every rank, differentiable: the gradient of a sum over ranks is the sum over
// ranks of the gradients (each rank's loss is one part of the global loss).
torch::Tensor all_reduce_sum(const torch::Tensor& x);

// The element-wise maximum of `x` over every rank (not differentiable).
torch::Tensor all_reduce_max(const torch::Tensor& x);

// Rank 0's parameters and floating-point buffers, copied into every rank's `model`.
void broadcast_state(torch::nn::Module& model);

// Sums every trainable parameter's gradient over the ranks, in one message. Parameters without a
// gradient (the same on every rank: they all run the same graph) are left out.
void sum_gradients(torch::nn::Module& model);

}  // namespace axnn::parallel
