// What every training program (axnn-train, axnn-noise, axnn-retrain) and axnn-eval do around the
// training loop: check the model fits the data, build the loaders, train, test.
#pragma once

#include <string>

#include "data/dataset.h"
#include "models/checkpoint.h"
#include "train/trainer.h"

namespace axnn::train {

// Throws InputError naming `dataset_path` when the model's input size or class count differ.
void check_fits(const models::Checkpoint& c, const data::Dataset& d, const std::string& dataset_path);

// The split called train, val or test.
const data::Split& split(const data::Dataset& d, const std::string& name);

// Loss and accuracy of the model on one split (eval mode, no shuffling or augmentation).
Metrics evaluate_split(models::Model& model, const data::Dataset& d, const data::Split& s, int64_t batch_size,
                       const torch::Device& device);

struct TrainResult {
  nlohmann::json history;
  Metrics test;
};

// fit() with `settings` on the dataset's train split (validating on val when it has
// images), then the test split's metrics. The model ends on the CPU. In data-parallel training
// (parallel/world.h) each rank trains on its shard of every batch and returns once every rank is done.
TrainResult train_and_test(models::Checkpoint& c, const data::Dataset& d, const TrainerSettings& settings, uint64_t seed,
                           const torch::Device& device, const ExtraLoss& extra = {});

}  // namespace axnn::train
