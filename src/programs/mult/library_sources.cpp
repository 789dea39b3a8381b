// axnn-mult's subcommands that make a library: build, import-evoapprox, import, compose.
#include <chrono>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "cli/checks.h"
#include "config/spec.h"
#include "core/error.h"
#include "core/hash.h"
#include "multipliers/evoapprox.h"
#include "multipliers/families.h"
#include "multipliers/library_io.h"
#include "multipliers/sources.h"
#include "multipliers/table_import.h"
#include "programs/mult/commands.h"

namespace axnn::mult_cli {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

class Build : public Command {
  std::string out_, config_;

  CLI::App* declare(CLI::App& app) override {
    CLI::App* c = app.add_subcommand("build", "Generate a library of built-in families (default: builtin-8s)");
    c->add_option("-o,--output", out_, "Library file to write")->required();
    c->add_option("-c,--config", config_,
                  "YAML list of family members (schema: workflows/schemas/library.schema.json)")
        ->check(CLI::ExistingFile);
    return c;
  }

  void run(cli::Program& program) override {
    auto t0 = std::chrono::steady_clock::now();
    json raw = config_.empty() ? json::object() : config::load_yaml_file(config_);
    json cfg = config::resolve(mult::library_spec(), raw, config_.empty() ? "(defaults)" : config_);
    auto lib = mult::library_from_config(cfg, config_);
    write_and_report(program, out_, lib, cfg, config_.empty() ? std::vector<std::string>{} : std::vector{config_});
    spdlog::info("built in {:.2f} s", seconds_since(t0));
  }
};

class ImportEvoapprox : public Command {
  std::vector<std::string> paths_;
  std::string out_, name_, compiler_ = "cc";
  std::optional<double> exact_power_;
  double timeout_s_ = 60;

  CLI::App* declare(CLI::App& app) override {
    CLI::App* c = app.add_subcommand("import-evoapprox",
                                     "Compile and evaluate EvoApproxLib C models into a library (each circuit once, "
                                     "however many Pareto subsets ship it)");
    c->add_option("paths", paths_, "C files or folders (searched recursively for *.c; other files are ignored)")
        ->required();
    c->add_option("-o,--output", out_, "Library file to write")->required();
    c->add_option("--name", name_, "Library name (default: the first folder's name)");
    c->add_option("--cc", compiler_, "C compiler command (its words separated by spaces; no shell)")
        ->capture_default_str();
    c->add_option("--model-timeout", timeout_s_,
                  "Seconds each model may take to compile, and again to run, before it is stopped (a model that "
                  "never returns)")
        ->capture_default_str()
        ->check(cli::number_range(1, 3600));
    c->add_option("--exact-power", exact_power_, "Power of the exact multiplier in mW, when no imported model is exact");
    return c;
  }

  void run(cli::Program& program) override {
    auto t0 = std::chrono::steady_clock::now();
    mult::EvoImportOptions options;
    options.compiler = compiler_;
    options.exact_power = exact_power_;
    options.timeout_s = timeout_s_;
    std::string name = name_.empty() ? fs::path(paths_.front()).filename().string() : name_;
    auto lib = mult::import_evoapprox(paths_, name, options);
    lib.sources = json::array();
    for (const auto& p : paths_)
      lib.sources.push_back({{"kind", "evoapprox"},
                             {"path", p},
                             {"hash", fs::is_directory(p) ? mult::hash_c_files(p) : sha256_file(p)}});
    json cfg = {{"name", name}, {"compiler", compiler_}, {"exact_power", exact_power_ ? json(*exact_power_) : json()}};
    std::vector<std::string> hashed;  // folders are recorded by their hash in `sources`
    for (const auto& p : paths_)
      if (fs::is_regular_file(p)) hashed.push_back(p);
    write_and_report(program, out_, lib, cfg, hashed);
    spdlog::info("imported {} models in {:.2f} s", lib.multipliers.size() - 1, seconds_since(t0));
  }
};

class ImportTable : public Command {
  std::string table_, out_, into_, name_, sidecar_, power_unit_ = "relative";
  std::optional<double> power_;
  bool unsigned_table_ = false;

