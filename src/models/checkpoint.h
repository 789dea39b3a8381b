// Model artifacts (axnn_kind = model): the architecture and its options, every parameter and buffer,
// and per approximate layer its kind, fan_in, opcount, mode, scales, sigma/mu, multiplier and table.
#pragma once

#include "models/model_artifact.h"

#include <memory>
#include <string>

#include "io/artifact.h"
#include "models/zoo.h"

namespace axnn::models {


struct Checkpoint {
  std::string arch;
  ModelOptions options;
  std::shared_ptr<Model> model;
  nlohmann::json history = nlohmann::json::array();  // per-epoch metrics of the step that made it
  // How the model was pruned (axnn-prune; null for a dense model): kept by every later step, so the
  // deployed network still says how many MACs the dense one had.
  nlohmann::json pruning = nullptr;
};

// One forward pass on a zero batch in eval mode (state unchanged), so that every approximate layer
// knows its opcount.
void measure_opcounts(Model& model, const ModelOptions& options);

// Writes atomically. Runs one forward pass on a zero batch in eval mode (state unchanged) so that
// every layer knows its opcount.
void save_checkpoint(const std::string& path, const Checkpoint& checkpoint, const Provenance& provenance);

// Rebuilds the architecture and loads every parameter and buffer; a missing, extra or differently
// shaped tensor is an InputError naming the file and the tensor.
Checkpoint load_checkpoint(const std::string& path);

}  // namespace axnn::models
