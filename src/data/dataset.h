// Dataset artifacts (axnn_kind = dataset): train / val / test splits of uint8 images N x C x H x W
// with int32 labels, class names and per-channel mean/std of the training split.
#pragma once

#include <string>
#include <vector>

#include "config/choice.h"
#include "data/sources.h"
#include "io/artifact.h"

namespace axnn::data {

constexpr const char* kDatasetKind = "dataset";
constexpr int kDatasetSchemaVersion = 1;
// The kind's fields, declared once (io/fields.h): checked when written and when read.
const KindFields& dataset_fields();

struct Dataset {
  std::string name;  // mnist | fashion-mnist | cifar10
  std::vector<std::string> classes;
  Split train, val, test;
  std::vector<double> mean, std;  // per channel, pixel values scaled to [0, 1], training split
  std::vector<std::string> verified;  // files whose checksum matched a published one
};

struct ImportOptions {
  double val_fraction = 0.1;  // carved from train, seeded
  uint64_t seed = 0;
  int64_t limit_train = 0, limit_test = 0;  // > 0: keep a seeded subset (small test configs)
  bool verify = true;                       // a known file whose checksum differs is an error
};

// The data sets axnn imports, with their folder layouts (see datasets/README.md): one registry.
enum class DataSet { Mnist, FashionMnist, Cifar10 };
const config::Choice<DataSet>& data_sets();

// The splits of a dataset artifact by name: train, val, test.
enum class SplitName { Train, Val, Test };
const config::Choice<SplitName>& splits();
const Split& split(const Dataset& d, SplitName name);

// Reads, checks and splits a data set from `folder`. `inputs` receives the source files with hashes.
Dataset import_dataset(const std::string& name, const std::string& folder, const ImportOptions& options,
                       std::vector<InputRef>& inputs);

void write_dataset(const std::string& path, const Dataset& d, const Provenance& provenance);

// Reads the splits (all of them; the training loop will read batches instead).
Dataset read_dataset(const std::string& path);

// Registers axnn-inspect's table for this kind: images per split and class.
void register_inspect_view();

// `n` images of `s` chosen by a seeded permutation (all of them when n >= s.n), in their original order.
Split seeded_subset(const Split& s, int64_t n, uint64_t seed);

}  // namespace axnn::data
