// axnn-train: baseline FP32 training of a zoo model on a dataset artifact, or quantization-aware
// training (every approximate layer in quant mode) starting from a checkpoint.
#include <spdlog/spdlog.h>

#include "cli/program.h"
#include "config/spec.h"
#include "core/error.h"
#include "data/dataset.h"
#include "models/checkpoint.h"
#include "nn/approx_layer.h"
#include "tensor/device.h"
#include "train/trainer.h"

int main(int argc, char** argv) {
  using namespace axnn;
  cli::Program program("axnn-train",
                       "Train a model: from scratch (--arch, baseline FP32) or from a checkpoint (--from), with every "
                       "approximate layer in --mode (quant for quantization-aware training). Settings come from a "
                       "YAML config (schema: workflows/schemas/trainer.schema.json). Writes a model artifact with "
                       "the per-epoch metrics; the best validation epoch's weights are kept.");
  program.add_seed_option();
  add_device_option(program);
  std::string dataset, arch, from, out, config_path, mode = "baseline";
  program.app().add_option("-d,--dataset", dataset, "Dataset artifact")->required()->check(CLI::ExistingFile);
  program.app().add_option("-o,--output", out, "Model artifact to write")->required();
  auto* a = program.app().add_option("--arch", arch, "Architecture to build (lenet5, resnet8, ...)");
  program.app().add_option("--from", from, "Checkpoint to start from")->check(CLI::ExistingFile)->excludes(a);
  program.app().add_option("--mode", mode, "Mode of every approximate layer: baseline, quant, noise, approx")->capture_default_str();
  program.app().add_option("-c,--config", config_path, "Trainer config (YAML)")->check(CLI::ExistingFile);
  return program.run(argc, argv, [&] {
    if (arch.empty() == from.empty()) throw UsageError("give exactly one of --arch and --from");
    torch::manual_seed(program.seed());
    const torch::Device device(selected_device());
    nlohmann::json raw = config_path.empty() ? nlohmann::json::object() : config::load_yaml_file(config_path);
    nlohmann::json cfg = config::resolve(train::trainer_spec(), raw, config_path.empty() ? "(defaults)" : config_path);
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
    if (c.options.in_channels != d.train.c || c.options.image_size != d.train.h)
      throw InputError("the checkpoint's input size does not match the dataset's images");
    for (auto& [name, layer] : nn::approx_layers(*c.model)) layer->set_mode(nn::parse_mode(mode));
    c.model->to(device);
    train::LoaderOptions lo;
    lo.batch_size = cfg["batch_size"];
    lo.augment = cfg["augment"];
    lo.seed = program.seed();
    train::BatchLoader train_loader(d.train, d.mean, d.std, lo);
    train::LoaderOptions vo = lo;
    vo.shuffle = vo.augment = false;
    train::BatchLoader val_loader(d.val, d.mean, d.std, vo), test_loader(d.test, d.mean, d.std, vo);
    const int64_t classes = static_cast<int64_t>(d.classes.size());
    c.history = train::fit(*c.model, cfg, train_loader, d.val.n > 0 ? &val_loader : nullptr, classes, device);
    train::Metrics t = train::evaluate(*c.model, test_loader, classes, device);
    spdlog::info("test accuracy {:.2f}% (loss {:.4f})", t.accuracy, t.loss);
    c.model->to(torch::kCPU);
    nlohmann::json config = {{"trainer", cfg}, {"mode", mode}, {"arch", c.arch}, {"test_accuracy", t.accuracy}};
    models::save_checkpoint(out, c, program.provenance(config, inputs));
  });
}
