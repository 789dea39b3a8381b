#include "experiment/experiment_config.h"

#include "data/dataset.h"
#include "models/architectures.h"
#include "multipliers/sources.h"

namespace axnn {

using mult::library_sources_spec;

const config::Spec& experiment_spec() {
  using namespace config;
  static const Spec spec = object(
      "An axnn experiment: what the workflow builds into results/<experiment>/",
      {{"experiment", string("Experiment name; outputs go to results/<experiment>/").required()},
       {"results_root", string("Folder that holds every experiment's results").def("results")},
       {"seed", integer("Random seed recorded in every artifact").def(0).min(0)},
       {"dataset",
        object("The data set, imported from its original files by axnn-data",
               {{"name", data::data_sets().spec("Which data set: " + data::data_sets().explained()).def("fashion-mnist")},
                {"source", string("Folder with the original files (Debian 12: dataset-fashion-mnist installs "
                                  "Fashion-MNIST here)")
                               .def("/usr/share/datasets/fashion-mnist")},
                {"val_fraction", number("Share of train kept apart for validation").def(0.1).min(0).max(0.99)},
                {"limit_train", integer("Keep a seeded subset of this many training images (0: all)").def(0).min(0)},
                {"limit_test", integer("Keep a seeded subset of this many test images (0: all)").def(0).min(0)}})},
       {"evoapproxlib", string("Folder of an EvoApproxLib checkout; evoapprox sources given as relative paths are "
                               "taken from it (empty: $AXNN_EVOAPPROXLIB, else relative to the working folder)")
                            .def("")},
       {"library", library_sources_spec()},
       {"model", object("The network", {{"arch", models::architectures().spec("Zoo architecture: " + models::architectures().explained()).def("lenet5")}})},
       {"steps",
        array_of("The pipeline, in order; each step becomes a workflow rule whose input is an earlier step's artifact",
                 object("One pipeline step",
                        {{"name", string("Step name: its artifact is results/<experiment>/<point>/<name>.h5").required()},
                         {"kind", string("What the step does: baseline, quantize, noise, sample, match, deploy, "
                                         "retrain, sensitivity, assign, search, rank or prune (the workflow's step "
                                         "registry, workflows/axnn_workflow/steps.py, checks it)")
                                      .required()},
                         {"from", string("The earlier step whose model this step reads (default: the latest step that "
                                         "makes a model)")
                                      .def("")},
                         {"modules", array_of("Layers this step approximates (noise steps): all, conv, linear, depthwise, "
                                              "or layer names; the others stay exact",
                                              string("alias or layer name"))
                                         .def(nlohmann::json::array({"all"}))},
                         {"config", map_of("The step program's settings (baseline: the trainer schema; quantize, retrain, "
                                           "noise, sample, match, sensitivity, assign, search, rank, prune: the schema of that name)",
                                           any_value("setting"))},
                         {"threads", integer("Threads for the step's job, per task (the SLURM profile asks "
                                             "sbatch --cpus-per-task=threads)")
                                         .def(2)
                                         .min(1)
                                         .max(1024)},
                         {"mem_mb", integer("Memory for the step's job (MB)").def(4000).min(1)},
                         {"runtime", integer("Wall-time limit for the step's job (minutes)").def(120).min(1)},
                         {"gpu", integer("GPUs for the step's job (the SLURM profile asks sbatch --gpus=N)").def(0).min(0).max(64)},
                         {"gpu_model", string("GPU model for the step's job, e.g. a100 (sbatch --gpus=MODEL:N); "
                                              "letters, digits, '_' and '.'; empty: any")
                                           .def("")},
                         {"tasks", integer("Processes that train the step's model data-parallel (training steps; more "
                                           "than 1: MPI ranks, started by srun on a cluster, by mpirun locally)")
                                       .def(1)
                                       .min(1)
                                       .max(65536)},
                         {"nodes", integer("Nodes for the step's job (sbatch --nodes); its tasks are spread over them")
                                       .def(1)
                                       .min(1)
                                       .max(10000)}}))
            .def(nlohmann::json::array())},
       {"group_jobs", boolean("On a cluster, run the short steps after a training step (sample, match, deploy, "
                              "assign, sensitivity, evaluations) in that training step's job, not one job each")
                          .def(true)},
       {"sweep", map_of("Values to sweep: seed, model, or <step>.<setting> (e.g. noise.lambda); every combination is "
                        "one sweep point; upstream artifacts that do not depend on a swept key are shared",
                        array_of("values", any_value("value")))}});
  return spec;
}

}  // namespace axnn
