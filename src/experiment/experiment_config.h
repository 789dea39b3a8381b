// The experiment config a workflow run is driven by (workflows/configs/*.yaml). The workflow
// validates it against workflows/schemas/experiment.schema.json, generated from this spec.
#pragma once

#include "config/spec.h"

namespace axnn {

const config::Spec& experiment_spec();

}  // namespace axnn
