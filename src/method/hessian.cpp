#include "method/hessian.h"

#include <cmath>
#include <limits>

#include <ATen/CPUGeneratorImpl.h>
#include <spdlog/spdlog.h>

#include "core/error.h"
#include "core/progress.h"
#include "nn/approx_layer.h"
#include "train/loader.h"

namespace axnn::method {

torch::Tensor rademacher(const torch::Tensor& like, torch::Generator& rng) {
  torch::Tensor v = torch::randint(0, 2, like.sizes(), rng, torch::TensorOptions().dtype(torch::kFloat));
  return (v * 2 - 1).to(like.options());
}

HutchinsonResult hutchinson(const HutchinsonSample& sample, const HutchinsonOptions& o) {
  torch::Generator rng = at::make_generator<at::CPUGeneratorImpl>(o.seed);
  HutchinsonResult r;
  std::vector<double> sum, sum2;
  double previous = std::numeric_limits<double>::quiet_NaN();
  for (int64_t it = 1; it <= o.max_iterations; ++it) {
    const std::vector<double> s = sample(rng);
    if (sum.empty()) sum.assign(s.size(), 0), sum2.assign(s.size(), 0);
    double total = 0;
    for (size_t g = 0; g < s.size(); ++g) {
      sum[g] += s[g], sum2[g] += s[g] * s[g];
      total += sum[g] / static_cast<double>(it);
    }
    r.iterations = it;
    if (it >= o.min_iterations && std::isfinite(previous) && std::abs(total - previous) <= o.tolerance * std::abs(total)) {
      r.converged = true;
      break;
    }
    previous = total;
  }
  const auto n = static_cast<double>(r.iterations);
  for (size_t g = 0; g < sum.size(); ++g) {
    const double mean = sum[g] / n;
    const double var = n > 1 ? std::max(0.0, (sum2[g] - n * mean * mean) / (n - 1)) : 0.0;
    r.mean.push_back(mean);
    r.standard_error.push_back(std::sqrt(var / n));
  }
  return r;
}

namespace {

const torch::Tensor& weight_of(nn::ApproxLayer& layer) {
  if (auto* conv = dynamic_cast<nn::ApproxConv2dImpl*>(&layer)) return conv->weight;
  return dynamic_cast<nn::ApproxLinearImpl&>(layer).weight;
}

}  // namespace

Sensitivity hessian_sensitivity(models::Checkpoint& c, const data::Dataset& d, const SensitivitySettings& cfg, uint64_t seed,
                                const torch::Device& device) {
  const data::Split images = data::seeded_subset(d.train, cfg.samples, seed);
  if (images.n == 0) throw InputError("the training split has no images");
  train::LoaderOptions lo;
  lo.batch_size = cfg.batch_size;
  lo.shuffle = false;
  train::BatchLoader loader(images, d.mean, d.std, lo);
  std::vector<std::pair<torch::Tensor, torch::Tensor>> batches;
  torch::Tensor x, y;
  loader.start_epoch(0);
  while (loader.next(x, y)) batches.emplace_back(x.to(device), y.to(device));

  c.model->to(device);
  c.model->eval();  // fixed BatchNorm statistics and activation scales: the Hessian of the deployed function
  auto layers = nn::approx_layers(*c.model);
  std::vector<torch::Tensor> weights;
  for (auto& [name, layer] : layers) {
    layer->set_mode(nn::Mode::Quant);
    layer->set_capture(true);
    weights.push_back(weight_of(*layer));
  }
  const size_t n_layers = layers.size();
  const auto total = static_cast<double>(images.n);
  Progress progress("hessian", cfg.max_iterations);
  // One sample: per batch, the gradient of the batch's share of the mean loss with create_graph, then
  // the gradient of g.v (Hessian-vector products for the weights and the outputs at once).
  HutchinsonSample sample = [&](torch::Generator& rng) {
    std::vector<double> out(2 * n_layers, 0.0);
    std::vector<torch::Tensor> vw;
    for (const auto& w : weights) vw.push_back(rademacher(w, rng));
    for (const auto& [bx, by] : batches) {
      torch::Tensor loss = torch::nn::functional::cross_entropy(
                               c.model->forward(bx), by, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum)) /
                           total;
      std::vector<torch::Tensor> inputs = weights;
      for (auto& [name, layer] : layers) inputs.push_back(layer->captured());
      std::vector<torch::Tensor> grads = torch::autograd::grad({loss}, inputs, {}, true, true);
      std::vector<torch::Tensor> v = vw;
      for (size_t l = 0; l < n_layers; ++l) v.push_back(rademacher(inputs[n_layers + l], rng));
      torch::Tensor dot = torch::zeros({}, loss.options());
      for (size_t i = 0; i < inputs.size(); ++i) dot = dot + (grads[i] * v[i]).sum();
      std::vector<torch::Tensor> hv = torch::autograd::grad({dot}, inputs, {}, false, false, true);
      for (size_t i = 0; i < inputs.size(); ++i)
        if (hv[i].defined()) out[i] += (hv[i] * v[i]).sum().item<double>();
    }
    progress.advance();
    return out;
  };
  HutchinsonOptions ho;
  ho.max_iterations = cfg.max_iterations;
  ho.min_iterations = cfg.min_iterations;
  ho.tolerance = cfg.tolerance;
  ho.seed = seed;
  const HutchinsonResult r = hutchinson(sample, ho);
  progress.finish(r.converged ? "converged" : "iteration cap");

  Sensitivity s;
  s.samples = images.n;
  s.iterations = r.iterations;
  s.converged = r.converged;
  for (size_t l = 0; l < n_layers; ++l) {
    auto& [name, layer] = layers[l];
    layer->set_capture(false);
    LayerSensitivity ls;
    ls.name = name;
    ls.weight_numel = weights[l].numel();
    ls.opcount = layer->opcount();  // set by the estimator's forward passes
    ls.weight_trace = std::abs(r.mean[l]);
    ls.weight_trace_se = r.standard_error[l];
    ls.output_trace = std::abs(r.mean[n_layers + l]);
    ls.output_trace_se = r.standard_error[n_layers + l];
    const double s_a = layer->act_max().item<double>() / nn::kQMax;
    const double s_w = weights[l].detach().abs().max().item<double>() / nn::kQMax;
    ls.output_scale = s_a * s_w;
    ls.sigma = std::abs(layer->sigma().item<double>());
    s.layers.push_back(ls);
  }
  c.model->to(torch::kCPU);
  return s;
}

}  // namespace axnn::method
