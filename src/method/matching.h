// Matching multipliers to layers (axnn_kind = matching): for every layer and every multiplier of a
// library the predicted output error std; the tolerance max_std = output_std * |sigma_l|; the
// cheapest multiplier within tolerance per layer; and the network's relative multiplication energy
// E_rel = sum_l (ops_l / ops_total) * (P_l / P_exact).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/choice.h"
#include "io/artifact.h"
#include "method/refs.h"
#include "multipliers/multiplier.h"

namespace axnn::method {

constexpr const char* kMatchingKind = "matching";
constexpr int kMatchingSchemaVersion = 1;
// The kind's fields, declared once (io/fields.h): checked when written and when read.
const KindFields& matching_fields();

// The error estimators a matching compares (docs/method.md, section 5; the paper's formula is `agn`).
enum class Estimator { Agn, Channel, Sampled };
const config::Choice<Estimator>& estimators();

struct LayerMatch {
  std::string name;
  int64_t fan_in = 0, opcount = 0;
  double ops_share = 0, sigma = 0, output_std = 0, max_std = 0;
  std::vector<double> predicted;  // per multiplier (the library's order): the selecting estimator's std
  int chosen = -1;
  std::optional<double> measured;  // the chosen table's error std on the sampled operands
  // Per multiplier, when computed (axnn-match; older artifacts lack them): the agn prediction, and the
  // error measured on the sampled operands: mean (bias), std and the std's bootstrap uncertainty.
  std::vector<double> agn_std, channel_std, sampled_mean, sampled_std, sampled_std_error;
  // Per multiplier, the mean error of each output channel on the sampled operands (bias compensation).
  std::vector<std::vector<double>> channel_mean_error;
};

struct Matching {
  std::string model_hash;    // sha256 of the checkpoint the refs were sampled from
  std::string library_hash;  // sha256 of the library artifact ("" when built in memory)
  std::string strategy = "tolerance";
  std::string estimator = "agn";  // the estimator that chose (predicted_std holds its values)
  // Per estimator: the choice it would make, its E_rel, and how many layers break their tolerance
  // (error std measured on the sampled operands > max_std) with that choice.
  nlohmann::json estimators = nlohmann::json::object();
  std::vector<std::string> multipliers;
  std::vector<double> relative_power;  // P / P_exact, per multiplier
  std::vector<LayerMatch> layers;
  double relative_energy = 1;
  // Budgeted assignments (axnn-assign): criterion, objective, budget, predicted cost; and the
  // predicted Pareto front (E_rel, predicted cost) of the whole network.
  nlohmann::json assignment = nlohmann::json::object();
  std::vector<std::pair<double, double>> front;
};

struct MatchOptions {
  int populations = 512;
  uint64_t seed = 0;
  std::string estimator = "sampled";  // one of estimators()
  // From a config resolved against match_spec() (method/step_configs.h).
  static MatchOptions from(const nlohmann::json& resolved, uint64_t seed);
};

// Index of the lowest-power candidate whose predicted std <= max_std (ties: the smaller predicted
// std, then the earlier one). -1 when none qualifies.
int select_cheapest(const std::vector<double>& predicted, const std::vector<double>& relative_power, double max_std);

// E_rel of a choice per layer.
double relative_energy(const std::vector<LayerMatch>& layers, const std::vector<double>& relative_power);

// The full candidate matrix and the choice per layer. Parallel over layers x multipliers.
// Throws InputError when the library has no exact multiplier.
Matching match(const Refs& refs, const mult::Library& library, const MatchOptions& options);

void write_matching(const std::string& path, const Matching& matching, const Provenance& provenance);
Matching read_matching(const std::string& path);

// axnn-inspect's per-layer table for matching artifacts.
void register_matching_view();

}  // namespace axnn::method
