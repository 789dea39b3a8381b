// Energy-budgeted assignment: one multiplier per layer minimising a predicted cost (loss increase)
// under an energy budget, or the energy under a cost budget — a multiple-choice knapsack, solved
// exactly by dynamic programming over Pareto fronts of (energy, cost) partial assignments.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "method/matching.h"
#include "method/sensitivity.h"

namespace axnn::method {

// Per layer, per candidate: its energy contribution (ops share * relative power) and cost.
struct AssignProblem {
  std::vector<std::vector<double>> energy, cost;
};

enum class Objective { MinCost, MinEnergy };  // MinCost: energy <= budget; MinEnergy: cost <= budget

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

// The problem a matching and a criterion define: "hessian" (needs `sensitivity`, layer names must
// match) or "sigma" (the matching's max_std = std(y) * |sigma_l|). Costs of infinity exclude a candidate.
AssignProblem make_problem(const Matching& m, const std::string& criterion, const Sensitivity* sensitivity);

// The sensitivity a criterion needs: read from `path` for "hessian" (UsageError when no path is
// given; a warning when it was estimated on another checkpoint than the matching's), none for "sigma".
std::optional<Sensitivity> sensitivity_for(const std::string& criterion, const std::string& path, const Matching& m);

// The matching with each layer's choice replaced, E_rel recomputed and the strategy recorded.
Matching apply(const Matching& m, const Assignment& a, const std::string& strategy);

}  // namespace axnn::method
