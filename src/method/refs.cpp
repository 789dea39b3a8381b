#include "method/refs.h"

#include <cmath>

#include <fmt/format.h>

#include "io/views.h"
#include "io/h5.h"
#include "io/record.h"

namespace axnn::method {

using nlohmann::json;

Histogram histogram(const int8_t* values, size_t n) {
  Histogram h{};
  for (size_t i = 0; i < n; ++i) ++h[static_cast<size_t>(values[i] + 128)];
  return h;
}

namespace {

// Every field bound to its member, once: the declaration, the writer and the reader.
const Record<Refs>& refs_record() {
  using L = LayerRefs;
  static const Record<Refs> record =
      Record<Refs>()
          .attr(&Refs::model_hash,
                attr("model_sha256", FieldType::String, "content hash of the model the operands were sampled from"))
          .attr(&Refs::images, attr("images", FieldType::Int, "images sampled").min(1))
          .each("layers", "layer_names", "the layers, in order", &Refs::layers, &L::name,
                Record<L>()
                    .attr(&L::kind, attr("kind", FieldType::String, "conv2d or linear"))
                    .attr(&L::fan_in, attr("fan_in", FieldType::Int, "products per output value (K)").min(1))
                    .attr(&L::opcount, attr("opcount", FieldType::Int, "multiplications per image").min(0))
                    .attr(&L::out_channels, attr("out_channels", FieldType::Int, "output channels").min(1))
                    .attr(&L::groups, attr("groups", FieldType::Int, "convolution groups").min(1))
                    .attr(&L::sigma, attr("sigma", FieldType::Float, "the layer's noise tolerance sigma_l"))
                    .attr(&L::output_std, attr("output_std", FieldType::Float, "std of the exact integer outputs").min(0))
                    .attr(&L::rows_seen,
                          attr("rows_seen", FieldType::Int, "operand rows seen (the kept rows are a seeded subset)").min(0))
                    .data(&L::rows,
                          dataset("rows", FieldType::Int8, {-1, -1},
                                  "integer activation operands, one receptive field per row (padding as 0)"),
                          [](const L& l) { return h5::Shape{static_cast<hsize_t>(l.kept()), static_cast<hsize_t>(l.fan_in)}; })
                    .data(&L::row_group, dataset("row_group", FieldType::Int32, {-1}, "group of each row").min(0).optional())
                    .data(&L::weights,
                          dataset("weights", FieldType::Int8, {-1, -1}, "integer weight operands [out_channels, fan_in]"),
                          [](const L& l) { return h5::Shape{static_cast<hsize_t>(l.out_channels), static_cast<hsize_t>(l.fan_in)}; })
                    .data(&L::weight_hist, dataset("weight_hist", FieldType::Int64, {256}, "counts of weights -128..127").min(0))
                    .data(&L::act_hist,
                          dataset("act_hist", FieldType::Int64, {256}, "counts of activation operands -128..127").min(0)));
  return record;
}

}  // namespace

const KindFields& refs_fields() {
  static const KindFields fields{kRefsKind, kRefsSchemaVersion, refs_record().fields()};
  return fields;
}

void write_refs(const std::string& path, const Refs& refs, const Provenance& provenance) {
  write_record(path, refs_fields(), refs_record(), refs, provenance);
}

Refs read_refs(const std::string& path) { return read_record(path, refs_fields(), refs_record()); }

namespace {

// Mean and std of a histogram of -128..127.
std::pair<double, double> moments(const Histogram& h) {
  double n = 0, s = 0, s2 = 0;
  for (int i = 0; i < 256; ++i) {
    const double v = i - 128, c = static_cast<double>(h[static_cast<size_t>(i)]);
    n += c, s += c * v, s2 += c * v * v;
  }
  if (n == 0) return {0, 0};
  const double mean = s / n;
  return {mean, std::sqrt(std::max(0.0, s2 / n - mean * mean))};
}

}  // namespace

void register_refs_view() {
  register_view(kRefsKind, [](H5::H5File& file, json& d) {
    Refs refs = read_refs(file.getFileName());
    json rows = json::array();
    for (const LayerRefs& l : refs.layers) {
      auto [am, as] = moments(l.act_hist);
      auto [wm, ws] = moments(l.weight_hist);
      rows.push_back({l.name, l.kind, l.fan_in, l.opcount, fmt::format("{:.4f}", l.sigma), fmt::format("{:.1f}", l.output_std),
                      fmt::format("{:.1f}", l.output_std * l.sigma), fmt::format("{}/{}", l.kept(), l.rows_seen),
                      fmt::format("{:.2f} ± {:.2f}", am, as), fmt::format("{:.2f} ± {:.2f}", wm, ws)});
    }
    d["tables"].push_back({{"title", fmt::format("sampled operands ({} images)", refs.images)},
                           {"columns", {"layer", "kind", "fan_in", "opcount", "sigma", "output_std", "max_std",
                                        "rows kept/seen", "activation mean ± std", "weight mean ± std"}},
                           {"rows", rows}});
  });
}

}  // namespace axnn::method
