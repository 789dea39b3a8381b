// axnn-data: import a data set's original files into a dataset artifact.
#include <spdlog/spdlog.h>

#include "cli/checks.h"
#include "cli/program.h"
#include "data/dataset.h"

int main(int argc, char** argv) {
  using namespace axnn;
  cli::Program program("axnn-data",
                       "Import a data set into a dataset artifact (HDF5): MNIST or Fashion-MNIST from a folder of IDX "
                       "files (gzipped or not), CIFAR-10 from a folder of binary batches (cifar-10-batches-bin). "
                       "Checks published checksums, carves a seeded validation split from train, and stores class "
                       "names and per-channel mean/std. See datasets/README.md for where the files come from.");
  program.add_seed_option();
  std::string name, folder, out;
  data::ImportOptions options;
  bool no_verify = false;
  program.app().add_option("dataset", name, data::data_sets().explained())->required()->check(CLI::IsMember(data::data_sets().names()));
  program.app().add_option("folder", folder, "Folder with the original files")->required();
  program.app().add_option("-o,--output", out, "Dataset artifact to write")->required();
  program.app().add_option("--val-fraction", options.val_fraction, "Share of train kept apart for validation")
      ->capture_default_str()
      ->check(cli::number_range(0.0, 0.99));
  program.app().add_option("--limit-train", options.limit_train, "Keep a seeded subset of this many training images (0: all)")
      ->check(cli::at_least(0));
  program.app().add_option("--limit-test", options.limit_test, "Keep a seeded subset of this many test images (0: all)")
      ->check(cli::at_least(0));
  program.app().add_flag("--no-verify", no_verify, "Import files whose checksum differs from the published one (warns)");
  return program.run(argc, argv, [&] {
    options.seed = program.seed();
    options.verify = !no_verify;
    std::vector<InputRef> inputs;
    data::Dataset d = data::import_dataset(name, folder, options, inputs);
    nlohmann::json config = {{"dataset", name},           {"val_fraction", options.val_fraction},
                             {"limit_train", options.limit_train}, {"limit_test", options.limit_test},
                             {"verify", options.verify}};
    data::write_dataset(out, d, program.provenance(config, inputs));
    spdlog::info("wrote {}: {} train, {} val, {} test images of {}x{}x{}, {} of {} files verified", out, d.train.n,
                 d.val.n, d.test.n, d.train.c, d.train.h, d.train.w, d.verified.size(), inputs.size());
  });
}
