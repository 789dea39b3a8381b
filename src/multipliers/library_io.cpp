#include "multipliers/library_io.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/error.h"
#include "io/views.h"
#include "io/h5.h"
#include "kernels/separable.h"

namespace axnn::mult {
namespace {

using nlohmann::json;

const json& metric_definitions() {
  static const json defs = {
      {"mae", "mean |M(a,w) - a*w| over all 65,536 signed operand pairs"},
      {"wce", "max |M(a,w) - a*w|"},
      {"mre", "mean |M(a,w) - a*w| / |a*w| over pairs with a*w != 0, in percent"},
      {"ep", "share of pairs with M(a,w) != a*w, in percent"},
      {"mse", "mean (M(a,w) - a*w)^2"},
      {"error_mean", "mean of M(a,w) - a*w"},
      {"error_std", "population standard deviation of M(a,w) - a*w"},
      {"relative_power", "power / power of the library's exact multiplier"}};
  return defs;
}

void write_multiplier(H5::Group& root, const Multiplier& m, double relative_power) {
  H5::Group g = h5::ensure_group(root, "multipliers/" + m.name);
  h5::write_dataset(g, "lut", m.lut, {256, 256});
  h5::write_attr(g, "signed", m.is_signed);
  h5::write_attr(g, "sign_handling", m.is_signed ? "native" : "sign-magnitude");
  h5::write_attr(g, "power", m.power);
  h5::write_attr(g, "power_unit", m.power_unit);
  h5::write_attr(g, "power_source", m.power_source);
  h5::write_attr(g, "relative_power", relative_power);
  if (m.area) {
    h5::write_attr(g, "area", *m.area);
    h5::write_attr(g, "area_unit", m.area_unit);
  }
  if (m.delay) {
    h5::write_attr(g, "delay", *m.delay);
    h5::write_attr(g, "delay_unit", m.delay_unit);
  }
  h5::write_json_attr(g, "source", m.source);
  h5::write_attr(g, "description", m.description);
  const ErrorMetrics& e = m.metrics;
  h5::write_attr(g, "mae", e.mae);
  h5::write_attr(g, "wce", e.wce);
  h5::write_attr(g, "mre", e.mre);
  h5::write_attr(g, "ep", e.ep);
  h5::write_attr(g, "mse", e.mse);
  h5::write_attr(g, "error_mean", e.error_mean);
  h5::write_attr(g, "error_std", e.error_std);
}

std::optional<double> optional_attr(const H5::Group& g, const char* name) {
  if (!h5::has_attr(g, name)) return std::nullopt;
  return h5::read_double_attr(g, name);
}

// The stored metrics must be the table's: a library edited by hand (or damaged) is not trusted.
void check_stored_metrics(const Multiplier& m) {
  const ErrorMetrics c = compute_metrics(m.lut), &s = m.metrics;
  const std::pair<const char*, std::pair<double, double>> fields[] = {
      {"mae", {s.mae, c.mae}}, {"wce", {s.wce, c.wce}}, {"mre", {s.mre, c.mre}}, {"ep", {s.ep, c.ep}},
      {"mse", {s.mse, c.mse}}, {"error_mean", {s.error_mean, c.error_mean}}, {"error_std", {s.error_std, c.error_std}}};
  for (const auto& [field, v] : fields)
    if (!(std::fabs(v.first - v.second) <= 1e-9 * std::max(1.0, std::fabs(v.second))))
      throw InputError(fmt::format("multiplier '{}': stored {} = {} but its table gives {}", m.name, field, v.first,
                                   v.second));
}

Multiplier read_multiplier(const H5::Group& root, const std::string& name) {
  H5::Group g = h5::open_group(root, "multipliers/" + name);
  Multiplier m;
  m.name = name;
  h5::Shape shape;
  m.lut = h5::read_dataset<int32_t>(g, "lut", &shape);
  if (shape != h5::Shape{256, 256})
    throw InputError(fmt::format("multiplier '{}': lut has shape ({}), expected (256, 256)", name,
                                 fmt::join(shape, ", ")));
  m.is_signed = h5::read_int_attr(g, "signed") != 0;
  m.power = h5::read_double_attr(g, "power");
  m.power_unit = h5::read_string_attr(g, "power_unit");
  m.power_source = h5::read_string_attr(g, "power_source");
  m.area = optional_attr(g, "area");
  if (m.area) m.area_unit = h5::read_string_attr(g, "area_unit");
  m.delay = optional_attr(g, "delay");
  if (m.delay) m.delay_unit = h5::read_string_attr(g, "delay_unit");
  m.source = h5::read_json_attr(g, "source");
  m.description = h5::read_string_attr(g, "description");
  ErrorMetrics& e = m.metrics;
  e.mae = h5::read_double_attr(g, "mae");
  e.wce = h5::read_double_attr(g, "wce");
  e.mre = h5::read_double_attr(g, "mre");
  e.ep = h5::read_double_attr(g, "ep");
  e.mse = h5::read_double_attr(g, "mse");
  e.error_mean = h5::read_double_attr(g, "error_mean");
  e.error_std = h5::read_double_attr(g, "error_std");
  check_stored_metrics(m);
  return m;
}

const json kColumns = {"name", "signed", "power", "rel_power", "MAE", "WCE", "err_std", "EP%", "separable"};

}  // namespace

const KindFields& library_fields() {
  static const KindFields fields{
      kLibraryKind, kLibrarySchemaVersion,
      {attr("library_name", FieldType::String, "the library's name"),
       attr("exact", FieldType::String, "name of the exact multiplier"),
       attr("power_unit", FieldType::String, "unit of every power"),
       attr("order", FieldType::Json, "multiplier names, in order").json("array"),
       attr("metric_definitions", FieldType::Json, "what each metric means").json("object"),
       attr("sources", FieldType::Json, "where the multipliers came from").json("array").optional(),
       dataset("multipliers/*/lut", FieldType::Int32, {256, 256}, "products M(a, w) at [a + 128][w + 128]; row = activation a, column = weight w").min(-kMaxTableMagnitude).max(kMaxTableMagnitude),
       attr("multipliers/*/signed", FieldType::Int, "1: natively signed; 0: unsigned core used sign-magnitude").min(0).max(1),
       attr("multipliers/*/sign_handling", FieldType::String, "native or sign-magnitude"),
       attr("multipliers/*/power", FieldType::Float, "power in power_unit").min(0),
       attr("multipliers/*/power_unit", FieldType::String, "unit of power"),
       attr("multipliers/*/power_source", FieldType::String, "where the power comes from"),
       attr("multipliers/*/relative_power", FieldType::Float, "power / power of exact").min(0),
       attr("multipliers/*/area", FieldType::Float, "area").min(0).optional(),
       attr("multipliers/*/area_unit", FieldType::String, "unit of area").optional(),
       attr("multipliers/*/delay", FieldType::Float, "delay").min(0).optional(),
       attr("multipliers/*/delay_unit", FieldType::String, "unit of delay").optional(),
       attr("multipliers/*/source", FieldType::Json, "family and parameters, or imported file and hash").json("object"),
       attr("multipliers/*/description", FieldType::String, "free text"),
       attr("multipliers/*/mae", FieldType::Float, "mean |e|").min(0),
       attr("multipliers/*/wce", FieldType::Float, "max |e|").min(0),
       attr("multipliers/*/mre", FieldType::Float, "mean relative |e|").min(0).unit("percent"),
       attr("multipliers/*/ep", FieldType::Float, "share of pairs with e != 0").min(0).max(100).unit("percent"),
       attr("multipliers/*/mse", FieldType::Float, "mean e^2").min(0),
       attr("multipliers/*/error_mean", FieldType::Float, "mean e"),
       attr("multipliers/*/error_std", FieldType::Float, "std of e").min(0)}};
  return fields;
}

void write_library(const std::string& path, const Library& library, const Provenance& provenance) {
  library.validate(path);
  ArtifactWriter w(path, library_fields(), provenance);
  H5::Group root = w.root();
  h5::write_attr(root, "library_name", library.name);
  h5::write_attr(root, "exact", "exact");
  h5::write_attr(root, "power_unit", library.exact().power_unit);
  json order = json::array();
  for (const auto& m : library.multipliers) order.push_back(m.name);
  h5::write_json_attr(root, "order", order);
  h5::write_json_attr(root, "metric_definitions", metric_definitions());
  h5::write_json_attr(root, "sources", library.sources);
  for (const auto& m : library.multipliers) write_multiplier(root, m, library.relative_power(m));
  w.commit();
}

Library read_library(const std::string& path) {
  Artifact a = Artifact::open(path, library_fields());
  H5::Group root = a.root();
  Library lib;
  a.read([&] {
    lib.name = h5::read_string_attr(root, "library_name");
    for (const auto& n : h5::read_json_attr(root, "order")) lib.multipliers.push_back(read_multiplier(root, n));
    if (h5::has_attr(root, "sources")) lib.sources = h5::read_json_attr(root, "sources");
  });
  lib.validate(path);
  return lib;
}

json library_table(const Library& library) {
  std::vector<const Multiplier*> sorted;
  for (const auto& m : library.multipliers) sorted.push_back(&m);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [&](auto* x, auto* y) { return library.relative_power(*x) < library.relative_power(*y); });
  json rows = json::array();
  for (const Multiplier* m : sorted)
    rows.push_back({m->name, m->is_signed ? "yes" : "no", fmt::format("{:.4g}", m->power),
                    fmt::format("{:.3f}", library.relative_power(*m)), fmt::format("{:.2f}", m->metrics.mae),
                    fmt::format("{:.0f}", m->metrics.wce), fmt::format("{:.2f}", m->metrics.error_std),
                    fmt::format("{:.1f}", m->metrics.ep), kernels::find_separable(m->lut.data()) ? "yes" : "no"});
  return {{"title", fmt::format("library {} ({} multipliers, power in {}), cheapest first; separable: lut = fa(a) * fw(w), "
                                "run as a float op on the CPU (docs/kernels.md)",
                                library.name, library.multipliers.size(), library.exact().power_unit)},
          {"columns", kColumns},
          {"rows", rows}};
}

void register_inspect_view() {
  register_view(kLibraryKind, [](H5::H5File&, json& d) {
    d["tables"].push_back(library_table(read_library(d["path"].get<std::string>())));
  });
}

}  // namespace axnn::mult
