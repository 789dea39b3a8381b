// axnn-train: baseline FP32 training of a zoo model on a dataset artifact, or quantization-aware
// training (every approximate layer in quant mode) starting from a checkpoint.
#include "cli/program.h"
#include "core/error.h"
#include "nn/approx_layer.h"
#include "parallel/world.h"
#include "tensor/device.h"
#include "train/run.h"

int main(int argc, char** argv) {
  using namespace axnn;
  cli::Program program("axnn-train",
                       "Train a model: from scratch (--arch, baseline FP32) or from a checkpoint (--from), with every "
                       "approximate layer in --mode (quant for quantization-aware training). Settings come from a "
                       "YAML config (schema: workflows/schemas/trainer.schema.json; quantize.schema.json with --mode "
                       "quant, which adds calibration_epochs). Writes a model artifact with "
                       "the per-epoch metrics; the best validation epoch's weights are kept.");
  program.add_seed_option();
  std::string dataset, arch, from, out, mode = "baseline";
  program.add_config_option([&]() -> const config::Spec& {
    return mode == "quant" ? train::quantize_spec() : train::trainer_spec();
  });
  add_device_option(program);
  parallel::add_parallel_option(program);
  program.app().add_option("-d,--dataset", dataset, "Dataset artifact")->required()->check(CLI::ExistingFile);
  program.app().add_option("-o,--output", out, "Model artifact to write")->required();
  auto* a = program.app().add_option("--arch", arch, "Architecture to build: " + models::architectures().listed());
  program.app().add_option("--from", from, "Checkpoint to start from")->check(CLI::ExistingFile)->excludes(a);
  program.app().add_option("--mode", mode, "Mode of every approximate layer: " + nn::modes().listed())->capture_default_str();
  return program.run(argc, argv, [&] {
    if (arch.empty() == from.empty()) throw UsageError("give exactly one of --arch and --from");
    torch::manual_seed(program.seed());
    const nlohmann::json& cfg = program.config();
    data::Dataset d = data::read_dataset(dataset);
    std::vector<InputRef> inputs = {input_ref(dataset)};
    models::Checkpoint c;
    if (!from.empty()) {
      c = models::load_checkpoint(from);
      inputs.push_back(input_ref(from));
    } else {
      models::ModelOptions o;
      o.in_channels = d.train.c;
      o.image_size = d.train.h;
      o.num_classes = static_cast<int64_t>(d.classes.size());
      c = {arch, o, models::build_model(arch, o)};
    }
    train::check_fits(c, d, dataset);
    for (auto& [name, layer] : nn::approx_layers(*c.model)) layer->set_mode(nn::parse_mode(mode));
    train::TrainResult r = train::train_and_test(c, d, train::TrainerSettings::from(cfg), program.seed(), torch::Device(selected_device()));
    c.history = r.history;
    nlohmann::json config = {{"trainer", cfg}, {"mode", mode}, {"arch", c.arch}, {"test_accuracy", r.test.accuracy}};
    if (parallel::is_root()) models::save_checkpoint(out, c, program.provenance(config, inputs));
  });
}
