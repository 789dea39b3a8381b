#include "method/assign.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.h"

namespace axnn::method {
namespace {

struct State {
  double energy, cost;
  int parent, choice;
};

// Keeps the states no other state beats in both energy and cost (lower is better for both).
std::vector<State> pareto(std::vector<State> states) {
  std::sort(states.begin(), states.end(), [](const State& a, const State& b) {
    return a.energy != b.energy ? a.energy < b.energy : a.cost < b.cost;
  });
  std::vector<State> out;
  double best_cost = std::numeric_limits<double>::infinity();
  for (const State& s : states)
    if (s.cost < best_cost) {
      out.push_back(s);
      best_cost = s.cost;
    }
  return out;
}

}  // namespace

namespace {

// Every layer's Pareto front of partial sums; the last level is the whole network's front, sorted by
// energy ascending (so cost descending).
std::vector<std::vector<State>> fronts(const AssignProblem& p) {
  std::vector<std::vector<State>> levels = {{{0.0, 0.0, -1, -1}}};
  for (size_t l = 0; l < p.energy.size(); ++l) {
    std::vector<State> next;
    const auto& prev = levels.back();
    for (size_t s = 0; s < prev.size(); ++s)
      for (size_t m = 0; m < p.energy[l].size(); ++m)
        if (std::isfinite(p.cost[l][m]))
          next.push_back({prev[s].energy + p.energy[l][m], prev[s].cost + p.cost[l][m], static_cast<int>(s), static_cast<int>(m)});
    levels.push_back(pareto(std::move(next)));
  }
  if (levels.back().empty()) throw ConfigError("no candidate has a finite cost in some layer");
  return levels;
}

// The assignment behind point `pick` of the network's front.
Assignment trace(const std::vector<std::vector<State>>& levels, int pick) {
  const std::vector<State>& front = levels.back();
  Assignment a;
  a.energy = front[static_cast<size_t>(pick)].energy;
  a.cost = front[static_cast<size_t>(pick)].cost;
  a.choice.assign(levels.size() - 1, -1);
  int s = pick;
  for (size_t l = levels.size() - 1; l > 0; --l) {
    const State& st = levels[l][static_cast<size_t>(s)];
    a.choice[l - 1] = st.choice;
    s = st.parent;
  }
  for (const State& st : front) a.front.emplace_back(st.energy, st.cost);
  return a;
}

}  // namespace

Assignment solve(const AssignProblem& p, Objective objective, double budget) {
  const auto levels = fronts(p);
  const std::vector<State>& front = levels.back();
  int pick = -1;
  if (objective == Objective::MinCost) {
    for (size_t i = 0; i < front.size(); ++i)
      if (front[i].energy <= budget) pick = static_cast<int>(i);
    if (pick < 0)
      throw ConfigError(fmt::format("budget: E_rel <= {} is impossible; the lowest reachable relative energy is {:.6f}", budget,
                                    front.front().energy));
  } else {
    for (size_t i = 0; i < front.size() && pick < 0; ++i)
      if (front[i].cost <= budget) pick = static_cast<int>(i);
    if (pick < 0)
      throw ConfigError(fmt::format("budget: a predicted loss increase <= {} is impossible; the lowest reachable is {:.6g}",
                                    budget, front.back().cost));
  }
  return trace(levels, pick);
}

namespace {

// The front's points within the budget, as indices into the last level, lowest cost first (cost falls
// as energy rises along the front); ConfigError when there are none.
std::vector<int> within_budget(const std::vector<State>& front, double budget) {
  std::vector<int> out;
  for (int i = static_cast<int>(front.size()) - 1; i >= 0; --i)
    if (front[static_cast<size_t>(i)].energy <= budget) out.push_back(i);
  if (out.empty())
    throw ConfigError(fmt::format("budget: E_rel <= {} is impossible; the lowest reachable relative energy is {:.6f}", budget,
                                  front.front().energy));
  return out;
}

}  // namespace

std::vector<Assignment> best_under_budget(const AssignProblem& p, double budget, int k) {
  const auto levels = fronts(p);
  const std::vector<int> within = within_budget(levels.back(), budget);
  std::vector<Assignment> out;
  for (size_t j = 0; j < within.size() && static_cast<int>(out.size()) < k; ++j) out.push_back(trace(levels, within[j]));
  return out;
}

std::vector<Assignment> spread_under_budget(const AssignProblem& p, double budget, int k) {
  const auto levels = fronts(p);
  const std::vector<int> within = within_budget(levels.back(), budget);
  const size_t m = within.size(), n = std::min<size_t>(m, static_cast<size_t>(std::max(k, 1)));
  std::vector<Assignment> out;
  for (size_t j = 0; j < n; ++j) {  // ranks 0 .. m-1 in n even steps (distinct, since n <= m)
    const size_t rank = n == 1 ? 0 : (j * (m - 1) + (n - 1) / 2) / (n - 1);
    out.push_back(trace(levels, within[rank]));
  }
  return out;
}

const config::Choice<Objective>& objectives() {
  static const config::Choice<Objective> choice(
      "objective", {{"loss", Objective::MinCost, "minimise the predicted loss increase with E_rel <= budget"},
                    {"energy", Objective::MinEnergy, "minimise E_rel with the predicted loss increase <= budget"}});
  return choice;
}

const config::Choice<Criterion>& criteria() {
  static const config::Choice<Criterion> choice(
      "criterion",
      {{"hessian", Criterion::Hessian, "expected loss increase 0.5 * Tr(H_y) * (predicted std * output scale)^2"},
       {"sigma", Criterion::Sigma, "sum of (predicted std / max_std)^2 from the noise step's sigma_l"}});
  return choice;
}

AssignSettings AssignSettings::from(const nlohmann::json& resolved) {
  AssignSettings s;
  s.criterion = criteria().parse(resolved.at("criterion"), "criterion");
  s.objective = objectives().parse(resolved.at("objective"), "objective");
  s.budget = resolved.at("budget");
  return s;
}

const config::Spec& assignment_record_spec() {
  using namespace config;
  static const Spec spec = object(
      "How the matching's choice was made (axnn-assign, axnn-search)",
      {{"criterion", criteria().spec("The predicted cost: " + criteria().listed()).required()},
       {"objective", objectives().spec("What was minimised: " + objectives().explained()).required()},
       {"budget", number("The E_rel budget (objective loss) or the predicted-loss budget (objective energy)").min(0).required()},
       {"predicted_cost", number("The chosen assignment's predicted cost").min(0).required()},
       {"solver", string("How it was solved").required()},
       {"front_size", integer("Pareto-optimal assignments on the predicted front").min(0).required()},
       {"search", any_value("axnn-search only: split, candidates, candidates_from, select_by, bias_compensation, "
                            "bn_adaptation_images, reference {val_loss, val_accuracy}, evaluated [{relative_energy, "
                            "predicted_cost, val_loss, val_accuracy, val_loss_increase, multipliers}], selected")}});
  return spec;
}

nlohmann::json AssignmentRecord::to_json() const {
  nlohmann::json j = {{"criterion", criteria().name_of(criterion)}, {"objective", objectives().name_of(objective)},
                      {"budget", budget}, {"predicted_cost", predicted_cost}, {"solver", solver},
                      {"front_size", front_size}};
  if (!search.is_null()) j["search"] = search;
  config::resolve(assignment_record_spec(), j, "assignment");  // a writer that breaks its declaration: a bug
  return j;
}

AssignmentRecord AssignmentRecord::from_json(const nlohmann::json& j) {
  nlohmann::json r;
  try {
    r = config::resolve(assignment_record_spec(), j, "assignment");
  } catch (const ConfigError& e) {
    throw InputError(e.what());
  }
  AssignmentRecord a;
  a.criterion = criteria().parse(r["criterion"]);
  a.objective = objectives().parse(r["objective"]);
  a.budget = r["budget"], a.predicted_cost = r["predicted_cost"], a.solver = r["solver"], a.front_size = r["front_size"];
  if (r.contains("search")) a.search = r["search"];
  return a;
}

AssignProblem make_problem(const Matching& m, Criterion criterion, const Sensitivity* sensitivity) {
  AssignProblem p;
  for (const LayerMatch& l : m.layers) {
    const LayerSensitivity* ls = nullptr;
    if (criterion == Criterion::Hessian) {
      if (!sensitivity) throw UsageError("the hessian criterion needs a sensitivity artifact");
      for (const auto& x : sensitivity->layers)
        if (x.name == l.name) ls = &x;
      if (!ls) throw InputError(fmt::format("the sensitivity artifact has no layer '{}'", l.name));
    }
    std::vector<double> energy, cost;
    for (size_t j = 0; j < l.predicted.size(); ++j) {
      energy.push_back(l.ops_share * m.relative_power[j]);
      const double pred = l.predicted[j];
      double c = 0;
      if (ls) c = ls->loss_increase(pred);
      else if (pred > 0) c = l.max_std > 0 ? (pred / l.max_std) * (pred / l.max_std) : std::numeric_limits<double>::infinity();
      cost.push_back(c);
    }
    p.energy.push_back(energy);
    p.cost.push_back(cost);
  }
  return p;
}

Matching apply(const Matching& m, const Assignment& a, const std::string& strategy) {
  Matching out = m;
  out.strategy = strategy;
  for (size_t l = 0; l < out.layers.size(); ++l) {
    LayerMatch& layer = out.layers[l];
    layer.chosen = a.choice[l];
    layer.measured.reset();  // measured for the old choice; the new one's when the matrix is there
    if (!layer.sampled_std.empty()) layer.measured = layer.sampled_std[static_cast<size_t>(layer.chosen)];
  }
  out.relative_energy = relative_energy(out.layers, out.relative_power);
  return out;
}

std::optional<Sensitivity> sensitivity_for(Criterion criterion, const std::string& path, const Matching& m) {
  if (criterion != Criterion::Hessian) return std::nullopt;
  if (path.empty()) throw UsageError("criterion hessian needs --sensitivity");
  Sensitivity s = read_sensitivity(path);
  if (s.model_hash != m.model_hash)
    spdlog::warn("the sensitivity was estimated on a different checkpoint ({}) than the matching's ({})", s.model_hash,
                 m.model_hash);
  return s;
}

}  // namespace axnn::method
