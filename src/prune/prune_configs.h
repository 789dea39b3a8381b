// The configs of the pruning steps (LeGR, docs/pruning.md), declared once; axnn-schema writes their
// JSON Schemas. Torch-free, so the schema tool does not load LibTorch.
#pragma once

#include "config/spec.h"

namespace axnn::prune {

// axnn-rank: the regularized evolution that learns the ranking, and the candidates' fine-tuning.
const config::Spec& rank_spec();
// axnn-prune: the MAC target.
const config::Spec& prune_spec();

// axnn-prune's settings, parsed once (axnn-rank's are RankSettings, prune/legr.h).
struct PruneSettings {
  double target = 0.5;  // fraction of the model's multiply-accumulates to keep, in (0, 1]
  static PruneSettings from(const nlohmann::json& resolved);
};

}  // namespace axnn::prune
