#include "train/run.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.h"
#include "parallel/world.h"

namespace axnn::train {

void check_fits(const models::Checkpoint& c, const data::Dataset& d, const std::string& dataset_path) {
  if (c.options.in_channels != d.train.c || c.options.image_size != d.train.h || d.train.h != d.train.w)
    throw InputError(fmt::format("{}: images are {}x{}x{}, the {} model takes {}x{}x{}", dataset_path, d.train.c, d.train.h,
                                 d.train.w, c.arch, c.options.in_channels, c.options.image_size, c.options.image_size));
  if (c.options.num_classes != static_cast<int64_t>(d.classes.size()))
    throw InputError(fmt::format("{}: {} classes, the model has {} outputs", dataset_path, d.classes.size(), c.options.num_classes));
}

const data::Split& split(const data::Dataset& d, const std::string& name) {
  return data::split(d, data::splits().parse<UsageError>(name));
}

Metrics evaluate_split(models::Model& model, const data::Dataset& d, const data::Split& s, int64_t batch_size,
                       const torch::Device& device) {
  LoaderOptions o;
  o.batch_size = batch_size;
  o.shuffle = o.augment = false;
  BatchLoader loader(s, d.mean, d.std, o);
  return evaluate(model, loader, static_cast<int64_t>(d.classes.size()), device);
}

TrainResult train_and_test(models::Checkpoint& c, const data::Dataset& d, const TrainerSettings& cfg, uint64_t seed,
                           const torch::Device& device, const ExtraLoss& extra) {
  c.model->to(device);
  LoaderOptions lo;
  lo.batch_size = cfg.batch_size;
  lo.augment = cfg.augment;
  lo.seed = seed;
  lo.rank = parallel::world().rank;
  lo.ranks = parallel::world().size;
  // Ranks draw different noise (noise steps); the model they start from is rank 0's (fit).
  if (lo.rank > 0) torch::manual_seed(seed + 1000003ULL * static_cast<uint64_t>(lo.rank));
  BatchLoader train_loader(d.train, d.mean, d.std, lo);
  LoaderOptions vo = lo;
  vo.shuffle = vo.augment = false;
  vo.rank = 0;  // every rank validates on the whole split (the same model gives the same numbers)
  vo.ranks = 1;
  BatchLoader val_loader(d.val, d.mean, d.std, vo);
  const auto classes = static_cast<int64_t>(d.classes.size());
  TrainResult r;
  r.history = fit(*c.model, cfg, train_loader, d.val.n > 0 ? &val_loader : nullptr, classes, device, extra);
  r.test = evaluate_split(*c.model, d, d.test, lo.batch_size, device);
  spdlog::info("test accuracy {:.2f}% (loss {:.4f})", r.test.accuracy, r.test.loss);
  c.model->to(torch::kCPU);
  parallel::barrier();  // every rank finished: only now may rank 0 write the artifact
  return r;
}

}  // namespace axnn::train
