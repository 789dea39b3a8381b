#include "train/metrics.h"

#include "io/h5.h"

namespace axnn::train {

nlohmann::json to_json(const Metrics& m, const std::vector<std::string>& classes) {
  nlohmann::json j = {{"loss", m.loss}, {"accuracy", m.accuracy}, {"samples", m.samples}};
  if (classes.size() > 10) j["top5"] = m.top5;
  nlohmann::json per_class = nlohmann::json::object();
  for (size_t c = 0; c < m.per_class.size(); ++c) per_class[c < classes.size() ? classes[c] : std::to_string(c)] = m.per_class[c];
  j["per_class"] = per_class;
  return j;
}

const KindFields& metrics_fields() {
  static const KindFields fields{
      kMetricsKind, kMetricsSchemaVersion,
      {attr("split", FieldType::String, "train, val or test"),
       attr("loss", FieldType::Float, "mean cross-entropy").min(0),
       attr("accuracy", FieldType::Float, "top-1 accuracy").min(0).max(100).unit("percent"),
       attr("top5", FieldType::Float, "top-5 accuracy (more than 10 classes)").min(0).max(100).unit("percent").optional(),
       attr("samples", FieldType::Int, "images evaluated").min(1),
       attr("classes", FieldType::Json, "class names").json("array"),
       dataset("per_class", FieldType::Float64, {-1}, "top-1 accuracy per class (names in /classes)").min(0).max(100).unit("percent")}};
  return fields;
}

void write_metrics(const std::string& path, const Metrics& m, const std::vector<std::string>& classes,
                   const std::string& split, const Provenance& provenance) {
  ArtifactWriter w(path, metrics_fields(), provenance);
  H5::Group root = w.root();
  h5::write_attr(root, "split", split);
  h5::write_attr(root, "loss", m.loss);
  h5::write_attr(root, "accuracy", m.accuracy);
  if (classes.size() > 10) h5::write_attr(root, "top5", m.top5);
  h5::write_attr(root, "samples", m.samples);
  h5::write_json_attr(root, "classes", classes);
  h5::write_dataset(root, "per_class", m.per_class, {m.per_class.size()});
  w.commit();
}

}  // namespace axnn::train
