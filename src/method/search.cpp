#include "method/search.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.h"
#include "core/progress.h"
#include "method/deploy.h"
#include "models/checkpoint.h"
#include "train/run.h"

namespace axnn::method {
namespace {

// The candidate's val metrics after BatchNorm adaptation (a no-op without BatchNorm).
train::Metrics evaluate_val(models::Checkpoint& c, const data::Dataset& d, const std::string& dataset_path,
                            const SearchOptions& o, const torch::Device& device) {
  c.model->to(device);
  adapt_batchnorm(*c.model, d, dataset_path, o.bn_adaptation, device);
  train::Metrics m = train::evaluate_split(*c.model, d, d.val, o.batch_size, device);
  c.model->to(torch::kCPU);
  return m;
}

// Is candidate a better than b by the selection rule (ties: lower energy)?
bool better(const Evaluated& a, const Evaluated& b, bool by_accuracy) {
  const double sa = by_accuracy ? -a.val.accuracy : a.val.loss, sb = by_accuracy ? -b.val.accuracy : b.val.loss;
  return sa != sb ? sa < sb : a.assignment.energy < b.assignment.energy;
}

}  // namespace

SearchResult search(const Matching& matching, const AssignProblem& problem, const SearchOptions& options,
                    const std::string& model_path, const std::string& model_hash, const mult::Library& library,
                    const std::string& library_hash, const data::Dataset& dataset, const std::string& dataset_path,
                    const std::string& device_name) {
  if (dataset.val.n == 0)
    throw InputError(fmt::format("{}: no validation images; the search evaluates on the val split (make the dataset "
                                 "with a val_fraction > 0), never on test",
                                 dataset_path));
  const torch::Device device(device_name);
  SearchResult r;
  models::Checkpoint reference = models::load_checkpoint(model_path);
  train::check_fits(reference, dataset, dataset_path);
  SearchOptions as_given = options;  // the reference keeps its statistics
  as_given.bn_adaptation.images = 0;
  r.reference = evaluate_val(reference, dataset, dataset_path, as_given, device);
  spdlog::info("reference (the model as given): val loss {:.4f}, accuracy {:.2f}%", r.reference.loss, r.reference.accuracy);
  const std::vector<Assignment> candidates = options.spread ? spread_under_budget(problem, options.budget, options.candidates)
                                                            : best_under_budget(problem, options.budget, options.candidates);
  Progress progress("candidates", static_cast<int64_t>(candidates.size()));
  for (size_t i = 0; i < candidates.size(); ++i) {
    models::Checkpoint c = models::load_checkpoint(model_path);
    deploy(c, model_hash, apply(matching, candidates[i], "search candidate"), library, library_hash, options.bias_compensation);
    Evaluated e{candidates[i], evaluate_val(c, dataset, dataset_path, options, device)};
    spdlog::info("candidate {}: E_rel {:.4f}, predicted cost {:.4g}, val loss {:.4f} (+{:.4f}), accuracy {:.2f}%", i + 1,
                 e.assignment.energy, e.assignment.cost, e.val.loss, e.val.loss - r.reference.loss, e.val.accuracy);
    r.candidates.push_back(std::move(e));
    if (better(r.candidates.back(), r.candidates[r.selected], options.select_by_accuracy)) r.selected = i;
    progress.advance(1);
  }
  progress.finish();
  return r;
}

nlohmann::json search_record(const SearchResult& r, const Matching& matching, const SearchOptions& options) {
  nlohmann::json evaluated = nlohmann::json::array();
  for (const Evaluated& e : r.candidates) {
    std::vector<std::string> names;
    for (int c : e.assignment.choice) names.push_back(matching.multipliers[static_cast<size_t>(c)]);
    evaluated.push_back({{"relative_energy", e.assignment.energy},
                         {"predicted_cost", e.assignment.cost},
                         {"val_loss", e.val.loss},
                         {"val_accuracy", e.val.accuracy},
                         {"val_loss_increase", e.val.loss - r.reference.loss},
                         {"multipliers", names}});
  }
  return {{"split", "val"},
          {"candidates", options.candidates},
          {"candidates_from", options.spread ? "front" : "cheapest"},
          {"select_by", options.select_by_accuracy ? "val_accuracy" : "val_loss"},
          {"bias_compensation", options.bias_compensation},
          {"bn_adaptation_images", options.bn_adaptation.images},
          {"reference", {{"val_loss", r.reference.loss}, {"val_accuracy", r.reference.accuracy}}},
          {"evaluated", evaluated},
          {"selected", r.selected}};
}

SearchOptions SearchOptions::from(const nlohmann::json& cfg, uint64_t seed) {
  SearchOptions o;
  o.criterion = criteria().parse(cfg.at("criterion"), "criterion");
  o.budget = cfg.at("budget");
  o.candidates = cfg.at("candidates");
  o.spread = cfg.at("candidates_from") == "front";
  o.select_by_accuracy = cfg.at("select_by") == "val_accuracy";
  o.bias_compensation = cfg.at("bias_compensation");
  o.bn_adaptation = BnAdaptationOptions::from(cfg.at("bn_adaptation"), seed);
  o.batch_size = cfg.at("batch_size");
  return o;
}

}  // namespace axnn::method
