#include "method/noise.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/error.h"
#include "nn/approx_layer.h"

namespace axnn::method {

std::vector<std::string> select_layers(models::Model& model, const std::vector<std::string>& modules) {
  std::vector<std::string> out;
  auto layers = nn::approx_layers(model);
  for (const std::string& m : modules) {
    bool matched = false;
    for (auto& [name, layer] : layers) {
      auto* conv = dynamic_cast<nn::ApproxConv2dImpl*>(layer.get());
      const bool depthwise = conv && conv->options.groups() > 1 && conv->options.groups() == conv->options.in_channels();
      const bool hit = m == "all" || m == name || (m == "conv" && conv) || (m == "linear" && !conv) || (m == "depthwise" && depthwise);
      if (!hit) continue;
      matched = true;
      if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    }
    if (!matched) throw ConfigError(fmt::format("modules: '{}' matches no layer (aliases: all, conv, linear, depthwise)", m));
  }
  return out;
}

void start_noise(models::Checkpoint& c, double sigma_init, const std::vector<std::string>& selected) {
  torch::NoGradGuard no_grad;
  for (auto& [name, layer] : nn::approx_layers(*c.model)) {
    const bool on = std::find(selected.begin(), selected.end(), name) != selected.end();
    layer->set_mode(on ? nn::Mode::Noise : nn::Mode::Quant);
    layer->sigma().fill_(on ? sigma_init : 0.0);
    layer->mu().zero_();
  }
}

train::ExtraLoss noise_term(models::Checkpoint& c, double lambda, double sigma_max) {
  models::measure_opcounts(*c.model, c.options);
  std::vector<std::shared_ptr<nn::ApproxLayer>> layers;
  std::vector<std::string> names;
  std::vector<double> shares;
  double total = 0;
  for (auto& [name, layer] : nn::approx_layers(*c.model)) {
    total += static_cast<double>(layer->opcount());
    if (layer->mode() != nn::Mode::Noise) continue;
    layers.push_back(layer);
    names.push_back(name);
    shares.push_back(static_cast<double>(layer->opcount()));
  }
  if (layers.empty()) throw ConfigError("no layer is in noise mode (check modules)");
  for (double& s : shares) s /= total;
  // Running sums over the epoch's batches for the log.
  auto sums = std::make_shared<std::pair<double, int64_t>>(0.0, 0);
  train::ExtraLoss extra;
  extra.term = [=] {
    torch::Tensor tolerated = torch::zeros({}, layers.front()->sigma().options());
    for (size_t i = 0; i < layers.size(); ++i)
      tolerated = tolerated + shares[i] * torch::clamp_max(layers[i]->sigma().abs(), sigma_max);
    torch::Tensor term = -lambda * tolerated;
    sums->first += term.item<double>();
    ++sums->second;
    return term;
  };
  extra.log = [=] {
    double mean_sigma = 0;
    nlohmann::json sigma = nlohmann::json::object();
    for (size_t i = 0; i < layers.size(); ++i) {
      const double s = std::abs(layers[i]->sigma().item<double>());
      sigma[names[i]] = s;
      mean_sigma += s / static_cast<double>(layers.size());
    }
    nlohmann::json j = {{"mean_sigma", mean_sigma}, {"noise_term", sums->second ? sums->first / static_cast<double>(sums->second) : 0.0},
                        {"sigma", sigma}};
    *sums = {0.0, 0};
    return j;
  };
  return extra;
}

}  // namespace axnn::method
