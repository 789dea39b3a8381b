// The sensitivity artifact (axnn_kind = sensitivity): per approximate layer, Hessian traces of the
// loss with respect to the layer's weights and its output, with their standard errors.
#pragma once

#include <string>
#include <vector>

#include "io/artifact.h"

namespace axnn::method {

constexpr const char* kSensitivityKind = "sensitivity";
constexpr int kSensitivitySchemaVersion = 1;
// The kind's fields, declared once (io/fields.h): checked when written and when read.
const KindFields& sensitivity_fields();

struct LayerSensitivity {
  std::string name;
  int64_t weight_numel = 0, opcount = 0;
  double weight_trace = 0, weight_trace_se = 0;  // Tr(H_w), absolute value
  double output_trace = 0, output_trace_se = 0;  // Tr(H_y), mean over images, absolute value
  double output_scale = 0;                       // s_a * s_w: integer output -> float output
  double sigma = 0;                              // |sigma_l| stored in the checkpoint

  double weight_avg_trace() const { return weight_numel ? weight_trace / static_cast<double>(weight_numel) : 0; }
  // Expected loss increase from an independent integer-domain output error of std `int_std`.
  double loss_increase(double int_std) const {
    const double s = int_std * output_scale;
    return 0.5 * output_trace * s * s;
  }
};

struct Sensitivity {
  std::string model_hash;
  int64_t samples = 0, iterations = 0;
  bool converged = false;
  std::vector<LayerSensitivity> layers;
};

void write_sensitivity(const std::string& path, const Sensitivity& s, const Provenance& provenance);
Sensitivity read_sensitivity(const std::string& path);
void register_sensitivity_view();

}  // namespace axnn::method
