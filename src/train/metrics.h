// Evaluation results and the metrics artifact (axnn_kind = metrics) axnn-eval writes. Torch-free.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/artifact.h"

namespace axnn::train {

constexpr const char* kMetricsKind = "metrics";
constexpr int kMetricsSchemaVersion = 1;
// The kind's fields, declared once (io/fields.h): checked when written and when read.
const KindFields& metrics_fields();

struct Metrics {
  double loss = 0, accuracy = 0, top5 = 0;  // accuracy in percent; top5 only with more than 10 classes
  std::vector<double> per_class;             // percent
  int64_t samples = 0;
};

// {"loss", "accuracy", "top5" (when > 10 classes), "samples", "per_class": {class name: percent}}
nlohmann::json to_json(const Metrics& m, const std::vector<std::string>& classes);

// Root attributes loss, accuracy, top5, samples, split; dataset per_class with the class names.
void write_metrics(const std::string& path, const Metrics& m, const std::vector<std::string>& classes,
                   const std::string& split, const Provenance& provenance);

}  // namespace axnn::train
