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

void write_metrics(const std::string& path, const Metrics& m, const std::vector<std::string>& classes,
                   const std::string& split, const Provenance& provenance) {
  ArtifactWriter w(path, kMetricsKind, kMetricsSchemaVersion, provenance);
  H5::Group root = w.root();
  h5::write_attr(root, "split", split);
  h5::write_attr(root, "loss", m.loss);
  h5::write_attr(root, "accuracy", m.accuracy);
  if (classes.size() > 10) h5::write_attr(root, "top5", m.top5);
  h5::write_attr(root, "samples", m.samples);
  h5::write_json_attr(root, "classes", classes);
  h5::write_dataset(root, "per_class", m.per_class, {m.per_class.size()}, {"top-1 accuracy per class (names in /classes)", "percent"});
  w.commit();
}

}  // namespace axnn::train
