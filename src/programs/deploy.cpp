// axnn-deploy: puts the matched multipliers' tables into the checkpoint's layers, then adapts the
// BatchNorm statistics to them.
#include <spdlog/spdlog.h>

#include "cli/program.h"
#include "method/bn_adaptation.h"
#include "method/deploy.h"
#include "method/step_configs.h"
#include "multipliers/library_io.h"
#include "parallel/world.h"
#include "tensor/device.h"

int main(int argc, char** argv) {
  using namespace axnn;
  cli::Program program("axnn-deploy",
                       "Copy each layer's chosen multiplier table (from a matching artifact) into the checkpoint the "
                       "matching was made for, and set those layers to approx mode. The layer names, the model's hash "
                       "and the library's hash must fit the matching. With bias_compensation, each layer also takes its "
                       "table's mean error per output channel out of its accumulator. Then, for a model with BatchNorm, "
                       "every BatchNorm layer's running statistics are measured again through the tables on "
                       "bn_adaptation.images seeded training images of -d (config schema: "
                       "workflows/schemas/deploy.schema.json).");
  program.add_seed_option();
  program.add_config_option(method::deploy_spec());
  add_device_option(program);
  parallel::add_parallel_option(program);
  std::string model, matching_path, library_path, dataset, out;
  program.app().add_option("-m,--model", model, "Checkpoint the refs were sampled from")->required()->check(CLI::ExistingFile);
  program.app().add_option("--matching", matching_path, "Matching artifact (axnn-match)")->required()->check(CLI::ExistingFile);
  program.app().add_option("-l,--library", library_path, "The library the matching chose from")->required()->check(CLI::ExistingFile);
  program.app().add_option("-d,--dataset", dataset, "Dataset artifact: BatchNorm adaptation's training images (needed "
                           "when the model has BatchNorm and bn_adaptation.images > 0)")->check(CLI::ExistingFile);
  program.app().add_option("-o,--output", out, "Model artifact to write")->required();
  return program.run(argc, argv, [&] {
    torch::manual_seed(program.seed());
    const auto o = method::DeploySettings::from(program.config(), program.seed());
    const InputRef model_ref = input_ref(model), matching_ref = input_ref(matching_path), library_ref = input_ref(library_path);
    models::Checkpoint c = models::load_checkpoint(model);
    const method::Matching m = method::read_matching(matching_path);
    const bool compensate = o.bias_compensation;
    method::deploy(c, model_ref.hash, m, mult::read_library(library_path), library_ref.hash, compensate);
    spdlog::info("deployed {} tables{}, relative energy {:.4f}", m.layers.size(),
                 compensate ? " with bias compensation" : "", m.relative_energy);
    const nlohmann::json adaptation =
        method::adapt_deployed(c, o.bn_adaptation, dataset, torch::Device(selected_device()));
    std::vector<InputRef> inputs = {model_ref, matching_ref, library_ref};
    if (adaptation["layers"].get<int64_t>() > 0) inputs.push_back(input_ref(dataset));
    nlohmann::json config = {{"relative_energy", m.relative_energy}, {"bias_compensation", compensate},
                             {"bn_adaptation", adaptation}, {"settings", program.config()}};
    if (parallel::is_root()) models::save_checkpoint(out, c, program.provenance(config, inputs));
  });
}
