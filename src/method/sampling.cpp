#include "method/sampling.h"

#include <algorithm>
#include <cmath>
#include <random>

#include <fmt/format.h>

#include "core/error.h"
#include "core/progress.h"
#include "nn/approx_layer.h"
#include "train/loader.h"
#include "train/run.h"

namespace axnn::method {
namespace {

// Accumulates one layer's operands over the batches.
struct LayerSampler {
  LayerRefs refs;
  int64_t capacity = 0;
  std::mt19937_64 rng;
  double n = 0, s = 0, s2 = 0;  // exact outputs

  void add(const nn::RecordedOperands& rec) {
    const int64_t k = refs.fan_in, r = rec.rows.size(0);
    if (refs.weights.empty()) {
      torch::Tensor w = rec.weights.contiguous();
      refs.weights.assign(w.data_ptr<int8_t>(), w.data_ptr<int8_t>() + w.numel());
      refs.weight_hist = histogram(refs.weights.data(), refs.weights.size());
    }
    torch::Tensor rows = rec.rows.contiguous();
    const int8_t* data = rows.data_ptr<int8_t>();
    const Histogram h = histogram(data, static_cast<size_t>(rows.numel()));
    for (size_t i = 0; i < 256; ++i) refs.act_hist[i] += h[i];
    const int64_t per_group = r / refs.groups;
    for (int64_t i = 0; i < r; ++i) {
      // Reservoir sampling: after t rows, each is kept with probability capacity / t.
      const int64_t t = refs.rows_seen++;
      int64_t slot = t < capacity ? t : static_cast<int64_t>(rng() % static_cast<uint64_t>(t + 1));
      if (slot >= capacity) continue;
      if (slot == refs.kept()) {
        refs.rows.insert(refs.rows.end(), data + i * k, data + (i + 1) * k);
        if (refs.groups > 1) refs.row_group.push_back(static_cast<int32_t>(i / per_group));
      } else {
        std::copy(data + i * k, data + (i + 1) * k, refs.rows.begin() + slot * k);
        if (refs.groups > 1) refs.row_group[static_cast<size_t>(slot)] = static_cast<int32_t>(i / per_group);
      }
    }
    torch::Tensor out = rec.outputs.to(torch::kDouble);
    n += static_cast<double>(out.numel());
    s += out.sum().item<double>();
    s2 += out.square().sum().item<double>();
  }
};

}  // namespace

Refs sample_refs(models::Checkpoint& c, const data::Dataset& d, const SampleSettings& cfg, uint64_t seed) {
  const data::Split& source = train::split(d, cfg.split);
  if (source.n == 0) throw InputError(fmt::format("the {} split has no images to sample", cfg.split));
  const data::Split images = data::seeded_subset(source, cfg.images, seed);

  auto layers = nn::approx_layers(*c.model);
  std::vector<LayerSampler> samplers(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    auto& [name, layer] = layers[i];
    layer->set_mode(nn::Mode::Quant);  // exact integer products of the quantized operands
    layer->set_recording(true);
    samplers[i].refs.name = name;
    samplers[i].refs.fan_in = layer->fan_in();
    samplers[i].refs.sigma = std::abs(layer->sigma().item<double>());
    if (auto* conv = dynamic_cast<nn::ApproxConv2dImpl*>(layer.get())) {
      samplers[i].refs.kind = "conv2d";
      samplers[i].refs.groups = conv->options.groups();
      samplers[i].refs.out_channels = conv->options.out_channels();
    } else {
      samplers[i].refs.kind = "linear";
      samplers[i].refs.out_channels = dynamic_cast<nn::ApproxLinearImpl&>(*layer).options.out_features();
    }
    samplers[i].capacity = cfg.max_rows;
    samplers[i].rng.seed(seed + 1 + i);
  }
  train::LoaderOptions o;
  o.batch_size = cfg.batch_size;
  o.shuffle = false;
  train::BatchLoader loader(images, d.mean, d.std, o);
  torch::NoGradGuard no_grad;
  c.model->eval();
  Progress progress("sample", loader.batches_per_epoch());
  torch::Tensor x, y;
  loader.start_epoch(0);
  while (loader.next(x, y)) {
    c.model->forward(x);
    for (size_t i = 0; i < layers.size(); ++i) samplers[i].add(layers[i].second->recorded());
    progress.advance();
  }
  Refs refs;
  refs.images = images.n;
  for (size_t i = 0; i < layers.size(); ++i) {
    LayerSampler& s = samplers[i];
    layers[i].second->set_recording(false);
    s.refs.opcount = layers[i].second->opcount();
    const double mean = s.s / s.n;
    s.refs.output_std = std::sqrt(std::max(0.0, s.s2 / s.n - mean * mean));
    if (!std::isfinite(s.refs.output_std))
      throw Error(fmt::format("layer {}: the integer output std is not finite (NaN or Inf activations)", s.refs.name));
    refs.layers.push_back(std::move(s.refs));
  }
  return refs;
}

}  // namespace axnn::method
