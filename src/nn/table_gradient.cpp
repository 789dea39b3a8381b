#include "nn/table_gradient.h"

#include <algorithm>

#include "kernels/lut_backward.h"

namespace axnn::nn {

TableGradients table_gradients(const torch::Tensor& lut) {
  // Differences along one axis of the table (dim 0: a, dim 1: w), central inside, one-sided at the ends.
  auto diff = [](const torch::Tensor& t, int64_t dim) {
    torch::Tensor d = torch::empty_like(t);
    const int64_t n = t.size(dim);
    d.narrow(dim, 1, n - 2).copy_((t.narrow(dim, 2, n - 2) - t.narrow(dim, 0, n - 2)) / 2);
    d.narrow(dim, 0, 1).copy_(t.narrow(dim, 1, 1) - t.narrow(dim, 0, 1));
    d.narrow(dim, n - 1, 1).copy_(t.narrow(dim, n - 1, 1) - t.narrow(dim, n - 2, 1));
    return d;
  };
  torch::NoGradGuard no_grad;
  torch::Tensor t = lut.to(torch::kDouble);
  return {diff(t, 0).to(torch::kFloat).contiguous(), diff(t, 1).to(torch::kFloat).contiguous()};
}

std::pair<torch::Tensor, torch::Tensor> table_backward(const torch::Tensor& rows, const torch::Tensor& weights,
                                                       const torch::Tensor& grad, const TableGradients& t, bool need_rows) {
  if (grad.is_cuda()) return table_backward_gather(rows, weights, grad, t);
  torch::NoGradGuard no_grad;
  const torch::Tensor a = rows.contiguous(), w = weights.contiguous(), g = grad.to(torch::kFloat).contiguous();
  const torch::Tensor da = t.da.cpu().contiguous(), dw = t.dw.cpu().contiguous();
  const int64_t groups = a.size(0), m = a.size(1), k = a.size(2), n = w.size(1);
  torch::Tensor grad_rows = need_rows ? torch::empty({groups, m, k}, torch::kFloat) : torch::Tensor();
  torch::Tensor grad_w = torch::empty({groups, n, k}, torch::kFloat);
  for (int64_t i = 0; i < groups; ++i)
    kernels::lut_gemm_backward({m, n, k, a[i].data_ptr<int8_t>(), k, w[i].data_ptr<int8_t>(), k, g[i].data_ptr<float>(), n,
                                da.data_ptr<float>(), dw.data_ptr<float>(), need_rows ? grad_rows[i].data_ptr<float>() : nullptr, k,
                                grad_w[i].data_ptr<float>(), k});
  return {grad_rows, grad_w};
}

std::pair<torch::Tensor, torch::Tensor> table_backward_gather(const torch::Tensor& rows, const torch::Tensor& weights,
                                                              const torch::Tensor& grad, const TableGradients& t) {
  torch::NoGradGuard no_grad;
  const int64_t groups = rows.size(0), r_total = rows.size(1), k = rows.size(2), c = weights.size(1);
  const torch::Device dev = grad.device();
  torch::Tensor da = t.da.to(dev).flatten(), dw = t.dw.to(dev).flatten();
  torch::Tensor grad_rows = torch::zeros({groups, r_total, k}, grad.options().dtype(torch::kFloat));
  torch::Tensor grad_w = torch::zeros({groups, c, k}, grad_rows.options());
  // Rows per chunk: the gathered [chunk, C, K] blocks hold about 4 M entries each.
  const int64_t chunk = std::max<int64_t>(1, (int64_t{4} << 20) / std::max<int64_t>(1, c * k));
  for (int64_t g = 0; g < groups; ++g) {
    torch::Tensor w_idx = (weights[g].to(dev, torch::kLong) + 128).unsqueeze(0);  // [1, C, K]
    for (int64_t r0 = 0; r0 < r_total; r0 += chunk) {
      const int64_t n = std::min(chunk, r_total - r0);
      torch::Tensor a_idx = (rows[g].narrow(0, r0, n).to(dev, torch::kLong) + 128).unsqueeze(1);  // [n, 1, K]
      torch::Tensor idx = a_idx * 256 + w_idx;                                                  // [n, C, K]
      torch::Tensor gr = grad[g].narrow(0, r0, n).to(torch::kFloat);                            // [n, C]
      // d/d a[r, k] = sum_c grad[r, c] * da[a, w[c, k]];  d/d w[c, k] = sum_r grad[r, c] * dw[a[r, k], w].
      grad_rows[g].narrow(0, r0, n).copy_(torch::bmm(gr.unsqueeze(1), da.take(idx)).squeeze(1));
      grad_w[g].add_((gr.unsqueeze(2) * dw.take(idx)).sum(0));
    }
  }
  return {grad_rows, grad_w};
}

namespace {

// The backward closure, kept alive by the autograd graph.
struct BackwardHolder : torch::CustomClassHolder {
  ProductBackward backward;
};

class ApproxProduct : public torch::autograd::Function<ApproxProduct> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& /*x*/,
                               const torch::Tensor& /*weight*/, const torch::Tensor& value,
                               c10::intrusive_ptr<BackwardHolder> holder) {
    ctx->saved_data["backward"] = c10::IValue::make_capsule(std::move(holder));
    return value.detach().clone();
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_out) {
    auto h = c10::static_intrusive_pointer_cast<BackwardHolder>(ctx->saved_data["backward"].toCapsule());
    auto [gx, gw] = h->backward(grad_out[0], ctx->needs_input_grad(0), ctx->needs_input_grad(1));
    return {gx, gw, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor approx_product(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& value,
                             ProductBackward backward) {
  auto h = c10::make_intrusive<BackwardHolder>();
  h->backward = std::move(backward);
  return ApproxProduct::apply(x, weight, value, std::move(h));
}

torch::Tensor table_product(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& acc,
                            const torch::Tensor& xi, const torch::Tensor& wi, const torch::Tensor& s_a,
                            const torch::Tensor& s_w, const TableGradients& t, const GemmView& view) {
  const torch::Tensor a = xi.detach(), w = wi.detach(), sa = s_a.detach().to(x.device()), sw = s_w.detach().to(x.device());
  return approx_product(x, weight, acc, [=](const torch::Tensor& grad_acc, bool need_x, bool) {
    const torch::Tensor rows = view.rows(a);
    // Weights are [C_out, ...] with the groups' channels in order: [G, C_out / G, K].
    auto [grad_rows, grad_w] = table_backward(rows, w.reshape({rows.size(0), -1, rows.size(2)}), view.out_rows(grad_acc), t, need_x);
    // a = x / s_a and w = weight / s_w (straight-through rounding): chain by 1 / scale.
    return std::pair{need_x ? view.input_grad(grad_rows) / sa : torch::Tensor(), grad_w.reshape(w.sizes()) / sw};
  });
}

}  // namespace axnn::nn
