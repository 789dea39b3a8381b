#include "inspect/model_view.h"

#include <algorithm>

#include <fmt/format.h>

#include "inspect/inspect.h"
#include "io/h5.h"
#include "io/views.h"

namespace axnn::inspect {

using nlohmann::json;

namespace {

// "-" without one; else the mean and range of the per-channel offsets (integer-product units).
std::string bias_compensation(H5::Group& layer) {
  if (!h5::exists(layer, "error_offset")) return "-";
  const auto v = h5::read_dataset<float>(layer, "error_offset");
  if (v.empty()) return "-";
  double sum = 0, lo = v.front(), hi = v.front();
  for (float x : v) sum += x, lo = std::min<double>(lo, x), hi = std::max<double>(hi, x);
  return fmt::format("mean {:.3g} [{:.3g}, {:.3g}]", sum / static_cast<double>(v.size()), lo, hi);
}

// The deploy step's BatchNorm adaptation, from the artifact's config (none for other models).
void add_bn_adaptation(const json& config, json& d) {
  if (!config.is_object() || !config.contains("bn_adaptation")) return;
  const json& a = config["bn_adaptation"];
  auto pct = [&](const char* key) { return a.contains(key) ? fmt::format("{:.2f}", a[key].get<double>()) : "-"; };
  d["tables"].push_back({{"title", "BatchNorm adaptation (deploy)"},
                         {"columns", {"batchnorm_layers", "images", "seed", "test_acc_before", "test_acc_after"}},
                         {"rows", {{a.value("layers", 0), a.value("images", 0), a.value("seed", 0), pct("test_accuracy_before"),
                                    pct("test_accuracy_after")}}}});
}

// A pruned model (axnn-prune): kept filters per layer, the MACs before and after, the ranking.
void add_pruning(H5::Group& root, json& d) {
  if (!h5::has_attr(root, "pruning")) return;
  const json p = h5::read_json_attr(root, "pruning");
  const json& r = p.at("ranking");
  json rows = json::array();
  for (const auto& [layer, l] : p.at("layers").items()) {
    std::string alpha = "-", kappa = "-";
    for (size_t i = 0; i < r.at("layers").size(); ++i)
      if (r["layers"][i] == layer) {
        alpha = fmt::format("{:.4f}", r["alpha"][i].get<double>());
        kappa = fmt::format("{:.4f}", r["kappa"][i].get<double>());
      }
    rows.push_back({layer, l.at("filters"), l.at("kept"), alpha, kappa});
  }
  d["tables"].push_back({{"title", fmt::format("pruned (LeGR) to target {:.3g}: {} of {} MACs per image, {:.4f} of the dense "
                                               "network's {}",
                                               p.at("target").get<double>(), p.at("macs").get<int64_t>(),
                                               p.at("macs_before").get<int64_t>(), p.at("mac_fraction").get<double>(),
                                               p.at("macs_dense").get<int64_t>())},
                         {"columns", {"layer", "filters", "kept", "alpha", "kappa"}},
                         {"rows", rows}});
}

}  // namespace

void register_model_view() {
  register_view("model", [](H5::H5File& file, json& d) {
    H5::Group root = file.openGroup("/");
    json rows = json::array();
    int64_t total_ops = 0;
    auto names = h5::read_json_attr(root, "layer_names");
    for (const auto& n : names) total_ops += h5::read_int_attr(root.openGroup("layers/" + n.get<std::string>()), "opcount");
    for (const auto& n : names) {
      H5::Group g = root.openGroup("layers/" + n.get<std::string>());
      const int64_t ops = h5::read_int_attr(g, "opcount");
      rows.push_back({n, h5::read_string_attr(g, "kind"), h5::read_int_attr(g, "fan_in"), ops,
                      fmt::format("{:.3f}", total_ops ? static_cast<double>(ops) / total_ops : 0.0),
                      h5::read_string_attr(g, "mode"), fmt::format("{:.4g}", h5::read_double_attr(g, "act_scale")),
                      fmt::format("{:.4f}", h5::read_double_attr(g, "sigma")), h5::read_string_attr(g, "multiplier"),
                      bias_compensation(g)});
    }
    d["tables"].push_back({{"title", fmt::format("{} layers", h5::read_string_attr(root, "architecture"))},
                           {"columns", {"layer", "kind", "fan_in", "opcount", "ops_share", "mode", "act_scale", "sigma",
                                        "multiplier", "bias_compensation"}},
                           {"rows", rows}});
    add_pruning(root, d);
    add_bn_adaptation(d["config"], d);
  });
}

}  // namespace axnn::inspect
