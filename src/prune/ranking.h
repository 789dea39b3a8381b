// A learned global filter ranking (LeGR, docs/pruning.md) and its artifact (axnn_kind = ranking):
// per prunable layer the affine map alpha_l * ||W_f|| + kappa_l of its filters' normalised norms,
// the model it was learned on, and the evolution that found it. Torch-free (axnn-inspect reads it).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/artifact.h"
#include "io/fields.h"

namespace axnn::prune {

constexpr const char* kRankingKind = "ranking";
constexpr int kRankingSchemaVersion = 1;

struct Ranking {
  std::vector<std::string> layers;   // the prunable layers, in the model's order
  std::vector<double> alpha, kappa;  // one per layer
};

// What the ranking was learned on and how (the artifact's content besides the ranking).
struct RankingRecord {
  Ranking ranking;
  std::string architecture;
  nlohmann::json model_options;            // of the model it was learned on (pruned widths included)
  std::map<std::string, int64_t> filters;  // that model's filters per prunable layer
  int64_t macs = 0;                        // that model's multiply-accumulates per image
  double target = 0;                       // the target candidates were pruned to
  double fitness = 0;                      // the best candidate's validation accuracy (%)
  nlohmann::json history = nlohmann::json::array();  // every evaluated candidate
};

const KindFields& ranking_fields();
void write_ranking(const std::string& path, const RankingRecord& record, const Provenance& provenance);
// Throws InputError naming the file for a wrong kind, a malformed field, or alpha/kappa whose length
// differs from the layer list.
RankingRecord read_ranking(const std::string& path);

void register_ranking_view();

}  // namespace axnn::prune
