// The one training loop every training step shares: SGD (momentum, Nesterov) or Adam, weight decay,
// step / multi-step / cosine / reduce-on-plateau schedules, validation every N epochs, early stopping,
// best-epoch selection, per-epoch metrics, NaN/Inf loss detection, and extra loss terms.
#pragma once

#include <torch/torch.h>

#include <functional>

#include <nlohmann/json.hpp>

#include "models/zoo.h"
#include "train/loader.h"
#include "train/metrics.h"
#include "train/trainer_config.h"

namespace axnn::train {


// Loss and accuracy of `model` over every batch of `loader`, in eval mode without gradients.
Metrics evaluate(models::Model& model, BatchLoader& loader, int64_t num_classes, const torch::Device& device);

// An extra term added to the cross-entropy (e.g. the noise step's −λ·Σ share·min(|σ|, σ_max)), and
// what it wants logged per epoch.
struct ExtraLoss {
  std::function<torch::Tensor()> term;
  std::function<nlohmann::json()> log;
};

// Trains `model` with `settings`. Returns the per-epoch history; when validating, the model ends
// with the best epoch's weights (by the early-stopping monitor, else validation accuracy). Throws
// Error on a NaN or infinite loss, naming epoch and batch.
nlohmann::json fit(models::Model& model, const TrainerSettings& settings, BatchLoader& train, BatchLoader* val,
                   int64_t num_classes, const torch::Device& device, const ExtraLoss& extra = {});

}  // namespace axnn::train
