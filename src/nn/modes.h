// The names of a layer's modes and of approx mode's backward: one registry each, torch-free, so the
// trainer's schema, --mode, the checkpoint's saved mode and the messages share them.
#pragma once

#include <cstdint>
#include <string>

#include "config/choice.h"

namespace axnn::nn {

enum class Mode : int64_t { Baseline = 0, Quant = 1, Noise = 2, Approx = 3 };

// The backward of approx mode: straight through the exact product (ste), or the table's own
// differences (table, nn/table_gradient.h). A training setting, not saved with the module.
enum class Gradient { Ste, Table };

const config::Choice<Mode>& modes();
const config::Choice<Gradient>& gradients();

inline const std::string& mode_name(Mode m) { return modes().name_of(m); }
// Throw UsageError naming the unknown name and the known ones.
inline Mode parse_mode(const std::string& name) { return modes().parse<UsageError>(name); }
inline Gradient parse_gradient(const std::string& name) { return gradients().parse<UsageError>(name); }

}  // namespace axnn::nn
