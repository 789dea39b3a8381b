// Learning a global filter ranking (LeGR: Chin et al., "Towards Efficient Model Compression via
// Learned Global Ranking", CVPR 2020) by regularized evolution: a candidate is one (alpha_l, kappa_l)
// per prunable layer; it prunes the network to the target (prune/structure.h), fine-tunes it for a few
// batches, and is scored by its validation accuracy. docs/pruning.md.
#pragma once

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "models/checkpoint.h"
#include "prune/ranking.h"

namespace axnn::prune {

// The resolved rank_spec() (prune/prune_configs.h).
struct RankSettings {
  double target = 0.5;
  int64_t population = 12, generations = 24, sample = 4;
  double mutation = 0.2;
  int64_t steps = 20, batch_size = 64;
  double lr = 0.005;
  int64_t val_images = 1000;
  static RankSettings from(const nlohmann::json& config);
};

// Learns the ranking of `c` (not changed). The first candidate is the plain norm ranking (alpha 1,
// kappa 0); the result is the best candidate ever evaluated, with every candidate in the history.
RankingRecord learn_ranking(models::Checkpoint& c, const data::Dataset& d, const RankSettings& s, uint64_t seed,
                            const torch::Device& device);

}  // namespace axnn::prune
