#include "method/refs.h"

#include <cmath>

#include <fmt/format.h>

#include "io/views.h"
#include "io/h5.h"

namespace axnn::method {

using nlohmann::json;

Histogram histogram(const int8_t* values, size_t n) {
  Histogram h{};
  for (size_t i = 0; i < n; ++i) ++h[static_cast<size_t>(values[i] + 128)];
  return h;
}

const KindFields& refs_fields() {
  static const KindFields fields{
      kRefsKind, kRefsSchemaVersion,
      {attr("model_sha256", FieldType::String, "content hash of the model the operands were sampled from"),
       attr("images", FieldType::Int, "images sampled").min(1),
       attr("layer_names", FieldType::Json, "the layers, in order").json("array"),
       attr("layers/*/kind", FieldType::String, "conv2d or linear"),
       attr("layers/*/fan_in", FieldType::Int, "products per output value (K)").min(1),
       attr("layers/*/opcount", FieldType::Int, "multiplications per image").min(0),
       attr("layers/*/out_channels", FieldType::Int, "output channels").min(1),
       attr("layers/*/groups", FieldType::Int, "convolution groups").min(1),
       attr("layers/*/sigma", FieldType::Float, "the layer's noise tolerance sigma_l"),
       attr("layers/*/output_std", FieldType::Float, "std of the exact integer outputs").min(0),
       attr("layers/*/rows_seen", FieldType::Int, "operand rows seen (the kept rows are a seeded subset)").min(0),
       dataset("layers/*/rows", FieldType::Int8, {-1, -1}, "integer activation operands, one receptive field per row (padding as 0)"),
       dataset("layers/*/row_group", FieldType::Int32, {-1}, "group of each row").min(0).optional(),
       dataset("layers/*/weights", FieldType::Int8, {-1, -1}, "integer weight operands [out_channels, fan_in]"),
       dataset("layers/*/weight_hist", FieldType::Int64, {256}, "counts of weights -128..127").min(0),
       dataset("layers/*/act_hist", FieldType::Int64, {256}, "counts of activation operands -128..127").min(0)}};
  return fields;
}

void write_refs(const std::string& path, const Refs& refs, const Provenance& provenance) {
  ArtifactWriter w(path, refs_fields(), provenance);
  H5::Group root = w.root();
  h5::write_attr(root, "model_sha256", refs.model_hash);
  h5::write_attr(root, "images", refs.images);
  json names = json::array();
  for (const LayerRefs& l : refs.layers) {
    names.push_back(l.name);
    H5::Group g = h5::ensure_group(root, "layers/" + l.name);
    h5::write_attr(g, "kind", l.kind);
    h5::write_attr(g, "fan_in", l.fan_in);
    h5::write_attr(g, "opcount", l.opcount);
    h5::write_attr(g, "out_channels", l.out_channels);
    h5::write_attr(g, "groups", l.groups);
    h5::write_attr(g, "sigma", l.sigma);
    h5::write_attr(g, "output_std", l.output_std);
    h5::write_attr(g, "rows_seen", l.rows_seen);
    h5::write_dataset(g, "rows", l.rows, {static_cast<hsize_t>(l.kept()), static_cast<hsize_t>(l.fan_in)});
    if (!l.row_group.empty()) h5::write_dataset(g, "row_group", l.row_group, {l.row_group.size()});
    h5::write_dataset(g, "weights", l.weights, {static_cast<hsize_t>(l.out_channels), static_cast<hsize_t>(l.fan_in)});
    h5::write_dataset(g, "weight_hist", l.weight_hist.data(), {256});
    h5::write_dataset(g, "act_hist", l.act_hist.data(), {256});
  }
  h5::write_json_attr(root, "layer_names", names);
  w.commit();
}

Refs read_refs(const std::string& path) {
  Artifact a = Artifact::open(path, refs_fields());
  H5::Group root = a.root();
  Refs refs;
  a.read([&] {
    refs.model_hash = h5::read_string_attr(root, "model_sha256");
    refs.images = h5::read_int_attr(root, "images");
    for (const auto& n : h5::read_json_attr(root, "layer_names")) {
      LayerRefs l;
      l.name = n.get<std::string>();
      H5::Group g = h5::open_group(root, "layers/" + l.name);
      l.kind = h5::read_string_attr(g, "kind");
      l.fan_in = h5::read_int_attr(g, "fan_in");
      l.opcount = h5::read_int_attr(g, "opcount");
      l.out_channels = h5::read_int_attr(g, "out_channels");
      l.groups = h5::read_int_attr(g, "groups");
      l.sigma = h5::read_double_attr(g, "sigma");
      l.output_std = h5::read_double_attr(g, "output_std");
      l.rows_seen = h5::read_int_attr(g, "rows_seen");
      h5::Shape shape;
      l.rows = h5::read_dataset<int8_t>(g, "rows", &shape);
      if (shape.size() != 2 || static_cast<int64_t>(shape[1]) != l.fan_in)
        throw InputError(fmt::format("layers/{}/rows: expected [rows, {}]", l.name, l.fan_in));
      if (h5::exists(g, "row_group")) l.row_group = h5::read_dataset<int32_t>(g, "row_group");
      l.weights = h5::read_dataset<int8_t>(g, "weights");
      if (static_cast<int64_t>(l.weights.size()) != l.out_channels * l.fan_in)
        throw InputError(fmt::format("layers/{}/weights: expected [{}, {}]", l.name, l.out_channels, l.fan_in));
      auto wh = h5::read_dataset<int64_t>(g, "weight_hist"), ah = h5::read_dataset<int64_t>(g, "act_hist");
      if (wh.size() != 256 || ah.size() != 256) throw InputError(fmt::format("layers/{}: histograms need 256 bins", l.name));
      std::copy(wh.begin(), wh.end(), l.weight_hist.begin());
      std::copy(ah.begin(), ah.end(), l.act_hist.begin());
      refs.layers.push_back(std::move(l));
    }
  });
  return refs;
}

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
