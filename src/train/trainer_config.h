// The trainer's config, declared once (workflows/schemas/trainer.schema.json is generated from it).
// Torch-free, so the schema tool does not load LibTorch.
#pragma once

#include "config/spec.h"

namespace axnn::train {

const config::Spec& trainer_spec();

}  // namespace axnn::train
