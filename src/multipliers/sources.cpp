#include "multipliers/sources.h"

#include <algorithm>
#include <filesystem>
#include <regex>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.h"
#include "core/hash.h"
#include "multipliers/evoapprox.h"
#include "multipliers/families.h"
#include "multipliers/library_io.h"
#include "multipliers/table_import.h"

namespace fs = std::filesystem;

namespace axnn::mult {
namespace {

using nlohmann::json;

const std::vector<std::string> kSourceKinds = {"builtin", "evoapprox", "artifact", "table"};
const std::vector<std::string> kTableKeys = {"name", "power", "power_unit", "signed"};

std::string source_kind(const json& s, const std::string& where) {
  std::vector<std::string> given;
  for (const auto& k : kSourceKinds)
    if (s.contains(k)) given.push_back(k);
  if (given.size() != 1)
    throw ConfigError(fmt::format("{}: give exactly one of builtin, evoapprox, artifact, table (got {})", where,
                                  given.empty() ? "none" : fmt::format("{}", fmt::join(given, ", "))));
  if (given[0] != "table")
    for (const auto& k : kTableKeys)
      if (s.contains(k)) throw ConfigError(fmt::format("{}.{}: only a table source takes this key", where, k));
  for (const char* k : {"exact_power", "model_timeout"})
    if (given[0] != "evoapprox" && s.contains(k))
      throw ConfigError(fmt::format("{}.{}: only an evoapprox source takes this key", where, k));
  return given[0];
}

void require_path(const std::string& path, const std::string& where, bool folder_ok) {
  if (path.empty()) throw ConfigError(fmt::format("{}: empty path", where));
  if (!fs::exists(path)) throw InputError(fmt::format("{}: '{}' does not exist", where, path));
  if (!folder_ok && !fs::is_regular_file(path)) throw InputError(fmt::format("{}: '{}' is not a file", where, path));
}

Library builtin_source(const std::string& value, const std::string& where, json& record) {
  if (value == "default") {
    json cfg = config::resolve(library_spec(), json::object(), where);
    record["hash"] = sha256_bytes(cfg.dump());
    return build_library(cfg["name"], default_members());
  }
  require_path(value, where, false);
  json cfg = config::resolve(library_spec(), config::load_yaml_file(value), value);
  record["hash"] = sha256_file(value);
  return library_from_config(cfg, value);
}

Library evoapprox_source(const json& s, const std::string& where, json& record) {
  const std::string path = s["evoapprox"];
  require_path(path, where, true);
  EvoImportOptions options;
  if (s.contains("exact_power")) options.exact_power = s["exact_power"].get<double>();
  if (s.contains("model_timeout")) options.timeout_s = s["model_timeout"].get<double>();
  try {
    record["hash"] = fs::is_directory(path) ? hash_c_files(path) : sha256_file(path);
    return import_evoapprox({path}, fs::path(path).filename().string(), options);
  } catch (const UserError& e) {
    throw InputError(fmt::format("{}: {}", where, e.what()));
  }
}

Library table_source(const json& s, const std::string& where, json& record) {
  const std::string path = s["table"];
  require_path(path, where, false);
  TableInfo info;
  if (s.contains("name")) info.name = s["name"];
  if (!s.contains("power")) throw ConfigError(fmt::format("{}.power: a table source needs its power", where));
  info.power = s["power"].get<double>();
  info.power_unit = s.value("power_unit", "relative");
  info.is_signed = s.value("signed", true);
  record["hash"] = sha256_file(path);
  Library lib;
  lib.name = fs::path(path).stem().string();
  try {
    lib.multipliers.push_back(import_table(path, info));
  } catch (const UserError& e) {
    throw InputError(fmt::format("{}: {}", where, e.what()));
  }
  return lib;
}

Library load_source(const json& s, const std::string& kind, const std::string& where, json& record) {
  if (kind == "builtin") return builtin_source(s["builtin"], where, record);
  if (kind == "evoapprox") return evoapprox_source(s, where, record);
  if (kind == "table") return table_source(s, where, record);
  const std::string path = s["artifact"];
  require_path(path, where, false);
  record["hash"] = sha256_file(path);
  return read_library(path);
}

void convert_power(Library& lib, const json& conversion) {
  const double factor = conversion["factor"];
  const std::string unit = conversion["unit"];
  for (auto& m : lib.multipliers) {
    m.power_source += fmt::format("; converted from {} by x{}", m.power_unit, factor);
    m.power *= factor;
    m.power_unit = unit;
  }
}

Multiplier relative_exact() { return make_multiplier({"exact"}); }

}  // namespace

const config::Spec& library_sources_spec() {
  using namespace config;
  static const Spec spec = object(
      "A multiplier library assembled from sources, merged in order, then filtered ('exact' is always present)",
      {{"name", string("Library name, stored in the artifact").def("library")},
       {"sources",
        array_of("Where the multipliers come from, merged in this order; a name given twice must have the same table",
                 object("One source: exactly one of builtin, evoapprox, artifact, table",
                        {{"builtin", string("Built-in families: 'default' (builtin-8s, 17 multipliers) or a YAML of "
                                            "family members (schema library.schema.json)")},
                         {"evoapprox", string("EvoApproxLib C models: a folder (searched recursively for *.c, each "
                                              "circuit once) or one .c file; power is the header's PDK45_PWR in mW")},
                         {"artifact", string("An existing library artifact (.h5, axnn_kind multipliers)")},
                         {"table", string("One 256x256 table, .npy (int16/int32) or CSV")},
                         {"name", string("table: multiplier name (default: the file stem)")},
                         {"power", number("table: the multiplier's power, in power_unit").min(0)},
                         {"power_unit", string("table: unit of power ('relative': exact = 1)")},
                         {"signed", boolean("table: true = indexed [a+128][w+128]; false = unsigned [x][y], used "
                                            "sign-magnitude")},
                         {"exact_power", number("evoapprox: power of the exact multiplier in mW, when no model of the "
                                                "folder is exact")
                                             .min(0)},
                         {"model_timeout", number("evoapprox: seconds each C model may take to compile, and again to "
                                                  "run, before it is stopped (default 60)")
                                               .min(1)
                                               .max(3600)},
                         {"convert_power",
                          object("Convert this source's powers to another unit: power * factor, in unit (e.g. built-in "
                                 "relative power to mW: factor = the exact multiplier's mW)",
                                 {{"factor", number("Multiplier applied to every power of this source").def(1.0).min(0)},
                                  {"unit", string("The unit after conversion (empty: no conversion)").def("")}})}}))
            .def(json::array({{{"builtin", "default"}}}))},
       {"filter",
        object("Which multipliers to keep after merging ('exact' always stays)",
               {{"signed", string("any, signed (natively signed) or unsigned (used sign-magnitude)")
                               .one_of({"any", "signed", "unsigned"})
                               .def("any")},
                {"names", string("Keep names matching this regular expression").def(".*")},
                {"exclude", string("Drop names matching this regular expression (empty: none)").def("")},
                {"max_mae", number("Keep multipliers with MAE at most this (absent: no bound)").min(0)},
                {"max_wce", number("Keep multipliers with WCE at most this (absent: no bound)").min(0)},
                {"max_error_std", number("Keep multipliers with error std at most this (absent: no bound)").min(0)}})}});
  return spec;
}

LibraryFilter filter_from_config(const json& f) {
  LibraryFilter out;
  out.names = f.value("names", ".*");
  out.exclude = f.value("exclude", "");
  const std::string sign = f.value("signed", "any");
  if (sign != "any") out.is_signed = sign == "signed";
  if (f.contains("max_mae")) out.max_mae = f["max_mae"].get<double>();
  if (f.contains("max_wce")) out.max_wce = f["max_wce"].get<double>();
  if (f.contains("max_error_std")) out.max_error_std = f["max_error_std"].get<double>();
  return out;
}

Library filter_library(const Library& library, const LibraryFilter& f) {
  auto compile = [](const std::string& pattern, const char* key) {
    try {
      return std::regex(pattern);
    } catch (const std::regex_error& e) {
      throw ConfigError(fmt::format("filter.{}: '{}' is not a valid regular expression ({})", key, pattern, e.what()));
    }
  };
  const std::regex keep = compile(f.names, "names"), drop = compile(f.exclude, "exclude");
  auto within = [](double v, const std::optional<double>& bound) { return !bound || v <= *bound; };
  Library out;
  out.name = library.name;
  out.sources = library.sources;
  for (const auto& m : library.multipliers) {
    const bool kept = m.name == "exact" ||
                      (std::regex_search(m.name, keep) && (f.exclude.empty() || !std::regex_search(m.name, drop)) &&
                       (!f.is_signed || m.is_signed == *f.is_signed) && within(m.metrics.mae, f.max_mae) &&
                       within(m.metrics.wce, f.max_wce) && within(m.metrics.error_std, f.max_error_std));
    if (kept) out.multipliers.push_back(m);
  }
  out.validate(fmt::format("filtered library '{}'", out.name));
  return out;
}

Library compose_library(const json& cfg, const std::string& where) {
  const json& sources = cfg["sources"];
  if (sources.empty()) throw ConfigError(fmt::format("{}: sources: give at least one source", where));
  std::vector<LabelledLibrary> loaded;
  json records = json::array();
  std::string unit, unit_origin;
  for (size_t i = 0; i < sources.size(); ++i) {
    const json& s = sources[i];
    const std::string at = fmt::format("{}: sources[{}]", where, i);
    const std::string kind = source_kind(s, at);
    json record = {{"kind", kind}, {"path", s[kind]}};
    Library lib = load_source(s, kind, at, record);
    if (!s.value("convert_power", json::object()).value("unit", "").empty()) convert_power(lib, s["convert_power"]);
    record["multipliers"] = json::array();
    for (const auto& m : lib.multipliers) {
      if (unit.empty()) unit = m.power_unit, unit_origin = at;
      if (m.power_unit != unit)
        throw ConfigError(fmt::format("{}: power of '{}' is in {}, but {} gives power in {}; add convert_power "
                                      "{{factor: F, unit: {}}} to one of them",
                                      at, m.name, m.power_unit, unit_origin, unit, unit));
      record["multipliers"].push_back(m.name);
    }
    records.push_back(record);
    loaded.push_back({at, std::move(lib)});
  }
  Library out = merge_libraries(std::move(loaded), cfg["name"]);
  out.sources = records;
  if (!out.find("exact")) {
    if (unit != "relative")
      throw ConfigError(fmt::format("{}: no source has the exact multiplier with power in {}; add one that does (an "
                                    "EvoApproxLib exact model, or exact_power on an evoapprox source)",
                                    where, unit));
    out.multipliers.insert(out.multipliers.begin(), relative_exact());
  }
  out.validate(where);
  return filter_library(out, filter_from_config(cfg.value("filter", json::object())));
}

std::string hash_c_files(const std::string& folder) {
  std::string listing;
  for (const auto& f : list_c_files(folder))
    listing += fs::relative(f, folder).string() + '\0' + sha256_file(f) + '\n';
  return sha256_bytes(listing);
}

}  // namespace axnn::mult
