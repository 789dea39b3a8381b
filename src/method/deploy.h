// The deploy step (docs/method.md, sections 6–7): each layer's chosen table into the checkpoint, the
// layer set to approx mode.
#pragma once

#include <string>

#include "method/matching.h"
#include "models/checkpoint.h"
#include "multipliers/multiplier.h"

namespace axnn::method {

// Checks the matching was made for this checkpoint (`model_hash`, the checkpoint file's sha256) and
// its layers (same names), and that `library` holds every chosen multiplier; then installs the
// tables and records the multiplier's name and `library_hash` in each layer. Throws InputError
// naming what does not fit. With `bias_compensation`, each layer also gets its table's mean error per
// output channel (from the matching; an older matching without it is an InputError).
void deploy(models::Checkpoint& c, const std::string& model_hash, const Matching& matching, const mult::Library& library,
            const std::string& library_hash, bool bias_compensation = false);

}  // namespace axnn::method
