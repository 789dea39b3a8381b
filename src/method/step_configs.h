// The configs of the method's steps, declared once (axnn-schema writes their JSON Schemas to
// workflows/schemas/). Torch-free, so the schema tool does not load LibTorch.
#pragma once

#include "config/spec.h"

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

}  // namespace axnn::method
