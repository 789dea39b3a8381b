// axnn-mult: make, import, compose, list and show libraries of approximate 8-bit multipliers.
// One options struct and one function per subcommand.
#include <chrono>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/checks.h"
#include "cli/program.h"
#include "kernels/separable.h"
#include "config/spec.h"
#include "core/error.h"
#include "core/hash.h"
#include "inspect/inspect.h"
#include "multipliers/error_map.h"
#include "multipliers/evoapprox.h"
#include "multipliers/families.h"
#include "multipliers/library_io.h"
#include "multipliers/sources.h"
#include "multipliers/table_import.h"

namespace {

using namespace axnn;
using nlohmann::json;
namespace fs = std::filesystem;

std::vector<InputRef> input_refs(const std::vector<std::string>& paths) {
  std::vector<InputRef> out;
  for (const auto& p : paths) out.push_back(input_ref(p));
  return out;
}

void write_and_report(cli::Program& program, const std::string& out, const mult::Library& lib, const json& config,
                      const std::vector<std::string>& inputs) {
  mult::write_library(out, lib, program.provenance(config, input_refs(inputs)));
  spdlog::info("wrote {} ({} multipliers)", out, lib.multipliers.size());
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// ---- build ----
struct BuildOptions {
  std::string out, config;
};

void add_build(CLI::App& app, BuildOptions& o) {
  CLI::App* c = app.add_subcommand("build", "Generate a library of built-in families (default: builtin-8s)");
  c->add_option("-o,--output", o.out, "Library file to write")->required();
  c->add_option("-c,--config", o.config, "YAML list of family members (schema: workflows/schemas/library.schema.json)")
      ->check(CLI::ExistingFile);
}

void run_build(cli::Program& program, const BuildOptions& o) {
  auto t0 = std::chrono::steady_clock::now();
  json raw = o.config.empty() ? json::object() : config::load_yaml_file(o.config);
  json cfg = config::resolve(mult::library_spec(), raw, o.config.empty() ? "(defaults)" : o.config);
  auto lib = mult::build_library(cfg["name"], mult::members_from_config(cfg, o.config));
  write_and_report(program, o.out, lib, cfg, o.config.empty() ? std::vector<std::string>{} : std::vector{o.config});
  spdlog::info("built in {:.2f} s", seconds_since(t0));
}

// ---- import-evoapprox ----
struct EvoOptions {
  std::vector<std::string> paths;
  std::string out, name, compiler = "cc";
  std::optional<double> exact_power;
  double timeout_s = 60;
};

void add_evoapprox(CLI::App& app, EvoOptions& o) {
  CLI::App* c = app.add_subcommand("import-evoapprox",
                                   "Compile and evaluate EvoApproxLib C models into a library (each circuit once, "
                                   "however many Pareto subsets ship it)");
  c->add_option("paths", o.paths, "C files or folders (searched recursively for *.c; other files are ignored)")->required();
  c->add_option("-o,--output", o.out, "Library file to write")->required();
  c->add_option("--name", o.name, "Library name (default: the first folder's name)");
  c->add_option("--cc", o.compiler, "C compiler command (its words separated by spaces; no shell)")->capture_default_str();
  c->add_option("--model-timeout", o.timeout_s, "Seconds each model may take to compile, and again to run, before it is "
                                                 "stopped (a model that never returns)")
      ->capture_default_str()
      ->check(cli::number_range(1, 3600));
  c->add_option("--exact-power", o.exact_power, "Power of the exact multiplier in mW, when no imported model is exact");
}

void run_evoapprox(cli::Program& program, const EvoOptions& o) {
  auto t0 = std::chrono::steady_clock::now();
  mult::EvoImportOptions options;
  options.compiler = o.compiler;
  options.exact_power = o.exact_power;
  options.timeout_s = o.timeout_s;
  std::string name = o.name.empty() ? fs::path(o.paths.front()).filename().string() : o.name;
  auto lib = mult::import_evoapprox(o.paths, name, options);
  lib.sources = json::array();
  for (const auto& p : o.paths)
    lib.sources.push_back({{"kind", "evoapprox"},
                           {"path", p},
                           {"hash", fs::is_directory(p) ? mult::hash_c_files(p) : sha256_file(p)}});
  json cfg = {{"name", name}, {"compiler", o.compiler}, {"exact_power", o.exact_power ? json(*o.exact_power) : json()}};
  std::vector<std::string> hashed;  // folders are recorded by their hash in `sources`
  for (const auto& p : o.paths)
    if (fs::is_regular_file(p)) hashed.push_back(p);
  write_and_report(program, o.out, lib, cfg, hashed);
  spdlog::info("imported {} models in {:.2f} s", lib.multipliers.size() - 1, seconds_since(t0));
}

// ---- import (one table) ----
struct ImportOptions {
  std::string table, out, into, name, sidecar, power_unit = "relative";
  std::optional<double> power;
  bool unsigned_table = false;
};

void add_import(CLI::App& app, ImportOptions& o) {
  CLI::App* c = app.add_subcommand("import", "Add a table from .npy (int16/int32, 256x256) or CSV to a library");
  c->add_option("table", o.table, "Table file (.npy or .csv)")->required();
  c->add_option("-o,--output", o.out, "Library file to write")->required();
  c->add_option("--into", o.into, "Existing library to add the table to (default: a new library with 'exact')")
      ->check(CLI::ExistingFile);
  c->add_option("--name", o.name, "Multiplier name (default: the file stem)");
  c->add_option("--power", o.power, "Power of the multiplier, in --power-unit");
  c->add_option("--power-unit", o.power_unit, "Unit of --power; 'relative' means exact = 1")->capture_default_str();
  c->add_flag("--unsigned", o.unsigned_table, "The table is unsigned [x][y], x, y in 0..255 (used sign-magnitude)");
  c->add_option("--sidecar", o.sidecar, "YAML with name, power, power_unit, signed, area, delay, description")
      ->check(CLI::ExistingFile);
}

void run_import(cli::Program& program, const ImportOptions& o) {
  mult::TableInfo info;
  info.name = o.name;
  info.power = o.power;
  info.power_unit = o.power_unit;
  info.is_signed = !o.unsigned_table;
  if (!o.sidecar.empty()) mult::apply_sidecar(o.sidecar, info);
  mult::Multiplier m = mult::import_table(o.table, info);
  mult::Library base;
  if (!o.into.empty()) {
    base = mult::read_library(o.into);
  } else {
    if (m.power_unit != "relative")
      throw UsageError("a new library needs the exact multiplier's power in the same unit: use --into a library "
                       "that has it, or give --power in 'relative' units");
    base.name = "imported";
    base.multipliers.push_back(mult::make_multiplier({"exact"}));
  }
  base.multipliers.push_back(m);
  std::vector<std::string> in = {o.table};
  if (!o.into.empty()) in.push_back(o.into);
  if (!o.sidecar.empty()) in.push_back(o.sidecar);
  write_and_report(program, o.out, base, {{"name", m.name}, {"power", m.power}, {"power_unit", m.power_unit}}, in);
}

// ---- compose (the workflow's library rule) ----
struct ComposeOptions {
  std::string out, config;
  std::vector<std::string> sets;
};

void add_compose(CLI::App& app, ComposeOptions& o) {
  CLI::App* c = app.add_subcommand(
      "compose",
      "Assemble a library from sources (built-in families, EvoApproxLib folders, library artifacts, tables), merged in "
      "order and filtered: an experiment's library: block (schema: workflows/schemas/library-sources.schema.json)");
  c->add_option("-o,--output", o.out, "Library file to write")->required();
  c->add_option("-c,--config", o.config, "The library block (YAML)")->check(CLI::ExistingFile);
  c->add_option("--set", o.sets, "Override one key: --set 'sources=[{evoapprox: DIR}]' (repeatable; the value is YAML)");
}

void run_compose(cli::Program& program, const ComposeOptions& o) {
  auto t0 = std::chrono::steady_clock::now();
  json cfg = config::load_config(mult::library_sources_spec(), o.config, o.sets);
  auto lib = mult::compose_library(cfg, o.config.empty() ? "library" : o.config);
  std::vector<std::string> inputs;  // files are hashed here; folders by their hash in `sources`
  if (!o.config.empty()) inputs.push_back(o.config);
  for (const auto& s : lib.sources)
    if (fs::is_regular_file(s["path"].get<std::string>())) inputs.push_back(s["path"]);
  write_and_report(program, o.out, lib, cfg, inputs);
  spdlog::info("composed from {} sources in {:.2f} s", lib.sources.size(), seconds_since(t0));
}

// ---- list / show ----
struct ShowOptions {
  std::string library, name, png;
};

void run_list(const std::string& library) {
  std::cout << inspect::render_tables(json::array({mult::library_table(mult::read_library(library))}));
}

void run_show(const ShowOptions& o) {
  auto lib = mult::read_library(o.library);
  const mult::Multiplier* m = lib.find(o.name);
  if (!m) throw UsageError(fmt::format("{}: no multiplier named '{}'", o.library, o.name));
  const auto& e = m->metrics;
  std::cout << fmt::format("{} — {}\n  power {:.4g} {} (relative {:.3f}; {})\n  signed: {}, source: {}\n", m->name,
                           m->description, m->power, m->power_unit, lib.relative_power(*m), m->power_source,
                           m->is_signed ? "native" : "sign-magnitude", m->source.dump());
  if (m->area) std::cout << fmt::format("  area {:.4g} {}", *m->area, m->area_unit);
  if (m->delay) std::cout << fmt::format("  delay {:.4g} {}", *m->delay, m->delay_unit);
  if (m->area || m->delay) std::cout << "\n";
  std::cout << fmt::format("  MAE {:.3f}  WCE {:.0f}  MRE {:.3f}%  EP {:.2f}%  MSE {:.1f}  mean {:.3f}  std {:.3f}\n", e.mae,
                           e.wce, e.mre, e.ep, e.mse, e.error_mean, e.error_std);
  const auto sep = kernels::find_separable(m->lut.data());
  std::cout << (sep ? fmt::format("  separable: lut = fa(a) * fw(w), |fa| * |fw| <= {}; on the CPU a layer runs it as a float "
                                  "(or double) op on the mapped operands, no table lookups\n\n",
                                  sep->max_abs_product())
                    : std::string("  not separable: the table kernels run it\n\n"));
  std::cout << mult::ascii_error_map(*m);
  if (!o.png.empty()) {
    mult::write_error_png(*m, o.png);
    spdlog::info("wrote {}", o.png);
  }
}

// ---- merge / filter ----
struct MergeOptions {
  std::vector<std::string> libraries;
  std::string out, name;
};

struct FilterOptions {
  std::string library, out, names = ".*", exclude;
  bool only_signed = false, only_unsigned = false;
  std::optional<double> max_mae, max_wce, max_error_std;
};

void add_filter(CLI::App& app, FilterOptions& o) {
  CLI::App* c = app.add_subcommand("filter", "Keep a subset of a library ('exact' always stays)");
  c->add_option("library", o.library, "Library file")->required()->check(CLI::ExistingFile);
  c->add_option("-o,--output", o.out, "Library file to write")->required();
  c->add_option("--name", o.names, "Keep names matching this regular expression")->capture_default_str();
  c->add_option("--exclude", o.exclude, "Drop names matching this regular expression");
  auto* s = c->add_flag("--signed", o.only_signed, "Keep natively signed multipliers only");
  c->add_flag("--unsigned", o.only_unsigned, "Keep unsigned (sign-magnitude) multipliers only")->excludes(s);
  c->add_option("--max-mae", o.max_mae, "Keep multipliers with MAE at most this")->check(cli::at_least(0));
  c->add_option("--max-wce", o.max_wce, "Keep multipliers with WCE at most this")->check(cli::at_least(0));
  c->add_option("--max-error-std", o.max_error_std, "Keep multipliers with error std at most this")
      ->check(cli::at_least(0));
}

void run_filter(cli::Program& program, const FilterOptions& o) {
  mult::LibraryFilter f;
  f.names = o.names;
  f.exclude = o.exclude;
  if (o.only_signed) f.is_signed = true;
  if (o.only_unsigned) f.is_signed = false;
  f.max_mae = o.max_mae, f.max_wce = o.max_wce, f.max_error_std = o.max_error_std;
  auto lib = mult::filter_library(mult::read_library(o.library), f);
  json cfg = {{"names", f.names}, {"exclude", f.exclude}, {"signed", f.is_signed ? json(*f.is_signed) : json()}};
  write_and_report(program, o.out, lib, cfg, {o.library});
}

}  // namespace

int main(int argc, char** argv) {
  cli::Program program("axnn-mult",
                       "Libraries of approximate 8-bit multipliers: build the built-in families, import EvoApproxLib C "
                       "models or single tables, compose a library from several sources, merge, filter, list and show "
                       "them. A library is an HDF5 artifact (axnn_kind = multipliers) holding each multiplier's "
                       "256x256 table lut[a+128][w+128] (row = activation) with its power and error metrics.");
  CLI::App& app = program.app();
  app.require_subcommand(1);
  program.add_seed_option();  // recorded in provenance; the built-in families are deterministic

  BuildOptions build;
  EvoOptions evo;
  ImportOptions imp;
  ComposeOptions compose;
  ShowOptions show;
  MergeOptions merge;
  FilterOptions filter;
  std::string list_library;
  add_build(app, build);
  add_evoapprox(app, evo);
  add_import(app, imp);
  add_compose(app, compose);
  CLI::App* list = app.add_subcommand("list", "List a library's multipliers, cheapest first");
  list->add_option("library", list_library, "Library file")->required()->check(CLI::ExistingFile);
  CLI::App* show_cmd = app.add_subcommand("show", "Show one multiplier: metrics and an error heat map");
  show_cmd->add_option("library", show.library, "Library file")->required()->check(CLI::ExistingFile);
  show_cmd->add_option("name", show.name, "Multiplier name")->required();
  show_cmd->add_option("--png", show.png, "Also write the error map as a PNG image");
  CLI::App* merge_cmd = app.add_subcommand("merge", "Merge libraries into one");
  merge_cmd->add_option("libraries", merge.libraries, "Library files")->required()->check(CLI::ExistingFile);
  merge_cmd->add_option("-o,--output", merge.out, "Library file to write")->required();
  merge_cmd->add_option("--name", merge.name, "Name of the merged library (default: the first's)");
  add_filter(app, filter);

  return program.run(argc, argv, [&] {
    const std::string sub = app.get_subcommands().front()->get_name();
    if (sub == "build") run_build(program, build);
    else if (sub == "import-evoapprox") run_evoapprox(program, evo);
    else if (sub == "import") run_import(program, imp);
    else if (sub == "compose") run_compose(program, compose);
    else if (sub == "list") run_list(list_library);
    else if (sub == "show") run_show(show);
    else if (sub == "merge") {
      std::vector<mult::LabelledLibrary> libs;
      for (const auto& p : merge.libraries) libs.push_back({p, mult::read_library(p)});
      write_and_report(program, merge.out, mult::merge_libraries(libs, merge.name), {{"name", merge.name}},
                       merge.libraries);
    } else if (sub == "filter") run_filter(program, filter);
  });
}
