#include "method/bn_adaptation.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.h"
#include "core/progress.h"
#include "nn/batch_norm.h"
#include "parallel/world.h"
#include "train/loader.h"
#include "train/run.h"

namespace axnn::method {
namespace {

std::vector<std::pair<std::string, nn::BatchNorm2dImpl*>> batchnorm_layers(models::Model& model) {
  std::vector<std::pair<std::string, nn::BatchNorm2dImpl*>> out;
  for (const auto& item : model.named_modules("", false))
    if (auto* bn = dynamic_cast<nn::BatchNorm2dImpl*>(item.value().get())) out.emplace_back(item.key(), bn);
  return out;
}

}  // namespace

int64_t count_batchnorm(models::Model& model) { return static_cast<int64_t>(batchnorm_layers(model).size()); }

BnAdaptationResult adapt_batchnorm(models::Model& model, const data::Dataset& d, const std::string& dataset_path,
                                   const BnAdaptationOptions& o, const torch::Device& device) {
  BnAdaptationResult r;
  const auto layers = batchnorm_layers(model);
  if (o.images <= 0 || layers.empty()) return r;
  if (o.images > d.train.n)
    throw InputError(fmt::format("bn_adaptation.images: {} images asked for, but the train split of {} holds {} (set "
                                 "bn_adaptation.images to at most {}, or 0 to turn the adaptation off)",
                                 o.images, dataset_path, d.train.n, d.train.n));
  const data::Split images = data::seeded_subset(d.train, o.images, o.seed);
  train::LoaderOptions lo;
  lo.batch_size = o.batch_size;
  lo.shuffle = lo.augment = false;
  lo.rank = parallel::world().rank;
  lo.ranks = parallel::world().size;
  train::BatchLoader loader(images, d.mean, d.std, lo);

  torch::NoGradGuard no_grad;
  model.eval();
  for (auto& [name, bn] : layers) {
    bn->train();
    bn->start_adaptation();
  }
  Progress progress("BatchNorm adaptation", loader.batches_per_epoch());
  torch::Tensor x, y;
  loader.start_epoch(0);
  while (loader.next(x, y)) {
    model.forward(x.to(device));
    progress.advance(1);
  }
  progress.finish();
  for (auto& [name, bn] : layers) {
    bn->finish_adaptation();
    bn->eval();
    if (!torch::isfinite(bn->running_mean).all().item<bool>() || !torch::isfinite(bn->running_var).all().item<bool>())
      throw Error(fmt::format("BatchNorm adaptation gave non-finite statistics in layer {} (non-finite activations "
                              "through the tables?)",
                              name));
  }
  r.layers = static_cast<int64_t>(layers.size());
  r.images = images.n;
  spdlog::info("BatchNorm adaptation: {} layers re-estimated on {} training images", r.layers, r.images);
  return r;
}

nlohmann::json adapt_deployed(models::Checkpoint& c, const BnAdaptationOptions& o, const std::string& dataset_path,
                              const torch::Device& device) {
  models::Model& model = *c.model;
  const uint64_t seed = o.seed;
  const int64_t layers = count_batchnorm(model);
  nlohmann::json record = {{"images", o.images}, {"layers", 0}, {"batch_size", o.batch_size}, {"seed", seed}};
  if (o.images == 0) return record;
  if (layers == 0) {
    spdlog::warn("bn_adaptation.images = {}, but the model has no BatchNorm layer: nothing to adapt", o.images);
    return record;
  }
  if (dataset_path.empty())
    throw UsageError(fmt::format("the model has {} BatchNorm layers to adapt (bn_adaptation.images = {}): give the dataset "
                                 "with -d DATA.h5, or set bn_adaptation.images=0 to keep the exact-product statistics",
                                 layers, o.images));
  const data::Dataset d = data::read_dataset(dataset_path);
  train::check_fits(c, d, dataset_path);
  model.to(device);
  const int64_t batch = std::max<int64_t>(o.batch_size, 256);
  std::optional<double> before;
  if (d.test.n > 0) before = train::evaluate_split(model, d, d.test, batch, device).accuracy;
  const BnAdaptationResult r = adapt_batchnorm(model, d, dataset_path, o, device);
  record["layers"] = r.layers;
  record["images"] = r.images;
  if (before) {
    const double after = train::evaluate_split(model, d, d.test, batch, device).accuracy;
    record["test_accuracy_before"] = *before;
    record["test_accuracy_after"] = after;
    spdlog::info("test accuracy {:.2f}% before BatchNorm adaptation, {:.2f}% after", *before, after);
  }
  model.to(torch::kCPU);
  return record;
}

}  // namespace axnn::method
