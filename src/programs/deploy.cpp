// axnn-deploy: puts the matched multipliers' tables into the checkpoint's layers.
#include <spdlog/spdlog.h>

#include "cli/program.h"
#include "method/deploy.h"
#include "method/step_configs.h"
#include "multipliers/library_io.h"

int main(int argc, char** argv) {
  using namespace axnn;
  cli::Program program("axnn-deploy",
                       "Copy each layer's chosen multiplier table (from a matching artifact) into the checkpoint the "
                       "matching was made for, and set those layers to approx mode. The layer names, the model's hash "
                       "and the library's hash must fit the matching. With bias_compensation, each layer also takes its "
                       "table's mean error per output channel out of its accumulator (config schema: "
                       "workflows/schemas/deploy.schema.json).");
  program.add_config_option(method::deploy_spec());
  std::string model, matching_path, library_path, out;
  program.app().add_option("-m,--model", model, "Checkpoint the refs were sampled from")->required()->check(CLI::ExistingFile);
  program.app().add_option("--matching", matching_path, "Matching artifact (axnn-match)")->required()->check(CLI::ExistingFile);
  program.app().add_option("-l,--library", library_path, "The library the matching chose from")->required()->check(CLI::ExistingFile);
  program.app().add_option("-o,--output", out, "Model artifact to write")->required();
  return program.run(argc, argv, [&] {
    const InputRef model_ref = input_ref(model), matching_ref = input_ref(matching_path), library_ref = input_ref(library_path);
    models::Checkpoint c = models::load_checkpoint(model);
    const method::Matching m = method::read_matching(matching_path);
    const bool compensate = program.config()["bias_compensation"];
    method::deploy(c, model_ref.hash, m, mult::read_library(library_path), library_ref.hash, compensate);
    spdlog::info("deployed {} tables{}, relative energy {:.4f}", m.layers.size(),
                 compensate ? " with bias compensation" : "", m.relative_energy);
    nlohmann::json config = {{"relative_energy", m.relative_energy}, {"bias_compensation", compensate}};
    models::save_checkpoint(out, c, program.provenance(config, {model_ref, matching_ref, library_ref}));
  });
}
