// The noise step (AGN, docs/method.md, section 3): every approximate layer in noise mode with a
// learnable relative noise std sigma_l, and the loss term that rewards tolerating noise:
//   loss = CE - lambda * sum_l (ops_l / ops_total) * min(|sigma_l|, sigma_max)
#pragma once

#include "models/checkpoint.h"
#include "train/trainer.h"

namespace axnn::method {

// Names of the approximate layers that `modules` selects: "all", "conv", "linear", "depthwise"
// (convs with one input channel per group), or layer names. Throws ConfigError for a name that
// matches no layer.
std::vector<std::string> select_layers(models::Model& model, const std::vector<std::string>& modules);

// Puts the `selected` layers in noise mode with sigma_l = sigma_init, mu_l = 0; the others in quant
// mode with sigma_l = 0 (no tolerance: the matching keeps them exact).
void start_noise(models::Checkpoint& c, double sigma_init, const std::vector<std::string>& selected);

// The extra loss term above over the layers in noise mode (ops_total counts every layer); it logs the mean |sigma_l| and the term's value per epoch.
train::ExtraLoss noise_term(models::Checkpoint& c, double lambda, double sigma_max);

}  // namespace axnn::method
