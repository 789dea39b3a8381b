#include "data/dataset.h"

#include <cmath>
#include <map>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.h"
#include "core/hash.h"
#include "io/record.h"
#include "io/views.h"
#include "io/h5.h"

namespace fs = std::filesystem;

namespace axnn::data {
namespace {

// Published checksums of the original files, by data set and file name. MNIST: the MD5s of the
// gzipped files as published with the data set, and of the uncompressed files; Fashion-MNIST: SHA-256 of the gzipped files of
// Debian 12's dataset-fashion-mnist (Debian recompressed them, so upstream's MD5s do not apply).
const std::map<std::string, std::map<std::string, std::string>>& known_checksums() {
  static const std::map<std::string, std::map<std::string, std::string>> k = {
      {"mnist",
       {{"train-images-idx3-ubyte.gz", "md5:f68b3c2dcbeaaa9fbdd348bbdeb94873"},
        {"train-labels-idx1-ubyte.gz", "md5:d53e105ee54ea40749a09fcbcd1e9432"},
        {"t10k-images-idx3-ubyte.gz", "md5:9fb629c4189551a2d022fa330f9573f3"},
        {"t10k-labels-idx1-ubyte.gz", "md5:ec29112dd5afa0611ce80d1b7f02629c"},
        // the same files uncompressed (what datasets/fetch_mnist.py writes)
        {"train-images-idx3-ubyte", "md5:6bbc9ace898e44ae57da46a324031adb"},
        {"train-labels-idx1-ubyte", "md5:a25bea736e30d166cdddb491f175f624"},
        {"t10k-images-idx3-ubyte", "md5:2646ac647ad5339dbf082846283269ea"},
        {"t10k-labels-idx1-ubyte", "md5:27ae3e4e09519cfbb04c329615203637"}}},
      {"fashion-mnist",
       {{"train-images-idx3-ubyte.gz", "sha256:b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7"},
        {"train-labels-idx1-ubyte.gz", "sha256:0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"},
        {"t10k-images-idx3-ubyte.gz", "sha256:cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"},
        {"t10k-labels-idx1-ubyte.gz", "sha256:8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"}}}};
  return k;
}

const std::vector<std::string> kMnistClasses = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
const std::vector<std::string> kFashionClasses = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                  "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

// Checks a source file against its published checksum; returns whether it was verified.
bool verify_file(const std::string& dataset, const std::string& path, const InputRef& ref, bool strict) {
  auto ds = known_checksums().find(dataset);
  std::string file = fs::path(path).filename().string();
  if (ds == known_checksums().end() || !ds->second.count(file)) {
    spdlog::warn("{}: no published checksum known for this file; its hash is recorded ({})", path, ref.hash);
    return false;
  }
  const std::string& want = ds->second.at(file);
  const std::string got = want.rfind("md5:", 0) == 0 ? md5_file(path) : ref.hash;
  if (got == want) return true;
  std::string msg = fmt::format("{}: checksum {} differs from the published {}", path, got, want);
  if (strict) throw InputError(msg + " (use --no-verify to import it anyway)");
  spdlog::warn("{}", msg);
  return false;
}

// Seeded Fisher-Yates with mt19937_64, so the split is the same on every platform.
std::vector<int64_t> permutation(int64_t n, uint64_t seed) {
  std::vector<int64_t> idx(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) idx[static_cast<size_t>(i)] = i;
  std::mt19937_64 rng(seed);
  for (int64_t i = n - 1; i > 0; --i) std::swap(idx[static_cast<size_t>(i)], idx[rng() % static_cast<uint64_t>(i + 1)]);
  return idx;
}

Split take(const Split& s, const std::vector<int64_t>& rows) {
  Split out;
  out.c = s.c, out.h = s.h, out.w = s.w, out.n = static_cast<int64_t>(rows.size());
  const size_t image = static_cast<size_t>(s.c * s.h * s.w);
  out.images.reserve(rows.size() * image);
  for (int64_t r : rows) {
    out.images.insert(out.images.end(), s.images.begin() + static_cast<std::ptrdiff_t>(r * image),
                      s.images.begin() + static_cast<std::ptrdiff_t>((r + 1) * image));
    out.labels.push_back(s.labels[static_cast<size_t>(r)]);
  }
  return out;
}

void channel_stats(const Split& s, std::vector<double>& mean, std::vector<double>& stdev) {
  const size_t plane = static_cast<size_t>(s.h * s.w);
  mean.assign(static_cast<size_t>(s.c), 0.0);
  stdev.assign(static_cast<size_t>(s.c), 0.0);
  for (int64_t c = 0; c < s.c; ++c) {
    long double sum = 0, sq = 0;
    for (int64_t i = 0; i < s.n; ++i) {
      const uint8_t* p = s.images.data() + (static_cast<size_t>(i * s.c + c)) * plane;
      for (size_t j = 0; j < plane; ++j) {
        sum += p[j];
        sq += static_cast<long double>(p[j]) * p[j];
      }
    }
    const long double count = static_cast<long double>(s.n) * plane;
    const long double m = sum / count;
    mean[static_cast<size_t>(c)] = static_cast<double>(m / 255.0L);
    stdev[static_cast<size_t>(c)] = static_cast<double>(std::sqrt(std::max(sq / count - m * m, 0.0L)) / 255.0L);
  }
}

// What training and evaluation rely on: classes, a usable normalisation, labels in range, non-empty
// train and test splits of one image shape.
void check_content(const Dataset& d) {
  if (d.classes.empty()) throw InputError("attribute classes: no classes");
  if (d.mean.size() != static_cast<size_t>(d.train.c) || d.std.size() != static_cast<size_t>(d.train.c))
    throw InputError(fmt::format("attributes mean/std: {} and {} values for {} channels", d.mean.size(), d.std.size(),
                                 d.train.c));
  for (size_t c = 0; c < d.std.size(); ++c)
    if (!std::isfinite(d.mean[c]) || !std::isfinite(d.std[c]) || !(d.std[c] > 0))
      throw InputError(fmt::format("attributes mean/std: channel {} has mean {} and std {} (std must be finite and > 0)",
                                   c, d.mean[c], d.std[c]));
  for (const auto* s : {&d.train, &d.val, &d.test}) {
    const char* name = s == &d.train ? "train" : s == &d.val ? "val" : "test";
    if (s->n == 0 && s != &d.val) throw InputError(fmt::format("{}: the split is empty", name));
    if (s->n > 0 && (s->c != d.train.c || s->h != d.train.h || s->w != d.train.w))
      throw InputError(fmt::format("{}/images: shape differs from train/images", name));
    for (size_t i = 0; i < s->labels.size(); ++i)
      if (s->labels[i] < 0 || static_cast<size_t>(s->labels[i]) >= d.classes.size())
        throw InputError(fmt::format("{}/labels[{}] is {}, outside the {} classes 0..{}", name, i, s->labels[i],
                                     d.classes.size(), d.classes.size() - 1));
  }
}

}  // namespace

Split seeded_subset(const Split& s, int64_t n, uint64_t seed) {
  std::vector<int64_t> rows = permutation(s.n, seed);
  if (n < s.n) rows.resize(static_cast<size_t>(std::max<int64_t>(n, 0)));
  std::sort(rows.begin(), rows.end());
  return take(s, rows);
}

const config::Choice<DataSet>& data_sets() {
  static const config::Choice<DataSet> choice(
      "data set", {{"mnist", DataSet::Mnist, "handwritten digits, 28x28 grey"},
                   {"fashion-mnist", DataSet::FashionMnist, "Zalando's clothing images, 28x28 grey"},
                   {"cifar10", DataSet::Cifar10, "32x32 colour images in 10 classes"}});
  return choice;
}

const config::Choice<SplitName>& splits() {
  static const config::Choice<SplitName> choice(
      "split", {{"train", SplitName::Train, "the training images (less the validation share)"},
                {"val", SplitName::Val, "the validation images, carved from train by a seeded fraction"},
                {"test", SplitName::Test, "the test images"}});
  return choice;
}

const Split& split(const Dataset& d, SplitName name) {
  switch (name) {
    case SplitName::Train: return d.train;
    case SplitName::Val: return d.val;
    case SplitName::Test: return d.test;
  }
  throw std::logic_error("split: a split without images");
}

Dataset import_dataset(const std::string& name, const std::string& folder, const ImportOptions& o,
                       std::vector<InputRef>& inputs) {
  if (!fs::is_directory(folder)) throw InputError(fmt::format("{}: no such folder", folder));
  if (!(o.val_fraction >= 0.0 && o.val_fraction < 1.0))
    throw UsageError(fmt::format("--val-fraction: expected 0 <= f < 1, got {}", o.val_fraction));
  Dataset d;
  d.name = name;
  Split train, test;
  std::vector<std::string> files;
  switch (data_sets().parse<UsageError>(name)) {
    case DataSet::Mnist:
    case DataSet::FashionMnist:
      read_mnist_folder(folder, 10, train, test, files);
      d.classes = name == "mnist" ? kMnistClasses : kFashionClasses;
      break;
    case DataSet::Cifar10: read_cifar10_folder(folder, train, test, d.classes, files); break;
  }
  for (const auto& f : files) {
    inputs.push_back(input_ref(f));
    if (verify_file(name, f, inputs.back(), o.verify)) d.verified.push_back(fs::path(f).filename().string());
  }
  std::vector<int64_t> order = permutation(train.n, o.seed);
  if (o.limit_train > 0 && o.limit_train < train.n) order.resize(static_cast<size_t>(o.limit_train));
  const auto val_n = static_cast<int64_t>(std::llround(o.val_fraction * static_cast<double>(order.size())));
  d.val = take(train, {order.begin(), order.begin() + val_n});
  std::vector<int64_t> rest(order.begin() + val_n, order.end());
  std::sort(rest.begin(), rest.end());  // keep the original order inside the training split
  d.train = take(train, rest);
  std::vector<int64_t> test_rows = permutation(test.n, o.seed + 1);
  if (o.limit_test > 0 && o.limit_test < test.n) test_rows.resize(static_cast<size_t>(o.limit_test));
  std::sort(test_rows.begin(), test_rows.end());
  d.test = take(test, test_rows);
  if (d.train.n == 0) throw UsageError("the training split is empty (check --limit-train and --val-fraction)");
  channel_stats(d.train, d.mean, d.std);
  return d;
}

namespace {

// Every field bound to its member, once: the declaration, the writer and the reader.
const Record<Split>& split_record() {
  static const Record<Split> record =
      Record<Split>()
          .data(&Split::images, dataset("images", FieldType::UInt8, {-1, -1, -1, -1}, "images N x C x H x W, pixel values 0..255"),
                [](const Split& s) {
                  return h5::Shape{static_cast<hsize_t>(s.n), static_cast<hsize_t>(s.c), static_cast<hsize_t>(s.h),
                                   static_cast<hsize_t>(s.w)};
                },
                [](Split& s, const h5::Shape& shape) {  // four dimensions: checked when the file was opened
                  s.n = static_cast<int64_t>(shape[0]), s.c = static_cast<int64_t>(shape[1]);
                  s.h = static_cast<int64_t>(shape[2]), s.w = static_cast<int64_t>(shape[3]);
                })
          .data(&Split::labels, dataset("labels", FieldType::Int32, {-1}, "class index per image").min(0),
                [](const Split& s) { return h5::Shape{static_cast<hsize_t>(s.n)}; });
  return record;
}

const Record<Dataset>& dataset_record() {
  static const Record<Dataset> record =
      Record<Dataset>()
          .attr(&Dataset::name, attr("name", FieldType::String, "mnist, fashion-mnist or cifar10"))
          .attr(&Dataset::classes, attr("classes", FieldType::Json, "class names").json("array"))
          .computed(attr("num_classes", FieldType::Int, "number of classes").min(1),
                    [](const Dataset& d) { return static_cast<int64_t>(d.classes.size()); })
          .attr(&Dataset::mean, attr("mean", FieldType::Json, "per-channel mean of the training pixels in [0, 1]").json("array"))
          .attr(&Dataset::std, attr("std", FieldType::Json, "per-channel std of the training pixels in [0, 1]").json("array"))
          .attr(&Dataset::verified,
                attr("verified_files", FieldType::Json, "files whose checksum matched a published one").json("array"))
          .group("train", [](auto& d) -> auto& { return d.train; }, split_record())
          .group("val", [](auto& d) -> auto& { return d.val; }, split_record())
          .group("test", [](auto& d) -> auto& { return d.test; }, split_record())
          .check(check_content);
  return record;
}

}  // namespace

const KindFields& dataset_fields() {
  static const KindFields fields{kDatasetKind, kDatasetSchemaVersion, dataset_record().fields()};
  return fields;
}

void write_dataset(const std::string& path, const Dataset& d, const Provenance& provenance) {
  write_record(path, dataset_fields(), dataset_record(), d, provenance);
}

Dataset read_dataset(const std::string& path) { return read_record(path, dataset_fields(), dataset_record()); }

void register_inspect_view() {
  register_view(kDatasetKind, [](H5::H5File& file, nlohmann::json& d) {
    H5::Group root = file.openGroup("/");
    auto classes = h5::read_json_attr(root, "classes").get<std::vector<std::string>>();
    nlohmann::json rows = nlohmann::json::array();
    for (const std::string& split : splits().names()) {
      std::vector<int32_t> labels = h5::read_dataset<int32_t>(root, split + "/labels");
      std::vector<int64_t> counts(classes.size(), 0);
      for (int32_t l : labels)
        if (l >= 0 && static_cast<size_t>(l) < counts.size()) ++counts[static_cast<size_t>(l)];
      nlohmann::json row = {split, labels.size()};
      for (int64_t c : counts) row.push_back(c);
      rows.push_back(row);
    }
    nlohmann::json columns = {"split", "images"};
    for (const auto& c : classes) columns.push_back(c);
    d["tables"].push_back({{"title", fmt::format("{}: images per split and class (mean {}, std {})",
                                                 h5::read_string_attr(root, "name"), h5::read_json_attr(root, "mean").dump(),
                                                 h5::read_json_attr(root, "std").dump())},
                           {"columns", columns},
                           {"rows", rows}});
  });
}

}  // namespace axnn::data
