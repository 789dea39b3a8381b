// axnn-eval: accuracy, loss and per-class accuracy of a checkpoint on one split.
#include <cmath>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/checks.h"
#include "cli/program.h"
#include "core/error.h"
#include "core/files.h"
#include "nn/approx_layer.h"
#include "tensor/device.h"
#include "train/run.h"

int main(int argc, char** argv) {
  using namespace axnn;
  cli::Program program("axnn-eval",
                       "Evaluate a checkpoint on a dataset split: top-1 accuracy (top-5 with more than 10 classes), "
                       "cross-entropy loss and per-class accuracy, in the layers' stored modes or a mode forced for "
                       "every layer. Writes a metrics artifact and/or a JSON file.");
  add_device_option(program);
  std::string dataset, model, out, json_out, split = "test", mode;
  int64_t batch_size = 256;
  program.app().add_option("-d,--dataset", dataset, "Dataset artifact")->required()->check(CLI::ExistingFile);
  program.app().add_option("-m,--model", model, "Checkpoint")->required()->check(CLI::ExistingFile);
  program.app().add_option("--split", split, data::splits().listed())->capture_default_str()->check(CLI::IsMember(data::splits().names()));
  program.app().add_option("--mode", mode, "Force every approximate layer into " + nn::modes().listed() + " (default: stored modes)")
      ->check(CLI::IsMember(nn::modes().names()));
  program.app().add_option("--batch-size", batch_size, "Images per batch")->capture_default_str()->check(cli::number_range(1, 1 << 20));
  program.app().add_option("-o,--output", out, "Metrics artifact to write");
  program.app().add_option("--json", json_out, "JSON file to write (the same numbers)");
  return program.run(argc, argv, [&] {
    if (out.empty() && json_out.empty()) throw UsageError("give --output and/or --json");
    data::Dataset d = data::read_dataset(dataset);
    models::Checkpoint c = models::load_checkpoint(model);
    train::check_fits(c, d, dataset);
    if (!mode.empty())
      for (auto& [name, layer] : nn::approx_layers(*c.model)) layer->set_mode(nn::parse_mode(mode));
    const torch::Device device(selected_device());
    c.model->to(device);
    const train::Metrics m = train::evaluate_split(*c.model, d, train::split(d, split), batch_size, device);
    if (!std::isfinite(m.loss))
      throw Error(fmt::format("{}: the {} loss is {} (the model's outputs are not finite)", model, split, m.loss));
    spdlog::info("{} accuracy {:.2f}% (loss {:.4f}, {} images)", split, m.accuracy, m.loss, m.samples);
    nlohmann::json config = {{"split", split}, {"mode", mode.empty() ? "stored" : mode}, {"batch_size", batch_size}};
    nlohmann::json result = train::to_json(m, d.classes);
    result["split"] = split;
    result["mode"] = config["mode"];
    result["model"] = model;
    const auto provenance = program.provenance(config, {input_ref(dataset), input_ref(model)});
    if (!out.empty()) train::write_metrics(out, m, d.classes, split, provenance);
    if (!json_out.empty()) write_file_atomic(json_out, result.dump(2) + "\n");
  });
}
