// axnn-rank: learns a global filter ranking (LeGR) of a trained model, for axnn-prune.
#include <fmt/format.h>

#include "cli/program.h"
#include "core/error.h"
#include "prune/legr.h"
#include "prune/prune_configs.h"
#include "prune/structure.h"
#include "tensor/device.h"
#include "train/run.h"

int main(int argc, char** argv) {
  using namespace axnn;
  cli::Program program("axnn-rank",
                       "Learn a global filter ranking (LeGR): every prunable filter scores alpha_l * ||W_f|| + kappa_l "
                       "(its norm normalised in its layer), and regularized evolution learns the (alpha_l, kappa_l) whose "
                       "pruned networks, fine-tuned for a few batches, score best on the val split. One ranking prunes "
                       "the model to any MAC target (axnn-prune). Starts from a baseline or quantized model (config "
                       "schema: workflows/schemas/rank.schema.json).");
  program.add_seed_option();
  program.add_config_option(prune::rank_spec());
  add_device_option(program);
  std::string dataset, from, out;
  program.app().add_option("-d,--dataset", dataset, "Dataset artifact (train: fine-tuning, val: scores)")->required()->check(CLI::ExistingFile);
  program.app().add_option("-m,--model", from, "Model to rank (baseline or quantized)")->required()->check(CLI::ExistingFile);
  program.app().add_option("-o,--output", out, "Ranking artifact to write")->required();
  return program.run(argc, argv, [&] {
    torch::manual_seed(program.seed());
    const prune::RankSettings s = prune::RankSettings::from(program.config());
    data::Dataset d = data::read_dataset(dataset);
    models::Checkpoint c = models::load_checkpoint(from);
    train::check_fits(c, d, dataset);
    if (d.val.n == 0)
      throw InputError(fmt::format("{}: no validation images; the candidates are scored on the val split (make the "
                                   "dataset with a val_fraction > 0), never on test", dataset));
    prune::check_prunable(c, from);
    prune::RankingRecord r = prune::learn_ranking(c, d, s, program.seed(), torch::Device(selected_device()));
    prune::write_ranking(out, r, program.provenance({{"rank", program.config()}}, {input_ref(dataset), input_ref(from)}));
  });
}
