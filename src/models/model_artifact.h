// The model artifact's kind and fields (torch-free: axnn-inspect and the checks use it without
// loading LibTorch). Reading and writing models: models/checkpoint.h.
#pragma once

#include "io/fields.h"

namespace axnn::models {

constexpr const char* kModelKind = "model";
constexpr int kModelSchemaVersion = 2;  // 2: layer_names (was approx_layers)
// The kind's fields, declared once (io/fields.h): checked when written and when read.
const KindFields& model_fields();

}  // namespace axnn::models
