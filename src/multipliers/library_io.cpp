#include "multipliers/library_io.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/error.h"
#include "io/views.h"
#include "io/h5.h"
#include "io/record.h"
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

// Every field bound to its member, once: the declaration, the writer and the reader.
const Record<Multiplier>& multiplier_record() {
  using M = Multiplier;
  auto e = [](auto member) { return [member](auto& m) -> auto& { return m.metrics.*member; }; };
  static const Record<M> record =
      Record<M>()
          .data(&M::lut,
                dataset("lut", FieldType::Int32, {256, 256},
                        "products M(a, w) at [a + 128][w + 128]; row = activation a, column = weight w")
                    .min(-kMaxTableMagnitude)
                    .max(kMaxTableMagnitude),
                [](const M&) { return h5::Shape{256, 256}; })
          .attr(&M::is_signed,
                attr("signed", FieldType::Int, "1: natively signed; 0: unsigned core used sign-magnitude").min(0).max(1))
          .computed(attr("sign_handling", FieldType::String, "native or sign-magnitude"),
                    [](const M& m) { return std::string(m.is_signed ? "native" : "sign-magnitude"); })
          .attr(&M::power, attr("power", FieldType::Float, "power in power_unit").min(0))
          .attr(&M::power_unit, attr("power_unit", FieldType::String, "unit of power"))
          .attr(&M::power_source, attr("power_source", FieldType::String, "where the power comes from"))
          .attr(&M::area, attr("area", FieldType::Float, "area").min(0).optional())
          .attr(&M::area_unit, attr("area_unit", FieldType::String, "unit of area").optional(),
                [](const M& m) { return m.area.has_value(); })
          .attr(&M::delay, attr("delay", FieldType::Float, "delay").min(0).optional())
          .attr(&M::delay_unit, attr("delay_unit", FieldType::String, "unit of delay").optional(),
                [](const M& m) { return m.delay.has_value(); })
          .attr(&M::source, attr("source", FieldType::Json, "family and parameters, or imported file and hash").json("object"))
          .attr(&M::description, attr("description", FieldType::String, "free text"))
          .attr_at(e(&ErrorMetrics::mae), attr("mae", FieldType::Float, "mean |e|").min(0))
          .attr_at(e(&ErrorMetrics::wce), attr("wce", FieldType::Float, "max |e|").min(0))
          .attr_at(e(&ErrorMetrics::mre), attr("mre", FieldType::Float, "mean relative |e|").min(0).unit("percent"))
          .attr_at(e(&ErrorMetrics::ep), attr("ep", FieldType::Float, "share of pairs with e != 0").min(0).max(100).unit("percent"))
          .attr_at(e(&ErrorMetrics::mse), attr("mse", FieldType::Float, "mean e^2").min(0))
          .attr_at(e(&ErrorMetrics::error_mean), attr("error_mean", FieldType::Float, "mean e"))
          .attr_at(e(&ErrorMetrics::error_std), attr("error_std", FieldType::Float, "std of e").min(0))
          .check(check_stored_metrics);
  return record;
}

const Record<Library>& library_record() {
  using L = Library;
  static const Record<L> record =
      Record<L>()
          .attr(&L::name, attr("library_name", FieldType::String, "the library's name"))
          .computed(attr("exact", FieldType::String, "name of the exact multiplier"),
                    [](const L&) { return std::string("exact"); })
          .computed(attr("power_unit", FieldType::String, "unit of every power"),
                    [](const L& l) { return l.exact().power_unit; })
          .computed(attr("metric_definitions", FieldType::Json, "what each metric means").json("object"),
                    [](const L&) { return metric_definitions(); })
          .attr(&L::sources, attr("sources", FieldType::Json, "where the multipliers came from").json("array").optional())
          .each("multipliers", "order", "multiplier names, in order", &L::multipliers, &Multiplier::name,
                multiplier_record())
          .computed_each("multipliers", &L::multipliers, &Multiplier::name,
                         attr("relative_power", FieldType::Float, "power / power of exact").min(0),
                         [](const L& l, const Multiplier& m) { return l.relative_power(m); });
  return record;
}

const json kColumns = {"name", "signed", "power", "rel_power", "MAE", "WCE", "err_std", "EP%", "separable"};

}  // namespace

const KindFields& library_fields() {
  static const KindFields fields{kLibraryKind, kLibrarySchemaVersion, library_record().fields()};
  return fields;
}

void write_library(const std::string& path, const Library& library, const Provenance& provenance) {
  library.validate(path);
  write_record(path, library_fields(), library_record(), library, provenance);
}

Library read_library(const std::string& path) {
  Library lib = read_record(path, library_fields(), library_record());
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
