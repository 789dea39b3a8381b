// axnn-schema: the JSON Schemas of axnn's configs, generated from the one config model in the code,
// so the workflow's schemas (workflows/schemas/) and the programs cannot drift apart.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/program.h"
#include "config/spec.h"
#include "method/step_configs.h"
#include "core/error.h"
#include "core/files.h"
#include "experiment/experiment_config.h"
#include "multipliers/families.h"
#include "multipliers/sources.h"
#include "multipliers/table_import.h"
#include "prune/prune_configs.h"
#include "train/trainer_config.h"

namespace {

using namespace axnn;

// Every config a program reads, by schema file name.
std::vector<std::pair<std::string, const config::Spec*>> all_specs() {
  return {{"experiment", &experiment_spec()},
          {"library", &mult::library_spec()},    {"library-sources", &mult::library_sources_spec()},
          {"trainer", &train::trainer_spec()},  {"quantize", &train::quantize_spec()},
          {"retrain", &train::retrain_spec()}, {"table-sidecar", &mult::sidecar_spec()},
          {"noise", &method::noise_spec()},   {"sample", &method::sample_spec()},
          {"match", &method::match_spec()},   {"sensitivity", &method::sensitivity_spec()},
          {"assign", &method::assign_spec()},   {"deploy", &method::deploy_spec()},
          {"search", &method::search_spec()},  {"rank", &prune::rank_spec()},
          {"prune", &prune::prune_spec()}};
}

std::string schema_text(const std::string& name, const config::Spec& spec) {
  return config::to_json_schema(spec, name).dump(2) + "\n";
}

}  // namespace

int main(int argc, char** argv) {
  cli::Program program("axnn-schema", "Print, write or check the JSON Schemas of axnn's configs.");
  std::string name, write_dir, check_dir;
  bool list = false;
  program.app().add_option("name", name, "Schema to print (see --list)");
  program.app().add_flag("--list", list, "List the schema names");
  program.app().add_option("--write", write_dir, "Write every schema as DIR/<name>.schema.json");
  program.app().add_option("--check", check_dir, "Fail if DIR/<name>.schema.json differs from the code's schema");
  return program.run(argc, argv, [&] {
    if (list) {
      for (const auto& [n, _] : all_specs()) std::cout << n << "\n";
      return;
    }
    for (const auto& [n, spec] : all_specs()) {
      std::string text = schema_text(n, *spec);
      if (n == name) std::cout << text;
      if (!write_dir.empty()) write_file_atomic((std::filesystem::path(write_dir) / (n + ".schema.json")).string(), text);
      if (!check_dir.empty()) {
        std::filesystem::path file = std::filesystem::path(check_dir) / (n + ".schema.json");
        std::ifstream in(file);
        std::stringstream ss;
        ss << in.rdbuf();
        if (!in || ss.str() != text)
          throw InputError(fmt::format("{}: out of date with the code; regenerate with axnn-schema --write {}",
                                       file.string(), check_dir));
      }
    }
    if (!name.empty() && name != "-") {
      bool known = false;
      for (const auto& [n, _] : all_specs()) known |= n == name;
      if (!known) throw UsageError(fmt::format("no schema named '{}' (see --list)", name));
    }
  });
}
