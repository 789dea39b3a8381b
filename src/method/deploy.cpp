#include "method/deploy.h"

#include <set>

#include <fmt/format.h>

#include "core/error.h"
#include "nn/approx_layer.h"

namespace axnn::method {
namespace {

// The chosen table's mean error per output channel, as the layer's bias compensation.
torch::Tensor error_offset(const LayerMatch& l, nn::ApproxLayer& layer) {
  const int64_t channels = layer.named_parameters(false)["weight"].size(0);
  if (l.channel_mean_error.empty())
    throw InputError(fmt::format("layer {}: the matching has no per-channel mean errors (made by an older axnn-match); "
                                 "match again for bias compensation",
                                 l.name));
  const auto& row = l.channel_mean_error[static_cast<size_t>(l.chosen)];
  if (static_cast<int64_t>(row.size()) != channels)
    throw InputError(fmt::format("layer {}: the matching has {} channel errors, the layer {} channels", l.name, row.size(), channels));
  return torch::tensor(std::vector<float>(row.begin(), row.end()));
}

}  // namespace

void deploy(models::Checkpoint& c, const std::string& model_hash, const Matching& matching, const mult::Library& library,
            const std::string& library_hash, bool bias_compensation) {
  if (matching.model_hash != model_hash)
    throw InputError(fmt::format("the matching was made for the model {}, not for this checkpoint ({})", matching.model_hash, model_hash));
  if (!matching.library_hash.empty() && matching.library_hash != library_hash)
    throw InputError(fmt::format("the matching chose from the library {}, not from this one ({})", matching.library_hash, library_hash));
  auto layers = nn::approx_layers(*c.model);
  std::set<std::string> model_names, matched_names;
  for (const auto& [name, layer] : layers) model_names.insert(name);
  for (const auto& l : matching.layers) matched_names.insert(l.name);
  if (model_names != matched_names) {
    std::vector<std::string> missing, extra;
    for (const auto& n : model_names)
      if (!matched_names.count(n)) missing.push_back(n);
    for (const auto& n : matched_names)
      if (!model_names.count(n)) extra.push_back(n);
    throw InputError(fmt::format("the matching's layers do not fit the {} model (not matched: [{}]; unknown: [{}])", c.arch,
                                 fmt::join(missing, ", "), fmt::join(extra, ", ")));
  }
  for (const auto& l : matching.layers) {
    const std::string& name = matching.multipliers[static_cast<size_t>(l.chosen)];
    const mult::Multiplier* m = library.find(name);
    if (!m) throw InputError(fmt::format("layer {}: multiplier '{}' is not in the library", l.name, name));
    for (auto& [layer_name, layer] : layers) {
      if (layer_name != l.name) continue;
      layer->set_lut(torch::from_blob(const_cast<int32_t*>(m->lut.data()), {256, 256}, torch::kInt32).clone(), name, library_hash);
      layer->set_mode(nn::Mode::Approx);
      if (bias_compensation) layer->set_error_offset(error_offset(l, *layer));
    }
  }
}

}  // namespace axnn::method
