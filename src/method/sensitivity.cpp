#include "method/sensitivity.h"

#include <cmath>
#include <fmt/format.h>

#include "io/views.h"
#include "io/h5.h"
#include "io/record.h"

namespace axnn::method {

using nlohmann::json;

namespace {

// Every field bound to its member, once: the declaration, the writer and the reader.
const Record<Sensitivity>& sensitivity_record() {
  using L = LayerSensitivity;
  static const Record<Sensitivity> r =
      Record<Sensitivity>()
          .attr(&Sensitivity::model_hash, attr("model_sha256", FieldType::String, "content hash of the model"))
          .attr(&Sensitivity::samples, attr("samples", FieldType::Int, "training images the loss is averaged over").min(1))
          .attr(&Sensitivity::iterations, attr("iterations", FieldType::Int, "Rademacher draws").min(0))
          .attr(&Sensitivity::converged, attr("converged", FieldType::Int, "1: the tolerance was met").min(0).max(1))
          .each("layers", "layer_names", "the layers, in order", &Sensitivity::layers, &L::name,
                Record<L>()
                    .attr(&L::weight_numel, attr("weight_numel", FieldType::Int, "weights").min(1))
                    .attr(&L::opcount, attr("opcount", FieldType::Int, "multiplications per image").min(0))
                    .attr(&L::weight_trace, attr("weight_trace", FieldType::Float, "Tr(H_w)"))
                    .attr(&L::weight_trace_se, attr("weight_trace_se", FieldType::Float, "its standard error").min(0))
                    .computed(attr("weight_avg_trace", FieldType::Float, "Tr(H_w) per weight"),
                              [](const L& l) { return l.weight_avg_trace(); })
                    .attr(&L::output_trace, attr("output_trace", FieldType::Float, "Tr(H_y), mean over images"))
                    .attr(&L::output_trace_se, attr("output_trace_se", FieldType::Float, "its standard error").min(0))
                    .attr(&L::output_scale, attr("output_scale", FieldType::Float, "s_a * s_w").min(0))
                    .attr(&L::sigma, attr("sigma", FieldType::Float, "the layer's sigma_l")));
  return r;
}

}  // namespace

const KindFields& sensitivity_fields() {
  static const KindFields fields{kSensitivityKind, kSensitivitySchemaVersion, sensitivity_record().fields()};
  return fields;
}

void write_sensitivity(const std::string& path, const Sensitivity& s, const Provenance& provenance) {
  for (const auto& l : s.layers)
    if (!std::isfinite(l.weight_trace) || !std::isfinite(l.output_trace))
      throw Error(fmt::format("{}: layer {}: the Hessian trace estimate is not finite; nothing written", path, l.name));
  write_record(path, sensitivity_fields(), sensitivity_record(), s, provenance);
}

Sensitivity read_sensitivity(const std::string& path) {
  return read_record(path, sensitivity_fields(), sensitivity_record());
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
