// axnn-inspect FILE...: what an artifact is, who made it from what, and what it holds.
#include <iostream>

#include <spdlog/spdlog.h>

#include "cli/program.h"
#include "core/error.h"
#include "inspect/inspect.h"
#include "inspect/model_view.h"
#include "data/dataset.h"
#include "method/matching.h"
#include "method/refs.h"
#include "method/sensitivity.h"
#include "models/model_artifact.h"
#include "prune/ranking.h"
#include "multipliers/library_io.h"
#include "train/metrics.h"

int main(int argc, char** argv) {
  axnn::cli::Program program("axnn-inspect",
                             "Show what axnn artifacts (HDF5 files) are and hold: kind, provenance (program, inputs "
                             "with hashes, config, seed) and content (datasets, per-layer tables).");
  std::vector<std::string> files;
  bool as_json = false;
  program.app().add_option("files", files, "Artifacts to inspect")->required()->check(CLI::ExistingPath);
  program.app().add_flag("--json", as_json, "Print one JSON document (a list, one entry per file) for scripts");
  bool fields = false;
  program.app().add_flag("--fields", fields,
                         "Also list the kind's declared fields (type, shape, range, unit, meaning) and check the file "
                         "against them");
  for (const axnn::KindFields* k : {&axnn::mult::library_fields(), &axnn::data::dataset_fields(),
                                    &axnn::models::model_fields(), &axnn::method::refs_fields(),
                                    &axnn::method::matching_fields(), &axnn::method::sensitivity_fields(),
                                    &axnn::train::metrics_fields(), &axnn::prune::ranking_fields()})
    axnn::register_fields(*k);
  axnn::mult::register_inspect_view();
  axnn::data::register_inspect_view();
  axnn::inspect::register_model_view();
  axnn::method::register_refs_view();
  axnn::method::register_matching_view();
  axnn::method::register_sensitivity_view();
  axnn::prune::register_ranking_view();
  return program.run(argc, argv, [&] {
    nlohmann::json all = nlohmann::json::array();
    bool failed = false;
    for (const auto& f : files) {
      try {
        nlohmann::json d = axnn::inspect::describe(f);
        if (fields) {
          const axnn::KindFields* k = axnn::registered_fields(d.value("kind", ""));
          if (!k) throw axnn::InputError(f + ": no declared fields for this kind");
          d["tables"].push_back(axnn::fields_table(*k));
          H5::H5File file(f, H5F_ACC_RDONLY);
          axnn::check_fields(file.openGroup("/"), *k, f);  // throws, naming the field, when it does not conform
          d["conforms"] = true;
        }
        if (as_json) all.push_back(d);
        else std::cout << axnn::inspect::render_text(d) << "\n";
      } catch (const axnn::UserError& e) {
        spdlog::error("{}", e.what());
        failed = true;
      }
    }
    if (as_json) std::cout << all.dump(2) << "\n";
    if (failed) throw axnn::InputError("some files could not be inspected (see above)");
  });
}
