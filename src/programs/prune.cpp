// axnn-prune: prunes a model to a MAC target with a learned ranking (axnn-rank), writing a physically
// smaller model that every other program loads as usual.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/program.h"
#include "core/error.h"
#include "prune/prune_configs.h"
#include "prune/structure.h"

namespace {

using namespace axnn;
using nlohmann::json;

// The ranking must come from this model's structure: the same architecture and filters per layer.
void check_ranking(const prune::RankingRecord& r, const prune::MacModel& macs, const models::Checkpoint& c,
                   const std::string& ranking_path, const std::string& model_path) {
  if (r.architecture != c.arch || r.filters != macs.widths())
    throw InputError(fmt::format("{}: learned on a {} with filters {}, but {} is a {} with filters {}", ranking_path,
                                 r.architecture, json(r.filters).dump(), model_path, c.arch, json(macs.widths()).dump()));
}

json pruning_record(const models::Checkpoint& c, const prune::MacModel& macs, const prune::Keep& keep,
                    const prune::RankingRecord& r, double target) {
  const prune::Widths w = prune::widths_of(keep);
  json layers = json::object();
  for (const auto& [layer, kept] : keep) {
    layers[layer] = {{"filters", macs.widths().at(layer)}, {"kept", kept.size()}, {"kept_indices", kept}};
  }
  const int64_t dense = c.pruning.is_object() ? c.pruning.at("macs_dense").get<int64_t>() : macs.total();
  const int64_t now = macs.macs(w);
  return {{"target", target}, {"macs_dense", dense}, {"macs_before", macs.total()}, {"macs", now},
          {"mac_fraction", static_cast<double>(now) / static_cast<double>(dense)}, {"layers", layers},
          {"macs_per_layer", macs.per_layer(w)},
          // The ranking file itself is in the artifact's inputs (path and hash); its path stays out of the
          // content, so that the same run in another folder gives the same artifact.
          {"ranking", {{"layers", r.ranking.layers}, {"alpha", r.ranking.alpha}, {"kappa", r.ranking.kappa}}}};
}

}  // namespace

int main(int argc, char** argv) {
  cli::Program program("axnn-prune",
                       "Prune a model with a learned ranking (axnn-rank) to a MAC target: the lowest-scored filters go "
                       "until the multiply-accumulates fit target x the model's, and the model is rebuilt without them "
                       "(their BatchNorm channels and the following layers' inputs removed). Fine-tune it afterwards "
                       "(axnn-train --from). Config schema: workflows/schemas/prune.schema.json.");
  program.add_config_option(prune::prune_spec());
  std::string from, ranking, out;
  program.app().add_option("-m,--model", from, "Model to prune (baseline or quantized, not deployed)")->required()->check(CLI::ExistingFile);
  program.app().add_option("-r,--ranking", ranking, "Ranking artifact (axnn-rank) learned on this model")->required()->check(CLI::ExistingFile);
  program.app().add_option("-o,--output", out, "Model artifact to write")->required();
  return program.run(argc, argv, [&] {
    const double target = prune::PruneSettings::from(program.config()).target;
    models::Checkpoint c = models::load_checkpoint(from);
    prune::check_prunable(c, from);
    const prune::RankingRecord r = prune::read_ranking(ranking);
    prune::MacModel macs(c);
    check_ranking(r, macs, c, ranking, from);
    const prune::Keep keep = prune::select_filters(prune::filter_norms(*c.model), r.ranking, macs, target);
    models::Checkpoint p = prune::prune_model(c, keep);
    p.pruning = pruning_record(c, macs, keep, r, target);
    spdlog::info("kept {} of {} MACs per image ({:.3f} of the dense network's)", p.pruning["macs"].get<int64_t>(),
                 macs.total(), p.pruning["mac_fraction"].get<double>());
    models::save_checkpoint(out, p, program.provenance({{"prune", program.config()}}, {input_ref(from), input_ref(ranking)}));
  });
}
