// Filter pruning of zoo models (docs/pruning.md): the MAC count of any choice of widths, the filters a
// ranking keeps at a MAC target, and the physically smaller model with exactly those filters.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "models/checkpoint.h"
#include "prune/ranking.h"

namespace axnn::prune {

// Kept filters per prunable layer: their indices in the model being pruned, ascending.
using Keep = std::map<std::string, std::vector<int64_t>>;
// Filters per prunable layer.
using Widths = std::map<std::string, int64_t>;

// Filters per prunable layer of `model`, and after keeping `keep`.
Widths filters_of(models::Model& model);
Widths widths_of(const Keep& keep);

// Multiply-accumulates per image of a model and of any narrower version of it: a layer's count scales
// with the filters kept in the group it belongs to (its own, or the one it follows) and with the
// input channels kept in the group it reads.
class MacModel {
 public:
  explicit MacModel(models::Checkpoint& c);  // measures the layers' opcounts (one forward pass)
  const Widths& widths() const { return widths_; }  // the model's own
  int64_t total() const { return macs(widths_); }
  int64_t macs(const Widths& w) const;
  std::map<std::string, int64_t> per_layer(const Widths& w) const;

 private:
  struct Layer {
    std::string name;
    int64_t ops = 0;
    std::string out_group, in_group;  // "" when its outputs / inputs are not prunable
  };
  std::vector<Layer> layers_;
  Widths widths_;
};

// Throws InputError naming `path` when the model cannot be pruned: a deployed layer (a table), a layer
// in noise mode (its learned sigma would not hold for the pruned network), or nothing left to prune.
void check_prunable(models::Checkpoint& c, const std::string& path);

// Every prunable layer's filter norms ||W_f||_2, divided by the layer's largest.
std::map<std::string, std::vector<double>> filter_norms(models::Model& model);

// The filters kept at `target` (a fraction of macs.total()): every filter's score alpha_l * norm +
// kappa_l, the lowest-scored removed one by one (at least one stays per layer) until the MACs fit.
// Throws ConfigError naming the target when even one filter per layer does not fit it.
Keep select_filters(const std::map<std::string, std::vector<double>>& norms, const Ranking& ranking,
                    const MacModel& macs, double target);

// The physically smaller model holding exactly the kept filters (their BatchNorm channels and depthwise
// filters, and the following layers' matching inputs); every other tensor copied. Modes and activation
// scales carry over; the history starts empty.
models::Checkpoint prune_model(const models::Checkpoint& dense, const Keep& keep);

}  // namespace axnn::prune
