#include "method/sensitivity.h"

#include <cmath>
#include <fmt/format.h>

#include "io/views.h"
#include "io/h5.h"

namespace axnn::method {

using nlohmann::json;

const KindFields& sensitivity_fields() {
  static const KindFields fields{
      kSensitivityKind, kSensitivitySchemaVersion,
      {attr("model_sha256", FieldType::String, "content hash of the model"),
       attr("samples", FieldType::Int, "training images the loss is averaged over").min(1),
       attr("iterations", FieldType::Int, "Rademacher draws").min(0),
       attr("converged", FieldType::Int, "1: the tolerance was met").min(0).max(1),
       attr("layer_names", FieldType::Json, "the layers, in order").json("array"),
       attr("layers/*/weight_numel", FieldType::Int, "weights").min(1),
       attr("layers/*/opcount", FieldType::Int, "multiplications per image").min(0),
       attr("layers/*/weight_trace", FieldType::Float, "Tr(H_w)"),
       attr("layers/*/weight_trace_se", FieldType::Float, "its standard error").min(0),
       attr("layers/*/weight_avg_trace", FieldType::Float, "Tr(H_w) per weight"),
       attr("layers/*/output_trace", FieldType::Float, "Tr(H_y), mean over images"),
       attr("layers/*/output_trace_se", FieldType::Float, "its standard error").min(0),
       attr("layers/*/output_scale", FieldType::Float, "s_a * s_w").min(0),
       attr("layers/*/sigma", FieldType::Float, "the layer's sigma_l")}};
  return fields;
}

void write_sensitivity(const std::string& path, const Sensitivity& s, const Provenance& provenance) {
  for (const auto& l : s.layers)
    if (!std::isfinite(l.weight_trace) || !std::isfinite(l.output_trace))
      throw Error(fmt::format("{}: layer {}: the Hessian trace estimate is not finite; nothing written", path, l.name));
  ArtifactWriter w(path, sensitivity_fields(), provenance);
  H5::Group root = w.root();
  h5::write_attr(root, "model_sha256", s.model_hash);
  h5::write_attr(root, "samples", s.samples);
  h5::write_attr(root, "iterations", s.iterations);
  h5::write_attr(root, "converged", s.converged);
  json names = json::array();
  for (const auto& l : s.layers) {
    names.push_back(l.name);
    H5::Group g = h5::ensure_group(root, "layers/" + l.name);
    h5::write_attr(g, "weight_numel", l.weight_numel);
    h5::write_attr(g, "opcount", l.opcount);
    h5::write_attr(g, "weight_trace", l.weight_trace);
    h5::write_attr(g, "weight_trace_se", l.weight_trace_se);
    h5::write_attr(g, "weight_avg_trace", l.weight_avg_trace());
    h5::write_attr(g, "output_trace", l.output_trace);
    h5::write_attr(g, "output_trace_se", l.output_trace_se);
    h5::write_attr(g, "output_scale", l.output_scale);
    h5::write_attr(g, "sigma", l.sigma);
  }
  h5::write_json_attr(root, "layer_names", names);
  w.commit();
}

Sensitivity read_sensitivity(const std::string& path) {
  Artifact a = Artifact::open(path, sensitivity_fields());
  H5::Group root = a.root();
  Sensitivity s;
  a.read([&] {
    s.model_hash = h5::read_string_attr(root, "model_sha256");
    s.samples = h5::read_int_attr(root, "samples");
    s.iterations = h5::read_int_attr(root, "iterations");
    s.converged = h5::read_int_attr(root, "converged") != 0;
    for (const auto& n : h5::read_json_attr(root, "layer_names")) {
      LayerSensitivity l;
      l.name = n.get<std::string>();
      H5::Group g = h5::open_group(root, "layers/" + l.name);
      l.weight_numel = h5::read_int_attr(g, "weight_numel");
      l.opcount = h5::read_int_attr(g, "opcount");
      l.weight_trace = h5::read_double_attr(g, "weight_trace");
      l.weight_trace_se = h5::read_double_attr(g, "weight_trace_se");
      l.output_trace = h5::read_double_attr(g, "output_trace");
      l.output_trace_se = h5::read_double_attr(g, "output_trace_se");
      l.output_scale = h5::read_double_attr(g, "output_scale");
      l.sigma = h5::read_double_attr(g, "sigma");
      s.layers.push_back(std::move(l));
    }
  });
  return s;
}

void register_sensitivity_view() {
  register_view(kSensitivityKind, [](H5::H5File& file, json& d) {
    const Sensitivity s = read_sensitivity(file.getFileName());
    json rows = json::array();
    for (const auto& l : s.layers)
      rows.push_back({l.name, l.weight_numel, fmt::format("{:.4g} ± {:.2g}", l.weight_trace, l.weight_trace_se),
                      fmt::format("{:.4g}", l.weight_avg_trace()), fmt::format("{:.4g} ± {:.2g}", l.output_trace, l.output_trace_se),
                      fmt::format("{:.4g}", l.output_scale), fmt::format("{:.4f}", l.sigma)});
    d["tables"].push_back({{"title", fmt::format("Hessian traces ({} images, {} iterations{})", s.samples, s.iterations,
                                                 s.converged ? "" : ", iteration cap reached")},
                           {"columns", {"layer", "weights", "Tr(H_w) ± se", "avg Tr(H_w)", "Tr(H_y) ± se", "output_scale", "sigma"}},
                           {"rows", rows}});
  });
}

}  // namespace axnn::method
