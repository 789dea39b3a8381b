#include "prune/ranking.h"

#include <fmt/format.h>

#include "core/error.h"
#include "io/views.h"
#include "io/h5.h"

namespace axnn::prune {

using nlohmann::json;

const KindFields& ranking_fields() {
  static const KindFields fields{
      kRankingKind, kRankingSchemaVersion,
      {attr("architecture", FieldType::String, "zoo architecture of the model the ranking was learned on"),
       attr("model_options", FieldType::Json, "that model's options (pruned widths included)").json("object"),
       attr("layers", FieldType::Json, "the prunable layers, in order").json("array"),
       attr("filters", FieldType::Json, "that model's filters per prunable layer").json("object"),
       attr("macs", FieldType::Int, "that model's multiply-accumulates per image").min(1),
       attr("target", FieldType::Float, "MAC fraction the candidates were pruned to while learning").min(0).max(1),
       attr("fitness", FieldType::Float, "validation accuracy of the best candidate after its fine-tuning").min(0).max(100).unit("%"),
       attr("history", FieldType::Json, "every evaluated candidate: generation, parent, fitness, MAC fraction").json("array"),
       dataset("alpha", FieldType::Float64, {-1}, "per layer: the scale alpha_l of its filters' normalised norms"),
       dataset("kappa", FieldType::Float64, {-1}, "per layer: the offset kappa_l")}};
  return fields;
}

void write_ranking(const std::string& path, const RankingRecord& r, const Provenance& provenance) {
  ArtifactWriter w(path, ranking_fields(), provenance);
  H5::Group root = w.root();
  h5::write_attr(root, "architecture", r.architecture);
  h5::write_json_attr(root, "model_options", r.model_options);
  h5::write_json_attr(root, "layers", r.ranking.layers);
  h5::write_json_attr(root, "filters", r.filters);
  h5::write_attr(root, "macs", r.macs);
  h5::write_attr(root, "target", r.target);
  h5::write_attr(root, "fitness", r.fitness);
  h5::write_json_attr(root, "history", r.history);
  const h5::Shape shape = {static_cast<hsize_t>(r.ranking.layers.size())};
  h5::write_dataset(root, "alpha", r.ranking.alpha, shape);
  h5::write_dataset(root, "kappa", r.ranking.kappa, shape);
  w.commit();
}

RankingRecord read_ranking(const std::string& path) {
  Artifact a = Artifact::open(path, ranking_fields());
  H5::Group root = a.root();
  RankingRecord r;
  a.read([&] {
    r.architecture = h5::read_string_attr(root, "architecture");
    r.model_options = h5::read_json_attr(root, "model_options");
    r.filters = h5::read_json_attr(root, "filters").get<std::map<std::string, int64_t>>();
    r.ranking.layers = h5::read_json_attr(root, "layers").get<std::vector<std::string>>();
    r.macs = h5::read_int_attr(root, "macs");
    r.target = h5::read_double_attr(root, "target");
    r.fitness = h5::read_double_attr(root, "fitness");
    r.history = h5::read_json_attr(root, "history");
    r.ranking.alpha = h5::read_dataset<double>(root, "alpha");
    r.ranking.kappa = h5::read_dataset<double>(root, "kappa");
    const size_t n = r.ranking.layers.size();
    if (r.ranking.alpha.size() != n || r.ranking.kappa.size() != n)
      throw InputError(fmt::format("alpha and kappa hold {} and {} values for {} layers", r.ranking.alpha.size(),
                                   r.ranking.kappa.size(), n));
    for (const auto& l : r.ranking.layers)
      if (!r.filters.count(l)) throw InputError(fmt::format("filters has no entry for layer {}", l));
  });
  return r;
}

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
