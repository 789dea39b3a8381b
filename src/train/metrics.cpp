#include "train/metrics.h"

#include <optional>

#include "io/h5.h"
#include "io/record.h"

namespace axnn::train {

nlohmann::json to_json(const Metrics& m, const std::vector<std::string>& classes) {
  nlohmann::json j = {{"loss", m.loss}, {"accuracy", m.accuracy}, {"samples", m.samples}};
  if (classes.size() > 10) j["top5"] = m.top5;
  nlohmann::json per_class = nlohmann::json::object();
  for (size_t c = 0; c < m.per_class.size(); ++c) per_class[c < classes.size() ? classes[c] : std::to_string(c)] = m.per_class[c];
  j["per_class"] = per_class;
  return j;
}

namespace {

// What the artifact holds: the metrics, on which split, with the class names.
struct MetricsArtifact {
  std::string split;
  Metrics m;
  std::vector<std::string> classes;
};

// Every field bound to its member, once: the declaration and the writer.
const Record<MetricsArtifact>& metrics_record() {
  using A = MetricsArtifact;
  static const Record<A> record =
      Record<A>()
          .attr(&A::split, attr("split", FieldType::String, "train, val or test"))
          .attr_at([](auto& a) -> auto& { return a.m.loss; }, attr("loss", FieldType::Float, "mean cross-entropy").min(0))
          .attr_at([](auto& a) -> auto& { return a.m.accuracy; },
                   attr("accuracy", FieldType::Float, "top-1 accuracy").min(0).max(100).unit("percent"))
          .computed(attr("top5", FieldType::Float, "top-5 accuracy (more than 10 classes)").min(0).max(100).unit("percent").optional(),
                    [](const A& a) { return a.classes.size() > 10 ? std::optional<double>(a.m.top5) : std::nullopt; })
          .attr_at([](auto& a) -> auto& { return a.m.samples; }, attr("samples", FieldType::Int, "images evaluated").min(1))
          .attr(&A::classes, attr("classes", FieldType::Json, "class names").json("array"))
          .data_at([](auto& a) -> auto& { return a.m.per_class; },
                   dataset("per_class", FieldType::Float64, {-1}, "top-1 accuracy per class (names in /classes)")
                       .min(0)
                       .max(100)
                       .unit("percent"));
  return record;
}

}  // namespace

const KindFields& metrics_fields() {
  static const KindFields fields{kMetricsKind, kMetricsSchemaVersion, metrics_record().fields()};
  return fields;
}

void write_metrics(const std::string& path, const Metrics& m, const std::vector<std::string>& classes,
                   const std::string& split, const Provenance& provenance) {
  write_record(path, metrics_fields(), metrics_record(), {split, m, classes}, provenance);
}

}  // namespace axnn::train
