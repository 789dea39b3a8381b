#include "method/assign.h"

#include <cmath>
#include <limits>
#include <random>

#include <gtest/gtest.h>

#include "core/error.h"

namespace axnn::method {
namespace {

// Random instance: candidate 0 is exact (power 1, cost 0), the others cheaper and costlier.
AssignProblem random_problem(size_t layers, size_t mults, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  AssignProblem p;
  std::vector<double> share(layers);
  double total = 0;
  for (double& s : share) total += (s = 0.1 + u(rng));
  for (size_t l = 0; l < layers; ++l) {
    std::vector<double> e = {share[l] / total}, c = {0.0};
    for (size_t m = 1; m < mults; ++m) {
      e.push_back(share[l] / total * (0.05 + 0.9 * u(rng)));
      c.push_back(u(rng) * u(rng) * 3.0);
    }
    p.energy.push_back(e);
    p.cost.push_back(c);
  }
  return p;
}

// Every assignment, the best by the objective (ties: the smaller other quantity).
std::pair<double, double> brute_force(const AssignProblem& p, Objective o, double budget) {
  const size_t layers = p.energy.size();
  std::vector<size_t> idx(layers, 0);
  double best_obj = std::numeric_limits<double>::infinity(), best_other = best_obj;
  while (true) {
    double e = 0, c = 0;
    for (size_t l = 0; l < layers; ++l) e += p.energy[l][idx[l]], c += p.cost[l][idx[l]];
    const bool ok = o == Objective::MinCost ? e <= budget : c <= budget;
    const double obj = o == Objective::MinCost ? c : e, other = o == Objective::MinCost ? e : c;
    if (ok && (obj < best_obj || (obj == best_obj && other < best_other))) best_obj = obj, best_other = other;
    size_t l = 0;
    while (l < layers && ++idx[l] == p.energy[l].size()) idx[l++] = 0;
    if (l == layers) break;
  }
  return {best_obj, best_other};
}

TEST(Assign, EqualsBruteForceAndRespectsTheBudget) {
  std::mt19937_64 rng(17);
  for (int trial = 0; trial < 60; ++trial) {
    const size_t layers = 1 + trial % 6, mults = 2 + trial % 4;
    const AssignProblem p = random_problem(layers, mults, rng);
    for (Objective o : {Objective::MinCost, Objective::MinEnergy}) {
      const double budget = o == Objective::MinCost ? 0.3 + 0.1 * (trial % 6) : 0.5 * (trial % 5);
      const auto [obj, other] = brute_force(p, o, budget);
      if (!std::isfinite(obj)) {
        EXPECT_THROW(solve(p, o, budget), ConfigError);
        continue;
      }
      const Assignment a = solve(p, o, budget);
      double e = 0, c = 0;
      for (size_t l = 0; l < layers; ++l) e += p.energy[l][static_cast<size_t>(a.choice[l])], c += p.cost[l][static_cast<size_t>(a.choice[l])];
      EXPECT_DOUBLE_EQ(e, a.energy);
      EXPECT_DOUBLE_EQ(c, a.cost);
      EXPECT_LE(o == Objective::MinCost ? e : c, budget);  // exactly within the budget
      EXPECT_NEAR(o == Objective::MinCost ? c : e, obj, 1e-12) << "trial " << trial;
    }
  }
}

TEST(Assign, ImpossibleBudgetIsAClearError) {
  std::mt19937_64 rng(3);
  const AssignProblem p = random_problem(4, 3, rng);
  try {
    solve(p, Objective::MinCost, 0.0);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("lowest reachable relative energy"), std::string::npos) << e.what();
  }
}

TEST(Assign, BestUnderBudgetAreTheKCheapestParetoAssignmentsWithinIt) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 20; ++trial) {
    const AssignProblem p = random_problem(2 + trial % 4, 3, rng);
    const double budget = 0.65 + 0.05 * (trial % 5);
    if (brute_force(p, Objective::MinCost, budget).first == std::numeric_limits<double>::infinity()) {
      EXPECT_THROW(best_under_budget(p, budget, 4), ConfigError);
      continue;
    }
    const std::vector<Assignment> c = best_under_budget(p, budget, 4);
    ASSERT_FALSE(c.empty());
    EXPECT_LE(c.size(), 4u);
    // The first is solve()'s answer; the rest follow in rising cost, each within the budget and
    // consistent with its choices; none is beaten in both energy and cost by another assignment.
    const Assignment best = solve(p, Objective::MinCost, budget);
    EXPECT_DOUBLE_EQ(c[0].cost, best.cost);
    for (size_t i = 0; i < c.size(); ++i) {
      double e = 0, cost = 0;
      for (size_t l = 0; l < p.energy.size(); ++l)
        e += p.energy[l][static_cast<size_t>(c[i].choice[l])], cost += p.cost[l][static_cast<size_t>(c[i].choice[l])];
      EXPECT_DOUBLE_EQ(e, c[i].energy);
      EXPECT_DOUBLE_EQ(cost, c[i].cost);
      EXPECT_LE(e, budget);
      if (i > 0) {
        EXPECT_GT(c[i].cost, c[i - 1].cost);
        EXPECT_LT(c[i].energy, c[i - 1].energy);
      }
    }
    // Every front point within the budget is among them, up to k.
    size_t within = 0;
    for (const auto& [e, cost] : best.front) within += e <= budget;
    EXPECT_EQ(c.size(), std::min<size_t>(within, 4));
  }
  std::mt19937_64 rng2(3);
  EXPECT_THROW(best_under_budget(random_problem(4, 3, rng2), 0.0, 3), ConfigError);
}