  CLI::App* declare(CLI::App& app) override {
    CLI::App* c = app.add_subcommand("import", "Add a table from .npy (int16/int32, 256x256) or CSV to a library");
    c->add_option("table", table_, "Table file (.npy or .csv)")->required();
    c->add_option("-o,--output", out_, "Library file to write")->required();
    c->add_option("--into", into_, "Existing library to add the table to (default: a new library with 'exact')")
        ->check(CLI::ExistingFile);
    c->add_option("--name", name_, "Multiplier name (default: the file stem)");
    c->add_option("--power", power_, "Power of the multiplier, in --power-unit");
    c->add_option("--power-unit", power_unit_, "Unit of --power; 'relative' means exact = 1")->capture_default_str();
    c->add_flag("--unsigned", unsigned_table_, "The table is unsigned [x][y], x, y in 0..255 (used sign-magnitude)");
    c->add_option("--sidecar", sidecar_, "YAML with name, power, power_unit, signed, area, delay, description")
        ->check(CLI::ExistingFile);
    return c;
  }

  // A new library starts with 'exact', whose power is the unit: the table's power must be relative then.
  mult::Library base_library(const mult::Multiplier& m) const {
    if (!into_.empty()) return mult::read_library(into_);
    if (m.power_unit != "relative")
      throw UsageError("a new library needs the exact multiplier's power in the same unit: use --into a library "
                       "that has it, or give --power in 'relative' units");
    mult::Library base;
    base.name = "imported";
    base.multipliers.push_back(mult::make_multiplier({"exact"}));
    return base;
  }

  void run(cli::Program& program) override {
    mult::TableInfo info;
    info.name = name_;
    info.power = power_;
    info.power_unit = power_unit_;
    info.is_signed = !unsigned_table_;
    if (!sidecar_.empty()) mult::apply_sidecar(sidecar_, info);
    mult::Multiplier m = mult::import_table(table_, info);
    mult::Library lib = base_library(m);
    lib.multipliers.push_back(m);
    std::vector<std::string> in = {table_};
    if (!into_.empty()) in.push_back(into_);
    if (!sidecar_.empty()) in.push_back(sidecar_);
    write_and_report(program, out_, lib, {{"name", m.name}, {"power", m.power}, {"power_unit", m.power_unit}}, in);
  }
};

// The workflow's library rule.
class Compose : public Command {
  std::string out_, config_;
  std::vector<std::string> sets_;

  CLI::App* declare(CLI::App& app) override {
    CLI::App* c = app.add_subcommand(
        "compose",
        "Assemble a library from sources (built-in families, EvoApproxLib folders, library artifacts, tables), merged "
        "in order and filtered: an experiment's library: block (schema: workflows/schemas/library-sources.schema.json)");
    c->add_option("-o,--output", out_, "Library file to write")->required();
    c->add_option("-c,--config", config_, "The library block (YAML)")->check(CLI::ExistingFile);
    c->add_option("--set", sets_,
                  "Override one key: --set 'sources=[{evoapprox: DIR}]' (repeatable; the value is YAML)");
    return c;
  }

  void run(cli::Program& program) override {
    auto t0 = std::chrono::steady_clock::now();
    json cfg = config::load_config(mult::library_sources_spec(), config_, sets_);
    auto lib = mult::compose_library(cfg, config_.empty() ? "library" : config_);
    std::vector<std::string> inputs;  // files are hashed here; folders by their hash in `sources`
    if (!config_.empty()) inputs.push_back(config_);
    for (const auto& s : lib.sources)
      if (fs::is_regular_file(s["path"].get<std::string>())) inputs.push_back(s["path"]);
    write_and_report(program, out_, lib, cfg, inputs);
    spdlog::info("composed from {} sources in {:.2f} s", lib.sources.size(), seconds_since(t0));
  }
};

}  // namespace

std::vector<std::unique_ptr<Command>> source_commands() {
  std::vector<std::unique_ptr<Command>> out;
  out.push_back(std::make_unique<Build>());
  out.push_back(std::make_unique<ImportEvoapprox>());
  out.push_back(std::make_unique<ImportTable>());
  out.push_back(std::make_unique<Compose>());
  return out;
}

}  // namespace axnn::mult_cli
