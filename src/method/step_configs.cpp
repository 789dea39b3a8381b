#include "method/step_configs.h"

#include "data/dataset.h"
#include "method/assign.h"
#include "method/matching.h"
#include "train/trainer_config.h"

namespace axnn::method {

using namespace config;

const Spec& noise_spec() {
  static const Spec spec = [] {
    auto props = train::trainer_spec().properties();
    // The noise grows over the epochs while the noise-free validation accuracy falls: keep the last
    // epoch's sigma_l, not the best validation epoch's.
    for (auto& [key, setting] : props)
      if (key == "keep_best") setting.def(false);
    props.push_back({"lambda", number("Weight of the noise term: loss = CE - lambda * sum_l share_l * min(|sigma_l|, sigma_max)")
                                   .def(0.2)
                                   .min(0)});
    props.push_back({"sigma_init", number("Initial relative noise std sigma_l of every layer").def(0.1).min(0)});
    props.push_back({"sigma_max", number("Cap of |sigma_l| in the noise term").def(0.5).min(0)});
    return object("Learning each layer's noise tolerance (AGN): trainer settings plus the noise term", props);
  }();
  return spec;
}

const Spec& sample_spec() {
  static const Spec spec = object(
      "Sampling reference operands: images run through the quantized model with exact products",
      {{"images", integer("Images drawn (seeded, without replacement) from the split").def(128).min(1).max(1000000)},
       {"split", data::splits().spec("Split the images come from: " + data::splits().listed()).def("train")},
       {"batch_size", integer("Images per forward pass (bounds memory)").def(32).min(1).max(4096)},
       {"max_rows", integer("Operand rows (receptive fields) kept per layer, a seeded subsample").def(8192).min(1).max(1 << 20)}});
  return spec;
}

const Spec& match_spec() {
  static const Spec spec = object(
      "Matching multipliers to layers by predicted error",
      {{"populations", integer("Rows drawn with replacement per layer; one activation histogram each (agn)").def(512).min(2).max(65536)},
       {"estimator", estimators().spec("The error estimate that chooses; all are computed and recorded, with the "
                                         "tolerance violations of each choice. The default, sampled, is the one that "
                                         "holds on every layer of LeNet-5 and ResNet-8, also on operands of other "
                                         "images. " + estimators().explained())
                         .def("sampled")}});
  return spec;
}

const Spec& deploy_spec() {
  static const Spec spec = object(
      "Deploying the chosen tables",
      {{"bias_compensation",
        boolean("Take each table's expected error out of every output channel (the mean error per channel on the "
                "sampled operands, which the matching records), subtracted from the integer accumulator")
            .def(false)},
       {"bn_adaptation", bn_adaptation_spec()}});
  return spec;
}

const Spec& bn_adaptation_spec() {
  static const Spec spec = object(
      "BatchNorm adaptation after the tables are in place: every BatchNorm layer's running mean and variance "
      "measured again in approx mode on seeded training images (no gradient; nothing else changes). The deployed "
      "model otherwise keeps statistics measured with exact products",
      {{"images", integer("Training images (seeded, without replacement) the statistics are measured on; 0 turns it off. "
                          "Needs the dataset (-d) when the model has BatchNorm; a model without BatchNorm is left as it is")
                      .def(1000)
                      .min(0)},
       {"batch_size", integer("Images per forward pass (BatchNorm normalises each batch by its own statistics; bounds "
                              "memory)")
                          .def(128)
                          .min(2)
                          .max(4096)}});
  return spec;
}

const Spec& sensitivity_spec() {
  static const Spec spec = object(
      "Hessian-trace sensitivity (Hutchinson's estimator) of every approximate layer",
      {{"samples", integer("Training images (seeded) the loss is averaged over").def(512).min(1).max(1000000)},
       {"batch_size", integer("Images per double-backward pass").def(128).min(1).max(4096)},
       {"max_iterations", integer("Iteration cap: Rademacher draws at most").def(100).min(1).max(100000)},
       {"min_iterations", integer("Draws before the tolerance may stop the estimate").def(10).min(1).max(100000)},
       {"tolerance", number("Stop when the running mean of the total trace changes by less than this (relative)").def(1e-3).min(0)}});
  return spec;
}

const Spec& assign_spec() {
  static const Spec spec = object(
      "Energy-budgeted assignment: one multiplier per layer, solved exactly over the matching's candidates",
      {{"criterion", criteria().spec(criteria().explained()).def("hessian")},
       {"objective", objectives().spec(objectives().explained()).def("loss")},
       {"budget", number("E_rel budget (objective loss) or loss-increase budget (objective energy)").def(0.5).min(0)}});
  return spec;
}

const Spec& search_spec() {
  static const Spec spec = object(
      "Search with accuracy in the loop: the best predicted assignments under an energy budget, each deployed and "
      "evaluated on the validation split (the test split stays untouched); the best one is kept",
      {{"criterion", criteria().spec("The predicted cost that ranks the candidates, as in assign: " + criteria().listed())
                         .def("hessian")},
       {"budget", number("E_rel budget: every candidate has E_rel <= budget").def(0.5).min(0)},
       {"candidates", integer("K: how many Pareto-optimal assignments to evaluate").def(8).min(1).max(1000)},
       {"candidates_from", string("front: K assignments spread evenly along the predicted Pareto front within the budget, "
                                  "from the lowest predicted cost to the lowest energy; cheapest: the K of lowest "
                                  "predicted cost (which tend to share most of their choices)")
                               .one_of({"front", "cheapest"})
                               .def("front")},
       {"select_by", string("What makes the best candidate: val_loss (lowest) or val_accuracy (highest); ties go to the "
                            "lower E_rel")
                         .one_of({"val_loss", "val_accuracy"})
                         .def("val_loss")},
       {"bias_compensation", boolean("Evaluate each candidate with bias compensation (set it as in the deploy step)").def(false)},
       {"bn_adaptation", bn_adaptation_spec()},
       {"batch_size", integer("Images per evaluation batch").def(256).min(1).max(4096)}});
  return spec;
}

NoiseSettings NoiseSettings::from(const nlohmann::json& c) {
  NoiseSettings s;
  s.trainer = train::TrainerSettings::from(c);
  s.lambda = c.at("lambda"), s.sigma_init = c.at("sigma_init"), s.sigma_max = c.at("sigma_max");
  return s;
}

SampleSettings SampleSettings::from(const nlohmann::json& c) {
  SampleSettings s;
  s.split = c.at("split"), s.images = c.at("images"), s.batch_size = c.at("batch_size"), s.max_rows = c.at("max_rows");
  return s;
}

BnAdaptationOptions BnAdaptationOptions::from(const nlohmann::json& block, uint64_t seed) {
  BnAdaptationOptions o;
  o.images = block.at("images");
  o.batch_size = block.at("batch_size");
  o.seed = seed;
  return o;
}

DeploySettings DeploySettings::from(const nlohmann::json& c, uint64_t seed) {
  return {c.at("bias_compensation").get<bool>(), BnAdaptationOptions::from(c.at("bn_adaptation"), seed)};
}

SensitivitySettings SensitivitySettings::from(const nlohmann::json& c) {
  SensitivitySettings s;
  s.samples = c.at("samples"), s.batch_size = c.at("batch_size");
  s.max_iterations = c.at("max_iterations"), s.min_iterations = c.at("min_iterations");
  s.tolerance = c.at("tolerance");
  return s;
}

}  // namespace axnn::method
