#include "prune/structure.h"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

#include "core/error.h"
#include "nn/approx_layer.h"

namespace axnn::prune {
namespace {

const models::PruneGroup* group_of(const models::Model& m, const std::string& layer) {
  for (const auto& g : m.prune_groups())
    if (g.layer == layer) return &g;
  return nullptr;
}

bool contains(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

int64_t out_channels(models::Model& m, const std::string& layer) {
  for (auto& [name, l] : nn::approx_layers(m))
    if (name == layer) return l->named_parameters(false)["weight"].size(0);
  throw Error(fmt::format("prune group {} is not an approximate layer", layer));
}

}  // namespace

Widths filters_of(models::Model& model) {
  Widths w;
  for (const auto& g : model.prune_groups()) w[g.layer] = out_channels(model, g.layer);
  return w;
}

Widths widths_of(const Keep& keep) {
  Widths w;
  for (const auto& [layer, kept] : keep) w[layer] = static_cast<int64_t>(kept.size());
  return w;
}

MacModel::MacModel(models::Checkpoint& c) : widths_(filters_of(*c.model)) {
  models::measure_opcounts(*c.model, c.options);
  const auto& groups = c.model->prune_groups();
  for (auto& [name, l] : nn::approx_layers(*c.model)) {
    Layer layer{name, l->opcount(), "", ""};
    for (const auto& g : groups) {
      if (g.layer == name || contains(g.followers, name)) layer.out_group = g.layer;
      if (contains(g.consumers, name)) layer.in_group = g.layer;
    }
    layers_.push_back(layer);
  }
}

std::map<std::string, int64_t> MacModel::per_layer(const Widths& w) const {
  std::map<std::string, int64_t> out;
  for (const Layer& l : layers_) {
    // ops is divisible by the dense widths it depends on (out x in/groups x k x k x positions), so the
    // count stays exact.
    int64_t ops = l.ops;
    if (!l.out_group.empty()) ops = ops / widths_.at(l.out_group) * w.at(l.out_group);
    if (!l.in_group.empty()) ops = ops / widths_.at(l.in_group) * w.at(l.in_group);
    out[l.name] = ops;
  }
  return out;
}

int64_t MacModel::macs(const Widths& w) const {
  int64_t total = 0;
  for (const auto& [name, ops] : per_layer(w)) total += ops;
  return total;
}

void check_prunable(models::Checkpoint& c, const std::string& path) {
  for (auto& [name, l] : nn::approx_layers(*c.model)) {
    if (l->mode() == nn::Mode::Approx || l->multiplier() != "exact")
      throw InputError(fmt::format("{}: layer {} is deployed (multiplier {}): prune before the deploy step", path, name,
                                   l->multiplier()));
    if (l->mode() == nn::Mode::Noise)
      throw InputError(fmt::format("{}: layer {} is in noise mode: prune before the noise step (a learned sigma does not "
                                   "hold for the pruned network)", path, name));
  }
  bool any = false;
  for (const auto& [layer, filters] : filters_of(*c.model)) any |= filters > 1;
  if (!any)
    throw InputError(fmt::format("{}: no layer of this {} can lose a filter (every prunable layer is down to one, or it "
                                 "has none)", path, c.arch));
}

std::map<std::string, std::vector<double>> filter_norms(models::Model& model) {
  torch::NoGradGuard no_grad;
  std::map<std::string, std::vector<double>> out;
  for (auto& [name, l] : nn::approx_layers(model)) {
    if (!group_of(model, name)) continue;
    torch::Tensor w = l->named_parameters(false)["weight"].detach().to(torch::kDouble);
    torch::Tensor n = w.flatten(1).norm(2, 1);
    const double top = n.max().item<double>();
    if (top > 0) n = n / top;
    out[name] = std::vector<double>(n.data_ptr<double>(), n.data_ptr<double>() + n.numel());
  }
  return out;
}

Keep select_filters(const std::map<std::string, std::vector<double>>& norms, const Ranking& ranking,
                    const MacModel& macs, double target) {
  if (!(target > 0 && target <= 1)) throw ConfigError(fmt::format("target: {} is outside (0, 1]", target));
  const auto goal = static_cast<double>(macs.total()) * target;
  Widths floor = macs.widths();
  for (auto& [layer, w] : floor) w = 1;
  const int64_t least = macs.macs(floor);
  if (static_cast<double>(least) > goal)
    throw ConfigError(fmt::format("target: {} is below what the model's constraints allow: with one filter left in every "
                                  "prunable layer it keeps {:.4f} of the MACs",
                                  target, static_cast<double>(least) / static_cast<double>(macs.total())));
  // Every filter by its score, lowest first (ties by layer order and index: deterministic).
  std::vector<std::tuple<double, size_t, int64_t>> order;
  for (size_t l = 0; l < ranking.layers.size(); ++l) {
    const auto& n = norms.at(ranking.layers[l]);
    for (size_t f = 0; f < n.size(); ++f)
      order.emplace_back(ranking.alpha[l] * n[f] + ranking.kappa[l], l, static_cast<int64_t>(f));
  }
  std::sort(order.begin(), order.end());
  Widths w = macs.widths();
  std::map<std::string, std::vector<bool>> removed;
  for (const auto& [layer, n] : norms) removed[layer].assign(n.size(), false);
  for (const auto& [score, l, f] : order) {
    if (static_cast<double>(macs.macs(w)) <= goal) break;
    const std::string& layer = ranking.layers[l];
    if (w[layer] <= 1) continue;
    --w[layer];
    removed[layer][static_cast<size_t>(f)] = true;
  }
  Keep keep;
  for (const auto& [layer, r] : removed)
    for (size_t f = 0; f < r.size(); ++f)
      if (!r[f]) keep[layer].push_back(static_cast<int64_t>(f));
  return keep;
}

namespace {

// The index of `name`'s module and leaf ("layer1_0.bn1.running_mean" -> "layer1_0.bn1", "running_mean").
std::pair<std::string, std::string> split_name(const std::string& name) {
  const auto dot = name.rfind('.');
  if (dot == std::string::npos) return {"", name};
  return {name.substr(0, dot), name.substr(dot + 1)};
}

bool per_channel(const std::string& leaf) {
  return leaf == "weight" || leaf == "bias" || leaf == "running_mean" || leaf == "running_var";
}

// Input columns of a consumer: the kept channels, each a block of `block` columns after a flatten.
torch::Tensor input_columns(const std::vector<int64_t>& kept, int64_t block) {
  std::vector<int64_t> cols;
  for (int64_t k : kept)
    for (int64_t b = 0; b < block; ++b) cols.push_back(k * block + b);
  return torch::tensor(cols, torch::kLong);
}

// The dense tensor `t` of module `module` narrowed to the kept filters and inputs.
torch::Tensor narrow(const models::Model& dense, const Keep& keep, const std::string& module, const std::string& leaf,
                     torch::Tensor t, const Widths& widths) {
  for (const auto& g : dense.prune_groups()) {
    auto it = keep.find(g.layer);
    if (it == keep.end()) continue;
    const int64_t width = widths.at(g.layer);
    if ((module == g.layer || contains(g.followers, module)) && per_channel(leaf) && t.dim() >= 1 && t.size(0) == width)
      t = t.index_select(0, torch::tensor(it->second, torch::kLong));
    if (contains(g.consumers, module) && leaf == "weight" && t.dim() >= 2 && t.size(1) % width == 0)
      t = t.index_select(1, input_columns(it->second, t.size(1) / width));
  }
  return t;
}

std::map<std::string, torch::Tensor> all_tensors(torch::nn::Module& m) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : m.named_parameters()) out[p.key()] = p.value();
  for (const auto& b : m.named_buffers()) out[b.key()] = b.value();
  return out;
}

}  // namespace

