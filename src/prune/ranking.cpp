#include "prune/ranking.h"

#include <fmt/format.h>

#include "core/error.h"
#include "io/views.h"
#include "io/h5.h"
#include "io/record.h"

namespace axnn::prune {

using nlohmann::json;

namespace {

// Every field bound to its member, once: the declaration, the writer and the reader.
const Record<RankingRecord>& ranking_record() {
  using R = RankingRecord;
  static const Record<R> record =
      Record<R>()
          .attr(&R::architecture, attr("architecture", FieldType::String, "zoo architecture of the model the ranking was learned on"))
          .attr(&R::model_options, attr("model_options", FieldType::Json, "that model's options (pruned widths included)").json("object"))
          .attr_at([](auto& r) -> auto& { return r.ranking.layers; },
                   attr("layers", FieldType::Json, "the prunable layers, in order").json("array"))
          .attr(&R::filters, attr("filters", FieldType::Json, "that model's filters per prunable layer").json("object"))
          .attr(&R::macs, attr("macs", FieldType::Int, "that model's multiply-accumulates per image").min(1))
          .attr(&R::target, attr("target", FieldType::Float, "MAC fraction the candidates were pruned to while learning").min(0).max(1))
          .attr(&R::fitness, attr("fitness", FieldType::Float, "validation accuracy of the best candidate after its fine-tuning")
                                 .min(0).max(100).unit("%"))
          .attr(&R::history, attr("history", FieldType::Json, "every evaluated candidate: generation, parent, fitness, MAC fraction")
                                 .json("array"))
          .data_at([](auto& r) -> auto& { return r.ranking.alpha; },
                   dataset("alpha", FieldType::Float64, {-1}, "per layer: the scale alpha_l of its filters' normalised norms"))
          .data_at([](auto& r) -> auto& { return r.ranking.kappa; },
                   dataset("kappa", FieldType::Float64, {-1}, "per layer: the offset kappa_l"))
          .check([](const R& r) {
            const size_t n = r.ranking.layers.size();
            if (r.ranking.alpha.size() != n || r.ranking.kappa.size() != n)
              throw InputError(fmt::format("alpha and kappa hold {} and {} values for {} layers", r.ranking.alpha.size(),
                                           r.ranking.kappa.size(), n));
            for (const auto& l : r.ranking.layers)
              if (!r.filters.count(l)) throw InputError(fmt::format("filters has no entry for layer {}", l));
          });
  return record;
}

}  // namespace

const KindFields& ranking_fields() {
  static const KindFields fields{kRankingKind, kRankingSchemaVersion, ranking_record().fields()};
  return fields;
}

void write_ranking(const std::string& path, const RankingRecord& r, const Provenance& provenance) {
  write_record(path, ranking_fields(), ranking_record(), r, provenance);
}

RankingRecord read_ranking(const std::string& path) { return read_record(path, ranking_fields(), ranking_record()); }

void register_ranking_view() {
  register_view(kRankingKind, [](H5::H5File& file, json& d) {
    const RankingRecord r = read_ranking(file.getFileName());
    json rows = json::array();
    for (size_t i = 0; i < r.ranking.layers.size(); ++i)
      rows.push_back({r.ranking.layers[i], r.filters.at(r.ranking.layers[i]), fmt::format("{:.4f}", r.ranking.alpha[i]),
                      fmt::format("{:.4f}", r.ranking.kappa[i])});
    d["tables"].push_back({{"title", fmt::format("LeGR ranking of a {} ({} MACs per image; learned at target {:.3g}, best "
                                                 "candidate {:.2f} % on val after fine-tuning, {} candidates)",
                                                 r.architecture, r.macs, r.target, r.fitness, r.history.size())},
                           {"columns", {"layer", "filters", "alpha", "kappa"}},
                           {"rows", rows}});
  });
}

}  // namespace axnn::prune
