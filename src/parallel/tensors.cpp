#include "parallel/tensors.h"

#include <functional>

#include "core/error.h"
#include "parallel/world.h"

namespace axnn::parallel {
namespace {

// `x` summed (or maximised) over the ranks, as a new tensor on x's device.
torch::Tensor reduce(const torch::Tensor& x, bool max) {
  torch::Tensor host = x.detach().to(torch::kCPU).contiguous().clone();
  if (host.scalar_type() == torch::kDouble) {
    max ? allreduce_max(host.data_ptr<double>(), static_cast<size_t>(host.numel()))
        : allreduce_sum(host.data_ptr<double>(), static_cast<size_t>(host.numel()));
  } else if (host.scalar_type() == torch::kFloat) {
    max ? allreduce_max(host.data_ptr<float>(), static_cast<size_t>(host.numel()))
        : allreduce_sum(host.data_ptr<float>(), static_cast<size_t>(host.numel()));
  } else {
    throw Error("all-reduce: only float and double tensors travel between ranks");
  }
  return host.to(x.device());
}

struct AllReduceSum : torch::autograd::Function<AllReduceSum> {
  static torch::Tensor forward(torch::autograd::AutogradContext*, const torch::Tensor& x) { return reduce(x, false); }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext*, torch::autograd::variable_list g) {
    return {reduce(g[0], false)};
  }
};

// Runs `collective` once on all `tensors` flattened into one float buffer on the host, then copies
// the result back into each of them.
void in_one_message(std::vector<torch::Tensor>& tensors, const std::function<void(float*, size_t)>& collective) {
  if (tensors.empty()) return;
  std::vector<torch::Tensor> flat;
  for (const auto& t : tensors) flat.push_back(t.detach().to(torch::kCPU, torch::kFloat).flatten());
  torch::Tensor all = torch::cat(flat).contiguous();
  collective(all.data_ptr<float>(), static_cast<size_t>(all.numel()));
  int64_t offset = 0;
  for (auto& t : tensors) {
    t.copy_(all.narrow(0, offset, t.numel()).view_as(t));
    offset += t.numel();
  }
}

}  // namespace

torch::Tensor all_reduce_sum(const torch::Tensor& x) {
  if (world().size == 1) return x;
  return AllReduceSum::apply(x);
}

torch::Tensor all_reduce_max(const torch::Tensor& x) { return world().size == 1 ? x : reduce(x, true); }

void broadcast_state(torch::nn::Module& model) {
  if (world().size == 1) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> state;
  for (const auto& p : model.parameters()) state.push_back(p);
  for (const auto& b : model.buffers())
    if (b.is_floating_point()) state.push_back(b);
  in_one_message(state, [](float* data, size_t n) { broadcast(data, n); });
}

void sum_gradients(torch::nn::Module& model) {
  if (world().size == 1) return;
  std::vector<torch::Tensor> grads;
  for (auto& p : model.parameters()) {
    // Every rank runs the same graph, so the parameters with a gradient are the same on every rank;
    // one without (a noise sigma outside noise mode) must stay without, or the optimizer would move it.
    if (!p.requires_grad() || !p.grad().defined()) continue;
    grads.push_back(p.grad());
  }
  in_one_message(grads, [](float* data, size_t n) { allreduce_sum(data, n); });
}

}  // namespace axnn::parallel
