// Hessian-trace sensitivity (the training-free alternative to the noise step): Hutchinson's
// estimator Tr(H) = E[v^T H v] with Rademacher vectors v and Hessian-vector products by double
// backward, per approximate layer for the weights and for the layer's output.
#pragma once

#include <functional>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "method/sensitivity.h"
#include "method/step_configs.h"
#include "models/checkpoint.h"

namespace axnn::method {

struct HutchinsonOptions {
  int64_t max_iterations = 200;
  int64_t min_iterations = 10;
  double tolerance = 1e-3;  // stop when the running mean of the total trace changes by less (relative)
  uint64_t seed = 0;
};

// One Hutchinson sample per group: given a fresh Rademacher draw (the callback makes it), returns
// v^T H v for each group. The estimator averages the samples until the relative change of the
// total's running mean falls below the tolerance (after min_iterations) or max_iterations is hit.
using HutchinsonSample = std::function<std::vector<double>(torch::Generator& rng)>;

struct HutchinsonResult {
  std::vector<double> mean, standard_error;
  int64_t iterations = 0;
  bool converged = false;
};

HutchinsonResult hutchinson(const HutchinsonSample& sample, const HutchinsonOptions& options);

// Rademacher vector (+1 / -1 with equal probability) shaped like `like`.
torch::Tensor rademacher(const torch::Tensor& like, torch::Generator& rng);

// Per approximate layer of the checkpoint, in quant mode and eval mode on `samples` seeded images of
// the training split: the weight-Hessian trace and the output-Hessian trace of the mean
// cross-entropy over those images (the output trace is the mean over images of each image's trace,
// so an independent error of std s on every output element raises the loss by about 0.5 * s^2 * trace).
Sensitivity hessian_sensitivity(models::Checkpoint& c, const data::Dataset& d, const SensitivitySettings& settings,
                                uint64_t seed, const torch::Device& device);

}  // namespace axnn::method
