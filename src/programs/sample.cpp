// axnn-sample: records each approximate layer's integer operands on a seeded sample of images.
#include "cli/program.h"
#include "method/sampling.h"
#include "method/step_configs.h"
#include "train/run.h"

int main(int argc, char** argv) {
  using namespace axnn;
  cli::Program program("axnn-sample",
                       "Run a seeded sample of images through a checkpoint in eval mode with exact integer products and "
                       "record, per approximate layer, fan_in, opcount, the weight and activation histograms, a seeded "
                       "subsample of activation rows (one receptive field each, padding as 0), the weights, the std of "
                       "the integer outputs and the layer's sigma. Writes a refs artifact for axnn-match "
                       "(config schema: workflows/schemas/sample.schema.json).");
  program.add_seed_option();
  program.add_config_option(method::sample_spec());
  std::string dataset, model, out;
  program.app().add_option("-d,--dataset", dataset, "Dataset artifact")->required()->check(CLI::ExistingFile);
  program.app().add_option("-m,--model", model, "Checkpoint (usually the noise step's, for its sigma_l)")->required()->check(CLI::ExistingFile);
  program.app().add_option("-o,--output", out, "Refs artifact to write")->required();
  return program.run(argc, argv, [&] {
    torch::manual_seed(program.seed());
    data::Dataset d = data::read_dataset(dataset);
    models::Checkpoint c = models::load_checkpoint(model);
    train::check_fits(c, d, dataset);
    const InputRef model_ref = input_ref(model);
    method::Refs refs = method::sample_refs(c, d, method::SampleSettings::from(program.config()), program.seed());
    refs.model_hash = model_ref.hash;
    method::write_refs(out, refs, program.provenance(program.config(), {input_ref(dataset), model_ref}));
  });
}
