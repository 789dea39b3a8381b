// Search with accuracy in the loop: K Pareto-optimal assignments under an energy budget (axnn-assign's
// front; spread across it, or the K of lowest predicted cost) are each deployed into the model and evaluated on the
// validation split with the table kernels; the best evaluated one is kept. The test split is not read.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "method/assign.h"
#include "method/bn_adaptation.h"
#include "method/matching.h"
#include "multipliers/multiplier.h"
#include "train/metrics.h"

namespace axnn::method {

struct SearchOptions {
  Criterion criterion = Criterion::Hessian;
  double budget = 0.5;
  int candidates = 8;
  bool spread = true;  // candidates across the front within the budget; else the K of lowest predicted cost
  bool select_by_accuracy = false;  // else the lowest validation loss
  bool bias_compensation = false;
  BnAdaptationOptions bn_adaptation;  // applied to every candidate (not the reference) before its val pass
  int64_t batch_size = 256;
  // From a config resolved against search_spec(); `seed` drives the BatchNorm adaptation's images.
  static SearchOptions from(const nlohmann::json& resolved, uint64_t seed);
};

struct Evaluated {
  Assignment assignment;
  train::Metrics val;
};

struct SearchResult {
  train::Metrics reference;  // the model as given (its stored modes) on the validation split
  std::vector<Evaluated> candidates;  // best predicted first
  size_t selected = 0;
};

// Evaluates the candidates of `problem` (made from `matching`) in the checkpoint at `model_path`
// (whose content hash is `model_hash`; the one the matching was sampled from). InputError when the
// dataset has no validation images.
SearchResult search(const Matching& matching, const AssignProblem& problem, const SearchOptions& options,
                    const std::string& model_path, const std::string& model_hash, const mult::Library& library,
                    const std::string& library_hash, const data::Dataset& dataset, const std::string& dataset_path,
                    const std::string& device);

// The record of a search for the matching's `assignment` attribute: settings, the reference, every
// candidate's E_rel, predicted cost, validation loss and accuracy, loss increase and multipliers.
nlohmann::json search_record(const SearchResult& r, const Matching& matching, const SearchOptions& options);

}  // namespace axnn::method
