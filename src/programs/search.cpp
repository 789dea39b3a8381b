// axnn-search: the best predicted assignments under an energy budget, evaluated for real on the
// validation split; the best one is kept.
#include <spdlog/spdlog.h>

#include "cli/program.h"
#include "method/search.h"
#include "method/step_configs.h"
#include "multipliers/library_io.h"
#include "tensor/device.h"

int main(int argc, char** argv) {
  using namespace axnn;
  cli::Program program("axnn-search",
                       "Search with accuracy in the loop: from a matching's candidates, K Pareto-optimal assignments "
                       "(one multiplier per layer) with E_rel <= budget, as axnn-assign ranks them (spread across the "
                       "front, or the K of lowest predicted cost: candidates_from), are each deployed into the model, "
                       "their BatchNorm statistics adapted to the tables as axnn-deploy does, and evaluated on the "
                       "dataset's validation split with the table kernels (the test split is never read). Keeps the best "
                       "by validation loss (or accuracy) and writes it as a matching artifact, so axnn-deploy works "
                       "unchanged; its `assignment` attribute holds every candidate's predicted cost and evaluated loss "
                       "and accuracy, next to the model as given (its own statistics) as the reference (config schema: "
                       "workflows/schemas/search.schema.json).");
  program.add_seed_option();
  program.add_config_option(method::search_spec());
  add_device_option(program);
  std::string matching_path, sensitivity_path, model, library_path, dataset, out;
  program.app().add_option("--matching", matching_path, "Matching artifact (axnn-match) with the candidate matrix")->required()->check(CLI::ExistingFile);
  program.app().add_option("-s,--sensitivity", sensitivity_path, "Sensitivity artifact (criterion hessian)")->check(CLI::ExistingFile);
  program.app().add_option("-m,--model", model, "Checkpoint the matching's operands were sampled from")->required()->check(CLI::ExistingFile);
  program.app().add_option("-l,--library", library_path, "The library the matching chose from")->required()->check(CLI::ExistingFile);
  program.app().add_option("-d,--dataset", dataset, "Dataset artifact (its val split is used)")->required()->check(CLI::ExistingFile);
  program.app().add_option("-o,--output", out, "Matching artifact to write")->required();
  return program.run(argc, argv, [&] {
    const auto o = method::SearchOptions::from(program.config(), program.seed());
    const std::string criterion = method::criteria().name_of(o.criterion);
    const InputRef matching_ref = input_ref(matching_path), model_ref = input_ref(model), library_ref = input_ref(library_path),
                   dataset_ref = input_ref(dataset);
    std::vector<InputRef> inputs = {matching_ref, model_ref, library_ref, dataset_ref};
    const method::Matching m = method::read_matching(matching_path);
    const std::optional<method::Sensitivity> s = method::sensitivity_for(o.criterion, sensitivity_path, m);
    if (s) inputs.push_back(input_ref(sensitivity_path));
    const method::AssignProblem p = method::make_problem(m, o.criterion, s ? &*s : nullptr);
    const method::SearchResult r = method::search(m, p, o, model, model_ref.hash, mult::read_library(library_path), library_ref.hash,
                                                  data::read_dataset(dataset), dataset, selected_device());
    const method::Evaluated& best = r.candidates[r.selected];
    method::Matching out_m = method::apply(m, best.assignment, fmt::format("search ({}, E_rel <= {}, best of {} by {})", criterion,
                                                                          o.budget, r.candidates.size(), o.select_by_accuracy ? "val_accuracy" : "val_loss"));
    out_m.assignment = method::AssignmentRecord{o.criterion, method::Objective::MinCost, o.budget, best.assignment.cost,
                                                "exact Pareto front, then evaluated on val", best.assignment.front.size(),
                                                method::search_record(r, m, o)}
                           .to_json();
    out_m.front = best.assignment.front;
    spdlog::info("kept candidate {} of {}: E_rel {:.4f}, val loss {:.4f}, accuracy {:.2f}%", r.selected + 1, r.candidates.size(),
                 best.assignment.energy, best.val.loss, best.val.accuracy);
    method::write_matching(out, out_m, program.provenance(program.config(), inputs));
  });
}
