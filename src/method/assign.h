// Energy-budgeted assignment: one multiplier per layer minimising a predicted cost (loss increase)
// under an energy budget, or the energy under a cost budget — a multiple-choice knapsack, solved
// exactly by dynamic programming over Pareto fronts of (energy, cost) partial assignments.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/choice.h"
#include "method/matching.h"
#include "method/sensitivity.h"

namespace axnn::method {

// Per layer, per candidate: its energy contribution (ops share * relative power) and cost.
struct AssignProblem {
  std::vector<std::vector<double>> energy, cost;
};

// MinCost ("loss"): the lowest predicted cost with energy <= budget; MinEnergy ("energy"): the lowest
// energy with cost <= budget.
enum class Objective { MinCost, MinEnergy };
const config::Choice<Objective>& objectives();

// The predicted cost of a candidate: hessian (needs a sensitivity artifact) or sigma (the noise step's).
enum class Criterion { Hessian, Sigma };
const config::Choice<Criterion>& criteria();

// axnn-assign's settings (assign_spec), parsed once.
struct AssignSettings {
  Criterion criterion = Criterion::Hessian;
  Objective objective = Objective::MinCost;
  double budget = 0.5;
  static AssignSettings from(const nlohmann::json& resolved);
};

struct Assignment {
  std::vector<int> choice;
  double energy = 0, cost = 0;
  std::vector<std::pair<double, double>> front;  // every Pareto-optimal (energy, cost) of the full network
};

// Exact: the Pareto front of layer-by-layer partial sums keeps every assignment that could be
// optimal for some budget. Ties in the objective go to the smaller other quantity. Throws
// ConfigError when no assignment meets the budget (naming the reachable minimum).
Assignment solve(const AssignProblem& p, Objective objective, double budget);

// The k Pareto-optimal assignments with E_rel <= budget of lowest predicted cost (fewer when the front
// has fewer), best first: the candidates an accuracy-in-the-loop search evaluates. ConfigError when
// none fits the budget.
std::vector<Assignment> best_under_budget(const AssignProblem& p, double budget, int k);

// k Pareto-optimal assignments with E_rel <= budget spread across the front: evenly by rank along the
// front's part within the budget, from its lowest predicted cost (always first) to its lowest energy
// (all of them when there are at most k). ConfigError when none fits the budget.
std::vector<Assignment> spread_under_budget(const AssignProblem& p, double budget, int k);

// How a matching's choice was made by axnn-assign or axnn-search: the matching artifact's
// `assignment` attribute (JSON), declared by assignment_record_spec() and checked on write and read.
struct AssignmentRecord {
  Criterion criterion = Criterion::Hessian;
  Objective objective = Objective::MinCost;
  double budget = 0;
  double predicted_cost = 0;
  std::string solver;
  size_t front_size = 0;
  nlohmann::json search;  // axnn-search's candidates and choice (search_record); null for axnn-assign

  nlohmann::json to_json() const;
  // Throws InputError "assignment: <key>: ..." for a record that breaks the declaration.
  static AssignmentRecord from_json(const nlohmann::json& j);
};
const config::Spec& assignment_record_spec();

// The problem a matching and a criterion define: hessian (needs `sensitivity`, layer names must
// match) or sigma (the matching's max_std = std(y) * |sigma_l|). Costs of infinity exclude a candidate.
AssignProblem make_problem(const Matching& m, Criterion criterion, const Sensitivity* sensitivity);

// The sensitivity a criterion needs: read from `path` for hessian (UsageError when no path is
// given; a warning when it was estimated on another checkpoint than the matching's), none for sigma.
std::optional<Sensitivity> sensitivity_for(Criterion criterion, const std::string& path, const Matching& m);

// The matching with each layer's choice replaced, E_rel recomputed and the strategy recorded.
Matching apply(const Matching& m, const Assignment& a, const std::string& strategy);

}  // namespace axnn::method