models::Checkpoint prune_model(const models::Checkpoint& dense, const Keep& keep) {
  const Widths widths = filters_of(*dense.model);
  models::Checkpoint out{dense.arch, dense.options, nullptr, nlohmann::json::array(), dense.pruning};
  for (const auto& [layer, kept] : keep) {
    if (!widths.count(layer)) throw Error(fmt::format("prune: {} is not a prunable layer", layer));
    if (kept.empty()) throw Error(fmt::format("prune: every filter of {} removed", layer));
  }
  for (const auto& [layer, kept] : widths_of(keep)) out.options.widths[layer] = kept;
  out.model = models::build_model(out.arch, out.options);
  torch::NoGradGuard no_grad;
  const auto source = all_tensors(*dense.model);
  for (auto& [name, t] : all_tensors(*out.model)) {
    const auto [module, leaf] = split_name(name);
    torch::Tensor v = narrow(*dense.model, keep, module, leaf, source.at(name), widths);
    if (v.sizes() != t.sizes())
      throw Error(fmt::format("prune: {} narrows to {}, the pruned model has {}", name, fmt::join(v.sizes(), "x"),
                              fmt::join(t.sizes(), "x")));
    t.copy_(v);
  }
  auto from = nn::approx_layers(*dense.model);
  auto to = nn::approx_layers(*out.model);
  for (size_t i = 0; i < to.size(); ++i) to[i].second->quant = from[i].second->quant;
  out.model->train(dense.model->is_training());
  return out;
}

}  // namespace axnn::prune
