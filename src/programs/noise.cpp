// axnn-noise: learns each layer's noise tolerance sigma_l (AGN) from a quantized checkpoint.
#include "cli/program.h"
#include "method/noise.h"
#include "method/step_configs.h"
#include "parallel/world.h"
#include "tensor/device.h"
#include "train/run.h"

int main(int argc, char** argv) {
  using namespace axnn;
  cli::Program program("axnn-noise",
                       "Learn each layer's noise tolerance: every approximate layer gets Gaussian noise of relative std "
                       "sigma_l after its quantized product, and training maximises the tolerated noise next to the "
                       "accuracy: loss = CE - lambda * sum_l (ops_l/ops_total) * min(|sigma_l|, sigma_max). Starts from "
                       "a quantized checkpoint; writes a checkpoint holding each layer's learned sigma_l "
                       "(config schema: workflows/schemas/noise.schema.json).");
  program.add_seed_option();
  program.add_config_option(method::noise_spec());
  add_device_option(program);
  parallel::add_parallel_option(program);
  std::string dataset, from, out;
  std::vector<std::string> modules = {"all"};
  program.app().add_option("-d,--dataset", dataset, "Dataset artifact")->required()->check(CLI::ExistingFile);
  program.app().add_option("-m,--model", from, "Quantized checkpoint (axnn-train --mode quant)")->required()->check(CLI::ExistingFile);
  program.app().add_option("-o,--output", out, "Model artifact to write")->required();
  program.app().add_option("--modules", modules, "Layers to approximate: all, conv, linear, depthwise or layer names; "
                           "the others get sigma 0 and stay exact")->capture_default_str()->delimiter(',');
  return program.run(argc, argv, [&] {
    torch::manual_seed(program.seed());
    const auto o = method::NoiseSettings::from(program.config());
    data::Dataset d = data::read_dataset(dataset);
    models::Checkpoint c = models::load_checkpoint(from);
    train::check_fits(c, d, dataset);
    const std::vector<std::string> selected = method::select_layers(*c.model, modules);
    method::start_noise(c, o.sigma_init, selected);
    c.model->to(torch::Device(selected_device()));
    train::ExtraLoss extra = method::noise_term(c, o.lambda, o.sigma_max);
    train::TrainResult r = train::train_and_test(c, d, o.trainer, program.seed(), torch::Device(selected_device()), extra);
    c.history = r.history;
    nlohmann::json config = {{"noise", program.config()}, {"modules", modules}, {"layers", selected}, {"test_accuracy", r.test.accuracy}};
    if (parallel::is_root()) models::save_checkpoint(out, c, program.provenance(config, {input_ref(dataset), input_ref(from)}));
  });
}
