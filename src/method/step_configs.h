// The configs of the method's steps, declared once (axnn-schema writes their JSON Schemas to
// workflows/schemas/). Torch-free, so the schema tool does not load LibTorch.
#pragma once

#include <cstdint>
#include <string>

#include "config/spec.h"
#include "train/trainer_config.h"

namespace axnn::method {

// axnn-noise: the trainer's keys plus lambda, sigma_init, sigma_max.
const config::Spec& noise_spec();
// axnn-sample: how many images, which split, how many operand rows to keep per layer.
const config::Spec& sample_spec();
// axnn-match: populations drawn per layer, the estimator that chooses.
const config::Spec& match_spec();
// axnn-deploy: bias compensation, BatchNorm adaptation.
const config::Spec& deploy_spec();
// The bn_adaptation block of deploy and search: images, batch size.
const config::Spec& bn_adaptation_spec();
// axnn-sensitivity: images, batch size and the Hutchinson estimator's stopping rule.
const config::Spec& sensitivity_spec();
// axnn-assign: criterion, objective and budget.
const config::Spec& assign_spec();
// axnn-search: criterion, budget, candidates K, the selection rule, bias compensation, batch size.
const config::Spec& search_spec();

// Each step's settings, parsed once from a config resolved against its spec above; the programs and
// the method read these, never the JSON.
struct NoiseSettings {
  train::TrainerSettings trainer;
  double lambda = 0.2, sigma_init = 0.1, sigma_max = 0.5;
  static NoiseSettings from(const nlohmann::json& resolved);
};

struct SampleSettings {
  std::string split = "train";
  int64_t images = 128, batch_size = 32, max_rows = 8192;
  static SampleSettings from(const nlohmann::json& resolved);
};

struct BnAdaptationOptions {
  int64_t images = 1000;  // drawn from the train split without replacement; 0: off
  int64_t batch_size = 128;
  uint64_t seed = 0;
  // From a resolved bn_adaptation_spec() block.
  static BnAdaptationOptions from(const nlohmann::json& block, uint64_t seed);
};

struct DeploySettings {
  bool bias_compensation = false;
  BnAdaptationOptions bn_adaptation;
  static DeploySettings from(const nlohmann::json& resolved, uint64_t seed);
};

struct SensitivitySettings {
  int64_t samples = 512, batch_size = 128, max_iterations = 100, min_iterations = 10;
  double tolerance = 1e-3;
  static SensitivitySettings from(const nlohmann::json& resolved);
};

}  // namespace axnn::method
