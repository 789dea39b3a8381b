// The sampling step (docs/method.md, section 4): a seeded sample of images through the model in eval
// mode with exact integer products, recording each approximate layer's operands.
#pragma once

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "method/refs.h"
#include "method/step_configs.h"
#include "models/checkpoint.h"

namespace axnn::method {

// `cfg` is a resolved sample_spec() config. Rows are subsampled uniformly (reservoir sampling,
// seeded) to at most cfg.max_rows per layer, so memory stays bounded for any number of images.
Refs sample_refs(models::Checkpoint& c, const data::Dataset& d, const SampleSettings& settings, uint64_t seed);

}  // namespace axnn::method
