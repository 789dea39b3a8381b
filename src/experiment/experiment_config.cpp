#include "experiment/experiment_config.h"

namespace axnn {

const config::Spec& experiment_spec() {
  using namespace config;
  static const Spec spec = object(
      "An axnn experiment: what the workflow builds into results/<experiment>/",
      {{"experiment", string("Experiment name; outputs go to results/<experiment>/").required()},
       {"results_root", string("Folder that holds every experiment's results").def("results")},
       {"seed", integer("Random seed recorded in every artifact").def(0).min(0)},
       {"dataset",
        object("The data set, imported from its original files by axnn-data",
               {{"name", string("Which data set").one_of({"mnist", "fashion-mnist", "cifar10"}).def("fashion-mnist")},
                {"source", string("Folder with the original files (Debian 12: dataset-fashion-mnist installs "
                                  "Fashion-MNIST here)")
                               .def("/usr/share/datasets/fashion-mnist")},
                {"val_fraction", number("Share of train kept apart for validation").def(0.1).min(0).max(0.99)},
                {"limit_train", integer("Keep a seeded subset of this many training images (0: all)").def(0).min(0)},
                {"limit_test", integer("Keep a seeded subset of this many test images (0: all)").def(0).min(0)}})},
       {"library",
        object("The multiplier library the experiment chooses from",
               {{"config", string("YAML of built-in family members (schema: library.schema.json); empty: the "
                                  "default library builtin-8s")
                               .def("")}})}});
  return spec;
}

}  // namespace axnn
