// The configs of the pruning steps (LeGR, docs/pruning.md), declared once; axnn-schema writes their
// JSON Schemas. Torch-free, so the schema tool does not load LibTorch.
#pragma once

#include "config/spec.h"

namespace axnn::prune {

// axnn-rank: the regularized evolution that learns the ranking, and the candidates' fine-tuning.
const config::Spec& rank_spec();
// axnn-prune: the MAC target.
const config::Spec& prune_spec();

}  // namespace axnn::prune
