// BatchNorm adaptation (deploy step): once the tables are in place, every BatchNorm layer's running
// mean and variance are measured again on seeded training images in the layers' stored modes, so the
// normalisation fits the outputs the approximate products actually give (the deployed network
// otherwise carries statistics measured with exact products). No gradient, no weight, scale or
// observer changes: only running_mean and running_var. NNCF calls this `batchnorm_adaptation`.
#pragma once

#include <cstdint>
#include <string>

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "method/step_configs.h"
#include "models/checkpoint.h"

namespace axnn::method {

struct BnAdaptationResult {
  int64_t layers = 0;  // BatchNorm layers adapted (0: the model has none; nothing changed)
  int64_t images = 0;
};

// How many BatchNorm layers `model` has.
int64_t count_batchnorm(models::Model& model);

// Re-estimates the statistics in one pass: each batch runs with BatchNorm in train mode (normalised
// by the batch's statistics, as in training) and every other layer in eval mode; each BatchNorm layer
// ends with the exact mean and unbiased variance of all its inputs over the images. In data-parallel
// runs each rank takes its share of every batch and the sums are added over the ranks.
// InputError (naming `dataset_path` and bn_adaptation.images) when the train split has fewer images;
// Error when a statistic comes out non-finite. The model must be on `device`; it ends in eval mode.
BnAdaptationResult adapt_batchnorm(models::Model& model, const data::Dataset& d, const std::string& dataset_path,
                                   const BnAdaptationOptions& options, const torch::Device& device);

// The deploy step's adaptation of a deployed checkpoint. Without BatchNorm or with images 0 it changes
// nothing (a model without BatchNorm gets a warning when images > 0); otherwise it needs the dataset
// (UsageError naming -d and bn_adaptation.images without one) and also measures the test split's
// accuracy before and after, so the gain is on record. Returns the record the artifact keeps.
nlohmann::json adapt_deployed(models::Checkpoint& c, const BnAdaptationOptions& options, const std::string& dataset_path,
                              const torch::Device& device);

}  // namespace axnn::method
