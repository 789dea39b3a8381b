// axnn-assign: one multiplier per layer under an energy (or loss) budget, solved exactly.
#include <spdlog/spdlog.h>

#include "cli/program.h"
#include "method/assign.h"
#include "method/step_configs.h"

int main(int argc, char** argv) {
  using namespace axnn;
  cli::Program program("axnn-assign",
                       "Choose one multiplier per layer from a matching artifact's candidates (predicted error std per "
                       "layer x multiplier) to minimise the predicted loss increase with E_rel <= budget (objective loss), "
                       "or E_rel with the predicted loss increase <= budget (objective energy). The cost is "
                       "0.5 * Tr(H_y) * (std * output_scale)^2 from a sensitivity artifact (criterion hessian) or "
                       "(std / max_std)^2 from the noise step's sigma_l (criterion sigma). Solved exactly (dynamic "
                       "programming over Pareto fronts). Writes a matching artifact, so axnn-deploy works unchanged; it "
                       "holds the predicted Pareto front too (config schema: workflows/schemas/assign.schema.json).");
  program.add_config_option(method::assign_spec());
  std::string matching_path, sensitivity_path, out;
  program.app().add_option("--matching", matching_path, "Matching artifact (axnn-match) with the candidate matrix")->required()->check(CLI::ExistingFile);
  program.app().add_option("-s,--sensitivity", sensitivity_path, "Sensitivity artifact (criterion hessian)")->check(CLI::ExistingFile);
  program.app().add_option("-o,--output", out, "Matching artifact to write")->required();
  return program.run(argc, argv, [&] {
    const auto o = method::AssignSettings::from(program.config());
    const std::string criterion = method::criteria().name_of(o.criterion);
    const method::Matching m = method::read_matching(matching_path);
    std::vector<InputRef> inputs = {input_ref(matching_path)};
    const std::optional<method::Sensitivity> s = method::sensitivity_for(o.criterion, sensitivity_path, m);
    if (s) inputs.push_back(input_ref(sensitivity_path));
    const method::AssignProblem p = method::make_problem(m, o.criterion, s ? &*s : nullptr);
    const method::Assignment a = method::solve(p, o.objective, o.budget);
    const bool min_cost = o.objective == method::Objective::MinCost;
    method::Matching out_m = method::apply(m, a, fmt::format("budget ({}, {} <= {})", criterion, min_cost ? "E_rel" : "loss", o.budget));
    out_m.assignment = method::AssignmentRecord{o.criterion, o.objective, o.budget, a.cost,
                                                "exact: dynamic programming over Pareto fronts", a.front.size(), nullptr}
                           .to_json();
    out_m.front = a.front;
    for (const auto& l : out_m.layers) spdlog::info("{}: {}", l.name, out_m.multipliers[static_cast<size_t>(l.chosen)]);
    spdlog::info("E_rel {:.4f}, predicted cost {:.6g} ({} Pareto-optimal assignments)", out_m.relative_energy, a.cost, a.front.size());
    method::write_matching(out, out_m, program.provenance(program.config(), inputs));
  });
}
