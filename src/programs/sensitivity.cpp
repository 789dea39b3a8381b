// axnn-sensitivity: Hessian traces per approximate layer (weights and output), Hutchinson's method.
#include <spdlog/spdlog.h>

#include "cli/program.h"
#include "method/hessian.h"
#include "method/step_configs.h"
#include "tensor/device.h"
#include "train/run.h"

int main(int argc, char** argv) {
  using namespace axnn;
  cli::Program program("axnn-sensitivity",
                       "Estimate, per approximate layer of a quantized checkpoint, the trace of the loss Hessian with "
                       "respect to the layer's weights and to its output (Hutchinson: Rademacher vectors, Hessian-vector "
                       "products by double backward, running mean until the relative change of the total falls below "
                       "the tolerance or the iteration cap). The output trace turns a multiplier's predicted error std "
                       "into an expected loss increase 0.5 * Tr(H_y) * (std * output_scale)^2 (axnn-assign). Writes a "
                       "sensitivity artifact (config schema: workflows/schemas/sensitivity.schema.json).");
  program.add_seed_option();
  program.add_config_option(method::sensitivity_spec());
  add_device_option(program);
  std::string dataset, model, out;
  program.app().add_option("-d,--dataset", dataset, "Dataset artifact")->required()->check(CLI::ExistingFile);
  program.app().add_option("-m,--model", model, "Quantized checkpoint")->required()->check(CLI::ExistingFile);
  program.app().add_option("-o,--output", out, "Sensitivity artifact to write")->required();
  return program.run(argc, argv, [&] {
    torch::manual_seed(program.seed());
    data::Dataset d = data::read_dataset(dataset);
    models::Checkpoint c = models::load_checkpoint(model);
    train::check_fits(c, d, dataset);
    const InputRef model_ref = input_ref(model);
    method::Sensitivity s = method::hessian_sensitivity(c, d, method::SensitivitySettings::from(program.config()), program.seed(), torch::Device(selected_device()));
    s.model_hash = model_ref.hash;
    for (const auto& l : s.layers)
      spdlog::info("{}: Tr(H_w) {:.4g} ± {:.2g}, Tr(H_y) {:.4g} ± {:.2g}", l.name, l.weight_trace, l.weight_trace_se,
                   l.output_trace, l.output_trace_se);
    method::write_sensitivity(out, s, program.provenance(program.config(), {input_ref(dataset), model_ref}));
  });
}
