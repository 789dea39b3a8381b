// axnn-retrain: trains a deployed network through its tables (approx mode).
#include "cli/program.h"
#include "parallel/world.h"
#include "tensor/device.h"
#include "train/run.h"

int main(int argc, char** argv) {
  using namespace axnn;
  cli::Program program("axnn-retrain",
                       "Retrain a deployed checkpoint in its stored layer modes (approx: forward through each layer's "
                       "table with int32 accumulation, backward straight through the exact op). With epochs: 0 it only "
                       "evaluates. Settings: the trainer config plus gradient (workflows/schemas/retrain.schema.json).");
  program.add_seed_option();
  program.add_config_option(train::retrain_spec());
  add_device_option(program);
  parallel::add_parallel_option(program);
  std::string dataset, from, out;
  program.app().add_option("-d,--dataset", dataset, "Dataset artifact")->required()->check(CLI::ExistingFile);
  program.app().add_option("-m,--model", from, "Deployed checkpoint (axnn-deploy)")->required()->check(CLI::ExistingFile);
  program.app().add_option("-o,--output", out, "Model artifact to write")->required();
  return program.run(argc, argv, [&] {
    torch::manual_seed(program.seed());
    data::Dataset d = data::read_dataset(dataset);
    models::Checkpoint c = models::load_checkpoint(from);
    train::check_fits(c, d, dataset);
    train::TrainResult r = train::train_and_test(c, d, train::TrainerSettings::from(program.config()), program.seed(), torch::Device(selected_device()));
    c.history = r.history;
    nlohmann::json config = {{"trainer", program.config()}, {"test_accuracy", r.test.accuracy}};
    if (parallel::is_root()) models::save_checkpoint(out, c, program.provenance(config, {input_ref(dataset), input_ref(from)}));
  });
}
