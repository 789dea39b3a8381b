// The trainer's settings: declared once per use (the JSON Schemas in workflows/schemas/ are generated
// from these specs) and parsed once into TrainerSettings. Each training step kind accepts only what
// means something to it: calibration_epochs in QAT (quantize), gradient in retraining through tables.
// Torch-free, so the schema tool does not load LibTorch.
#pragma once

#include <cstdint>
#include <vector>

#include "config/choice.h"
#include "nn/modes.h"

namespace axnn::train {

// baseline (axnn-train): epochs, batch size, augmentation, validation, optimiser, schedule, early stopping.
const config::Spec& trainer_spec();
// quantize (axnn-train --mode quant): the trainer's settings plus calibration_epochs.
const config::Spec& quantize_spec();
// retrain (axnn-retrain): the trainer's settings plus gradient.
const config::Spec& retrain_spec();

enum class Optimizer { Sgd, Adam };
enum class Scheduler { None, Step, MultiStep, Cosine, Plateau };
enum class Monitor { Off, ValLoss, ValAccuracy };
const config::Choice<Optimizer>& optimizers();
const config::Choice<Scheduler>& schedulers();
const config::Choice<Monitor>& monitors();

struct OptimizerSettings {
  Optimizer name = Optimizer::Sgd;
  double lr = 0.05, momentum = 0.9, weight_decay = 5e-4;
  bool nesterov = false;
};

struct SchedulerSettings {
  Scheduler name = Scheduler::None;
  int64_t step_size = 10, patience = 2;
  std::vector<int64_t> milestones;
  double gamma = 0.1, factor = 0.1;
};

struct EarlyStopping {
  Monitor monitor = Monitor::Off;
  bool lower_is_better = true;  // mode min
  int64_t patience = 5;
};

struct TrainerSettings {
  int64_t epochs = 10, batch_size = 128, validate_every = 1;
  bool augment = false, keep_best = true;
  int64_t calibration_epochs = 0;         // quantize only
  nn::Gradient gradient = nn::Gradient::Ste;  // retrain only
  OptimizerSettings optimizer;
  SchedulerSettings scheduler;
  EarlyStopping early_stopping;

  // From a config resolved against trainer_spec(), quantize_spec(), retrain_spec() or a spec built on
  // them (noise_spec); keys a spec does not have keep their defaults.
  static TrainerSettings from(const nlohmann::json& resolved);
};

}  // namespace axnn::train