TEST(Assign, SpreadUnderBudgetSpansTheFrontWithinIt) {
  std::mt19937_64 rng(17);
  for (int trial = 0; trial < 20; ++trial) {
    const AssignProblem p = random_problem(3 + trial % 4, 4, rng);
    const double budget = 0.7 + 0.05 * (trial % 5);
    if (brute_force(p, Objective::MinCost, budget).first == std::numeric_limits<double>::infinity()) continue;
    const std::vector<Assignment> all = best_under_budget(p, budget, 100000), c = spread_under_budget(p, budget, 4);
    ASSERT_EQ(c.size(), std::min<size_t>(all.size(), 4));
    // The lowest-cost point first, the front's lowest-energy point within the budget last, every one a
    // front point within the budget, in rising cost.
    EXPECT_EQ(c.front().choice, all.front().choice);
    EXPECT_EQ(c.back().choice, all.back().choice);
    for (size_t i = 0; i < c.size(); ++i) {
      EXPECT_LE(c[i].energy, budget);
      EXPECT_TRUE(std::any_of(all.begin(), all.end(), [&](const Assignment& a) { return a.choice == c[i].choice; }));
      if (i > 0) {
        EXPECT_GT(c[i].cost, c[i - 1].cost);
      }
    }
  }
}

TEST(Assign, BudgetOfOneReturnsAllExact) {
  std::mt19937_64 rng(5);
  AssignProblem p = random_problem(5, 4, rng);
  for (auto& c : p.cost)
    for (size_t m = 1; m < c.size(); ++m) c[m] += 1e-3;  // every approximate candidate costs something
  const Assignment a = solve(p, Objective::MinCost, 1.0);
  for (int c : a.choice) EXPECT_EQ(c, 0);
  EXPECT_NEAR(a.energy, 1.0, 1e-12);
  EXPECT_EQ(a.cost, 0.0);
}

TEST(Assign, ProblemFromMatchingAndSensitivity) {
  Matching m;
  m.multipliers = {"exact", "cheap"};
  m.relative_power = {1.0, 0.25};
  LayerMatch l;
  l.name = "fc";
  l.ops_share = 1.0;
  l.opcount = 100;
  l.max_std = 10;
  l.predicted = {0.0, 5.0};
  l.chosen = 0;
  m.layers = {l};
  Sensitivity s;
  LayerSensitivity ls;
  ls.name = "fc";
  ls.output_trace = 0.4;
  ls.output_scale = 0.1;
  s.layers = {ls};
  const AssignProblem h = make_problem(m, Criterion::Hessian, &s);
  EXPECT_DOUBLE_EQ(h.cost[0][1], 0.5 * 0.4 * 0.5 * 0.5);  // 0.5 * Tr(H_y) * (5 * 0.1)^2
  EXPECT_DOUBLE_EQ(h.energy[0][1], 0.25);
  const AssignProblem g = make_problem(m, Criterion::Sigma, nullptr);
  EXPECT_DOUBLE_EQ(g.cost[0][1], 0.25);  // (5 / 10)^2
  const Matching out = apply(m, solve(h, Objective::MinCost, 0.5), "budget");
  EXPECT_EQ(out.layers[0].chosen, 1);
  EXPECT_DOUBLE_EQ(out.relative_energy, 0.25);
  s.layers[0].name = "other";
  EXPECT_THROW(make_problem(m, Criterion::Hessian, &s), InputError);
}

// The record axnn-assign and axnn-search store, and the registries behind its names.
TEST(Assign, TheAssignmentRecordIsHeldToItsDeclaration) {
  AssignmentRecord r{Criterion::Sigma, Objective::MinEnergy, 0.02, 0.01, "exact", 7, nullptr};
  const nlohmann::json j = r.to_json();
  EXPECT_EQ(j["criterion"], "sigma");
  EXPECT_EQ(j["objective"], "energy");
  EXPECT_FALSE(j.contains("search"));
  const AssignmentRecord back = AssignmentRecord::from_json(j);
  EXPECT_EQ(back.criterion, Criterion::Sigma);
  EXPECT_EQ(back.objective, Objective::MinEnergy);
  EXPECT_EQ(back.front_size, 7u);
  auto error_of = [](nlohmann::json bad) {
    try {
      AssignmentRecord::from_json(bad);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  nlohmann::json missing = j;
  missing.erase("budget");
  EXPECT_NE(error_of(missing).find("budget"), std::string::npos) << error_of(missing);
  nlohmann::json unknown = j;
  unknown["criterion"] = "guess";
  EXPECT_NE(error_of(unknown).find("guess"), std::string::npos) << error_of(unknown);
  nlohmann::json extra = j;
  extra["note"] = 1;
  EXPECT_NE(error_of(extra).find("note"), std::string::npos) << error_of(extra);
  EXPECT_EQ(criteria().names(), (std::vector<std::string>{"hessian", "sigma"}));
  EXPECT_EQ(objectives().parse("loss"), Objective::MinCost);
  EXPECT_THROW(criteria().parse<UsageError>("guess"), UsageError);
}

}  // namespace
}  // namespace axnn::method
