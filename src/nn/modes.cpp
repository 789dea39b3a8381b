#include "nn/modes.h"

namespace axnn::nn {

const config::Choice<Mode>& modes() {
  static const config::Choice<Mode> choice(
      "layer mode", {{"baseline", Mode::Baseline, "exact float products"},
                     {"quant", Mode::Quant, "fake-quantized int8 products (quantization-aware training)"},
                     {"noise", Mode::Noise, "int8 products plus Gaussian noise with a learned sigma per layer"},
                     {"approx", Mode::Approx, "int8 products through the layer's multiplier table"}});
  return choice;
}

const config::Choice<Gradient>& gradients() {
  static const config::Choice<Gradient> choice(
      "gradient", {{"ste", Gradient::Ste, "straight through the exact product"},
                   {"table", Gradient::Table, "the multiplier table's own differences (d lut / d a, d lut / d w)"}});
  return choice;
}

}  // namespace axnn::nn
