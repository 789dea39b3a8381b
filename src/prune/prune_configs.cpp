#include "prune/prune_configs.h"

namespace axnn::prune {

using namespace config;

namespace {

Spec target(const char* what) {
  return number(std::string("Fraction of the dense network's multiply-accumulates to keep, in (0, 1]: ") + what)
      .def(0.5)
      .above(0)
      .max(1);
}

}  // namespace

const Spec& rank_spec() {
  static const Spec spec = object(
      "Learning a global filter ranking (LeGR): per prunable layer an affine map alpha_l * ||W_f|| + kappa_l of its "
      "filters' norms, learned by regularized evolution. Each candidate prunes the network to `target`, is "
      "fine-tuned for `steps` batches and scored by its accuracy on `val_images` validation images",
      {{"target", target("the target every candidate is pruned to while learning")},
       {"population", integer("Candidates kept alive (the first is the plain norm ranking, the rest its mutations)")
                          .def(12)
                          .min(2)
                          .max(1000)},
       {"generations", integer("Children evaluated after the first population (each: the best of `sample` random "
                               "members, mutated; the oldest member leaves)")
                           .def(24)
                           .min(0)
                           .max(100000)},
       {"sample", integer("Members drawn per generation; the best of them is mutated").def(4).min(1).max(1000)},
       {"mutation", number("Std of the Gaussian steps: log(alpha_l) and kappa_l each move by N(0, mutation^2)")
                        .def(0.2)
                        .min(0)
                        .max(10)},
       {"steps", integer("Fine-tuning batches per candidate before it is scored (SGD, momentum 0.9)").def(20).min(0).max(1000000)},
       {"batch_size", integer("Images per fine-tuning batch").def(64).min(1).max(4096)},
       {"lr", number("Learning rate of the candidates' fine-tuning").def(0.005).min(0).max(10)},
       {"val_images", integer("Validation images a candidate is scored on (the first ones of the val split; never "
                              "the test split)")
                          .def(1000)
                          .min(1)
                          .max(1000000)}});
  return spec;
}

const Spec& prune_spec() {
  static const Spec spec = object("Pruning a model with a learned ranking",
                                  {{"target", target("the filters with the lowest scores go until the rest fit it")}});
  return spec;
}

PruneSettings PruneSettings::from(const nlohmann::json& c) { return {c.at("target").get<double>()}; }

}  // namespace axnn::prune
