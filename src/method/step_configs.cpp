#include "method/step_configs.h"

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
      {{"images", integer("Images drawn (seeded, without replacement) from the split").def(128).min(1)},
       {"split", string("Split the images come from").one_of({"train", "val", "test"}).def("train")},
       {"batch_size", integer("Images per forward pass (bounds memory)").def(32).min(1)},
       {"max_rows", integer("Operand rows (receptive fields) kept per layer, a seeded subsample").def(8192).min(1)}});
  return spec;
}

const Spec& match_spec() {
  static const Spec spec = object(
      "Matching multipliers to layers by predicted error",
      {{"populations", integer("Rows drawn with replacement per layer; one activation histogram each").def(512).min(2)},
       {"validate", boolean("Also run each chosen table on the sampled operands and record the measured error std")
                        .def(false)}});
  return spec;
}

}  // namespace axnn::method
