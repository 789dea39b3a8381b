// axnn-match: the lowest-power multiplier per layer whose predicted error fits the layer's tolerance.
#include <spdlog/spdlog.h>

#include "cli/program.h"
#include "method/matching.h"
#include "method/step_configs.h"
#include "multipliers/library_io.h"

int main(int argc, char** argv) {
  using namespace axnn;
  cli::Program program("axnn-match",
                       "For every layer of a refs artifact and every multiplier of a library, predict the layer's output "
                       "error std from the multiplier's error map and the sampled operand distributions (512 seeded "
                       "populations, mixture of their moments, times fan_in); the tolerance is max_std = "
                       "std(integer outputs) * |sigma_l|; choose the lowest-power multiplier within it. Writes a matching "
                       "artifact with every candidate's prediction, the choice per layer and the relative energy "
                       "(config schema: workflows/schemas/match.schema.json).");
  program.add_seed_option();
  program.add_config_option(method::match_spec());
  std::string refs_path, library_path, out;
  program.app().add_option("-r,--refs", refs_path, "Refs artifact (axnn-sample)")->required()->check(CLI::ExistingFile);
  program.app().add_option("-l,--library", library_path, "Multipliers artifact (axnn-mult build)")->required()->check(CLI::ExistingFile);
  program.app().add_option("-o,--output", out, "Matching artifact to write")->required();
  return program.run(argc, argv, [&] {
    const method::Refs refs = method::read_refs(refs_path);
    const mult::Library library = mult::read_library(library_path);
    const InputRef library_ref = input_ref(library_path);
    const auto o = method::MatchOptions::from(program.config(), program.seed());
    method::Matching m = method::match(refs, library, o);
    m.library_hash = library_ref.hash;
    for (const auto& l : m.layers) {
      const auto c = static_cast<size_t>(l.chosen);
      spdlog::info("{}: {} (agn std {:.2f}, sampled std {:.2f} ± {:.2f}, mean error {:.2f}; max_std {:.2f})", l.name,
                   m.multipliers[c], l.agn_std[c], l.sampled_std[c], l.sampled_std_error[c], l.sampled_mean[c], l.max_std);
    }
    for (const auto& [name, e] : m.estimators.items())
      spdlog::info("estimator {}: relative energy {:.4f}, {} layer(s) over their tolerance", name,
                   e["relative_energy"].get<double>(), e["violations"].get<int>());
    spdlog::info("chosen by {}: relative energy {:.4f}", m.estimator, m.relative_energy);
    method::write_matching(out, m, program.provenance(program.config(), {input_ref(refs_path), library_ref}));
  });
}
