// axnn-mult: make, import, list and show libraries of approximate 8-bit multipliers.
#include <chrono>
#include <iostream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/program.h"
#include "config/spec.h"
#include "core/error.h"
#include "inspect/inspect.h"
#include "multipliers/error_map.h"
#include "multipliers/evoapprox.h"
#include "multipliers/families.h"
#include "multipliers/library_io.h"
#include "multipliers/table_import.h"

namespace {

using namespace axnn;
using nlohmann::json;

std::vector<InputRef> input_refs(const std::vector<std::string>& paths) {
  std::vector<InputRef> out;
  for (const auto& p : paths) out.push_back(input_ref(p));
  return out;
}

void print_table(const json& table) { std::cout << inspect::render_tables(json::array({table})); }

void write_and_report(cli::Program& program, const std::string& out, const mult::Library& lib, const json& config,
                      const std::vector<std::string>& inputs) {
  mult::write_library(out, lib, program.provenance(config, input_refs(inputs)));
  spdlog::info("wrote {} ({} multipliers)", out, lib.multipliers.size());
}

}  // namespace

int main(int argc, char** argv) {
  cli::Program program("axnn-mult",
                       "Libraries of approximate 8-bit multipliers: build the built-in families, import EvoApproxLib C "
                       "models or single tables, merge, filter, list and show them. A library is an HDF5 artifact "
                       "(axnn_kind = multipliers) holding each multiplier's 256x256 table lut[a+128][w+128] "
                       "(row = activation) with its power and error metrics.");
  CLI::App& app = program.app();
  app.require_subcommand(1);
  program.add_seed_option();  // recorded in provenance; the built-in families are deterministic
  std::string out, config_path, lib_name, compiler = "cc", name_regex = ".*", png, sidecar, power_unit = "relative";
  std::vector<std::string> inputs;
  std::optional<double> exact_power, power;
  bool only_signed = false, only_unsigned = false, unsigned_table = false;

  CLI::App* build = app.add_subcommand("build", "Generate a library of built-in families (default: builtin-8s)");
  build->add_option("-o,--output", out, "Library file to write")->required();
  build->add_option("-c,--config", config_path, "YAML list of family members (schema: workflows/schemas/library.schema.json)")
      ->check(CLI::ExistingFile);

  CLI::App* evo = app.add_subcommand("import-evoapprox", "Compile and evaluate EvoApproxLib C models into a library");
  evo->add_option("paths", inputs, "C files or folders (searched recursively for *.c)")->required();
  evo->add_option("-o,--output", out, "Library file to write")->required();
  evo->add_option("--name", lib_name, "Library name (default: the first folder's name)");
  evo->add_option("--cc", compiler, "C compiler")->capture_default_str();
  evo->add_option("--exact-power", exact_power, "Power of the exact multiplier in mW, when no imported model is exact");

  CLI::App* imp = app.add_subcommand("import", "Add a table from .npy (int16/int32, 256x256) or CSV to a library");
  imp->add_option("table", inputs, "Table file (.npy or .csv)")->required()->expected(1);
  imp->add_option("-o,--output", out, "Library file to write")->required();
  imp->add_option("--into", config_path, "Existing library to add the table to (default: a new library with 'exact')")
      ->check(CLI::ExistingFile);
  imp->add_option("--name", lib_name, "Multiplier name (default: the file stem)");
  imp->add_option("--power", power, "Power of the multiplier, in --power-unit");
  imp->add_option("--power-unit", power_unit, "Unit of --power; 'relative' means exact = 1")->capture_default_str();
  imp->add_flag("--unsigned", unsigned_table, "The table is unsigned [x][y], x, y in 0..255 (used sign-magnitude)");
  imp->add_option("--sidecar", sidecar, "YAML with name, power, power_unit, signed, area, delay, description")
      ->check(CLI::ExistingFile);

  CLI::App* list = app.add_subcommand("list", "List a library's multipliers, cheapest first");
  list->add_option("library", config_path, "Library file")->required()->check(CLI::ExistingFile);

  std::string show_name;
  CLI::App* show = app.add_subcommand("show", "Show one multiplier: metrics and an error heat map");
  show->add_option("library", config_path, "Library file")->required()->check(CLI::ExistingFile);
  show->add_option("name", show_name, "Multiplier name")->required();
  show->add_option("--png", png, "Also write the error map as a PNG image");

  CLI::App* merge = app.add_subcommand("merge", "Merge libraries into one");
  merge->add_option("libraries", inputs, "Library files")->required()->check(CLI::ExistingFile);
  merge->add_option("-o,--output", out, "Library file to write")->required();
  merge->add_option("--name", lib_name, "Name of the merged library (default: the first's)");

  CLI::App* filter = app.add_subcommand("filter", "Keep a subset of a library ('exact' always stays)");
  filter->add_option("library", config_path, "Library file")->required()->check(CLI::ExistingFile);
  filter->add_option("-o,--output", out, "Library file to write")->required();
  filter->add_option("--name", name_regex, "Keep names matching this regular expression")->capture_default_str();
  auto* fs = filter->add_flag("--signed", only_signed, "Keep natively signed multipliers only");
  filter->add_flag("--unsigned", only_unsigned, "Keep unsigned (sign-magnitude) multipliers only")->excludes(fs);

  return program.run(argc, argv, [&] {
    if (build->parsed()) {
      auto t0 = std::chrono::steady_clock::now();
      json raw = config_path.empty() ? json::object() : config::load_yaml_file(config_path);
      json cfg = config::resolve(mult::library_spec(), raw, config_path.empty() ? "(defaults)" : config_path);
      auto lib = mult::build_library(cfg["name"], mult::members_from_config(cfg, config_path));
      write_and_report(program, out, lib, cfg, config_path.empty() ? std::vector<std::string>{} : std::vector{config_path});
      spdlog::info("built in {:.2f} s", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    } else if (evo->parsed()) {
      auto t0 = std::chrono::steady_clock::now();
      mult::EvoImportOptions options;
      options.compiler = compiler;
      options.exact_power = exact_power;
      std::string name = lib_name.empty() ? std::filesystem::path(inputs.front()).filename().string() : lib_name;
      auto lib = mult::import_evoapprox(inputs, name, options);
      json cfg = {{"name", name}, {"compiler", compiler}, {"exact_power", exact_power ? json(*exact_power) : json()}};
      std::vector<std::string> hashed;  // folders are recorded by their models' hashes in each source
      for (const auto& p : inputs)
        if (std::filesystem::is_regular_file(p)) hashed.push_back(p);
      write_and_report(program, out, lib, cfg, hashed);
      spdlog::info("imported {} models in {:.2f} s", lib.multipliers.size() - 1,
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    } else if (imp->parsed()) {
      mult::TableInfo info;
      info.name = lib_name;
      info.power = power;
      info.power_unit = power_unit;
      info.is_signed = !unsigned_table;
      if (!sidecar.empty()) mult::apply_sidecar(sidecar, info);
      mult::Multiplier m = mult::import_table(inputs.front(), info);
      mult::Library base;
      if (!config_path.empty()) {
        base = mult::read_library(config_path);
      } else {
        base.name = "imported";
        mult::Multiplier e = mult::make_multiplier({"exact"});
        if (m.power_unit != "relative")
          throw UsageError("a new library needs the exact multiplier's power in the same unit: use --into a library "
                           "that has it, or give --power in 'relative' units");
        base.multipliers.push_back(e);
      }
      base.multipliers.push_back(m);
      std::vector<std::string> in = inputs;
      if (!config_path.empty()) in.push_back(config_path);
      if (!sidecar.empty()) in.push_back(sidecar);
      write_and_report(program, out, base, {{"name", m.name}, {"power", m.power}, {"power_unit", m.power_unit}}, in);
    } else if (list->parsed()) {
      print_table(mult::library_table(mult::read_library(config_path)));
    } else if (show->parsed()) {
      auto lib = mult::read_library(config_path);
      const mult::Multiplier* m = lib.find(show_name);
      if (!m) throw UsageError(fmt::format("{}: no multiplier named '{}'", config_path, show_name));
      const auto& e = m->metrics;
      std::cout << fmt::format("{} — {}\n  power {:.4g} {} (relative {:.3f}; {})\n  signed: {}, source: {}\n", m->name,
                               m->description, m->power, m->power_unit, lib.relative_power(*m), m->power_source,
                               m->is_signed ? "native" : "sign-magnitude", m->source.dump());
      std::cout << fmt::format("  MAE {:.3f}  WCE {:.0f}  MRE {:.3f}%  EP {:.2f}%  MSE {:.1f}  mean {:.3f}  std {:.3f}\n\n",
                               e.mae, e.wce, e.mre, e.ep, e.mse, e.error_mean, e.error_std);
      std::cout << mult::ascii_error_map(*m);
      if (!png.empty()) {
        mult::write_error_png(*m, png);
        spdlog::info("wrote {}", png);
      }
    } else if (merge->parsed()) {
      std::vector<mult::Library> libs;
      for (const auto& p : inputs) libs.push_back(mult::read_library(p));
      write_and_report(program, out, mult::merge_libraries(libs, lib_name), {{"name", lib_name}}, inputs);
    } else if (filter->parsed()) {
      std::optional<bool> sign;
      if (only_signed) sign = true;
      if (only_unsigned) sign = false;
      auto lib = mult::filter_library(mult::read_library(config_path), name_regex, sign);
      write_and_report(program, out, lib, {{"name", name_regex}, {"signed", sign ? json(*sign) : json()}}, {config_path});
    }
  });
}
