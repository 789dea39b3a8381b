#include "experiment/experiment_config.h"

namespace axnn {

const config::Spec& experiment_spec() {
  using namespace config;
  static const Spec spec = object(
      "An axnn experiment: what the workflow builds into results/<experiment>/",
      {{"experiment", string("Experiment name; outputs go to results/<experiment>/").required()},
       {"results_root", string("Folder that holds every experiment's results").def("results")},
       {"seed", integer("Random seed recorded in every artifact").def(0).min(0)},
       {"library",
        object("The multiplier library the experiment chooses from",
               {{"config", string("YAML of built-in family members (schema: library.schema.json); empty: the "
                                  "default library builtin-8s")
                               .def("")}})}});
  return spec;
}

}  // namespace axnn
