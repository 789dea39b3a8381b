#include "data/sources.h"

#include <zlib.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "core/error.h"

namespace fs = std::filesystem;

namespace axnn::data {
namespace {

// The whole (decompressed) content; gzread reads plain files unchanged.
std::vector<uint8_t> read_maybe_gzipped(const std::string& path) {
  if (!fs::is_regular_file(path)) throw InputError(fmt::format("{}: no such file", path));
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw InputError(fmt::format("{}: cannot open", path));
  std::vector<uint8_t> out;
  std::vector<uint8_t> buf(1 << 20);
  int n = 0;
  while ((n = gzread(f, buf.data(), static_cast<unsigned>(buf.size()))) > 0) out.insert(out.end(), buf.begin(), buf.begin() + n);
  int err = 0;
  const char* msg = gzerror(f, &err);
  const std::string what = msg ? msg : "unknown error";  // gzerror's text lives in f: copy before gzclose
  gzclose(f);
  if (n < 0 || (err != Z_OK && err != Z_STREAM_END))
    throw InputError(fmt::format("{}: corrupt gzip data ({})", path, what));
  return out;
}

uint32_t big_endian_u32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

std::string find_file(const std::string& folder, const std::string& stem) {
  for (const char* ext : {".gz", ""}) {
    fs::path p = fs::path(folder) / (stem + ext);
    if (fs::is_regular_file(p)) return p.string();
  }
  throw InputError(fmt::format("{}: missing {} (or {}.gz)", folder, stem, stem));
}

Split mnist_split(const std::string& images_path, const std::string& labels_path, int num_classes) {
  IdxArray images = read_idx(images_path), labels = read_idx(labels_path);
  if (images.dims.size() != 3) throw InputError(fmt::format("{}: expected 3-d images, got {}-d", images_path, images.dims.size()));
  if (labels.dims.size() != 1) throw InputError(fmt::format("{}: expected 1-d labels", labels_path));
  if (images.dims[0] != labels.dims[0])
    throw InputError(fmt::format("{} has {} images but {} has {} labels", images_path, images.dims[0], labels_path,
                                 labels.dims[0]));
  Split s;
  s.n = images.dims[0], s.c = 1, s.h = images.dims[1], s.w = images.dims[2];
  s.images = std::move(images.data);
  for (uint8_t l : labels.data) {
    if (l >= num_classes) throw InputError(fmt::format("{}: label {} out of range 0..{}", labels_path, l, num_classes - 1));
    s.labels.push_back(l);
  }
  return s;
}

void append_cifar_batch(const std::string& path, Split& s) {
  constexpr size_t kRecord = 1 + 3 * 32 * 32;
  std::vector<uint8_t> bytes = read_maybe_gzipped(path);
  if (bytes.empty() || bytes.size() % kRecord != 0)
    throw InputError(fmt::format("{}: {} bytes is not a whole number of 3073-byte CIFAR-10 records", path, bytes.size()));
  s.c = 3, s.h = 32, s.w = 32;
  for (size_t r = 0; r < bytes.size() / kRecord; ++r) {
    const uint8_t* rec = bytes.data() + r * kRecord;
    if (rec[0] > 9) throw InputError(fmt::format("{}: record {} has label {}, expected 0..9", path, r, rec[0]));
    s.labels.push_back(rec[0]);
    s.images.insert(s.images.end(), rec + 1, rec + kRecord);
    ++s.n;
  }
}

}  // namespace

IdxArray read_idx(const std::string& path) {
  std::vector<uint8_t> bytes = read_maybe_gzipped(path);
  if (bytes.size() < 4) throw InputError(fmt::format("{}: too short for an IDX header", path));
  if (bytes[0] != 0 || bytes[1] != 0)
    throw InputError(fmt::format("{}: not an IDX file (bad magic {:02x}{:02x})", path, bytes[0], bytes[1]));
  if (bytes[2] != 0x08) throw InputError(fmt::format("{}: IDX element type 0x{:02x}, expected unsigned bytes (0x08)", path, bytes[2]));
  const int ndim = bytes[3];
  if (ndim < 1 || ndim > 4) throw InputError(fmt::format("{}: IDX with {} dimensions", path, ndim));
  const size_t header = 4 + 4 * static_cast<size_t>(ndim);
  if (bytes.size() < header) throw InputError(fmt::format("{}: truncated IDX header", path));
  IdxArray a;
  size_t count = 1;
  for (int d = 0; d < ndim; ++d) {
    a.dims.push_back(big_endian_u32(bytes.data() + 4 + 4 * d));
    count *= static_cast<size_t>(a.dims.back());
  }
  if (bytes.size() - header < count)
    throw InputError(fmt::format("{}: truncated: header promises {} bytes of data, file has {}", path, count,
                                 bytes.size() - header));
  a.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.begin() + static_cast<std::ptrdiff_t>(header + count));
  return a;
}

void read_mnist_folder(const std::string& folder, int num_classes, Split& train, Split& test,
                       std::vector<std::string>& files) {
  std::string tri = find_file(folder, "train-images-idx3-ubyte"), trl = find_file(folder, "train-labels-idx1-ubyte");
  std::string tei = find_file(folder, "t10k-images-idx3-ubyte"), tel = find_file(folder, "t10k-labels-idx1-ubyte");
  files = {tri, trl, tei, tel};
  train = mnist_split(tri, trl, num_classes);
  test = mnist_split(tei, tel, num_classes);
}

void read_cifar10_folder(const std::string& folder, Split& train, Split& test, std::vector<std::string>& class_names,
                         std::vector<std::string>& files) {
  for (int b = 1; b <= 5; ++b) files.push_back(find_file(folder, fmt::format("data_batch_{}.bin", b)));
  files.push_back(find_file(folder, "test_batch.bin"));
  for (int b = 0; b < 5; ++b) append_cifar_batch(files[static_cast<size_t>(b)], train);
  append_cifar_batch(files[5], test);
  class_names = {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
  fs::path meta = fs::path(folder) / "batches.meta.txt";
  if (fs::is_regular_file(meta)) {
    std::ifstream in(meta);
    std::vector<std::string> names;
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) names.push_back(line);
    if (names.size() == 10) class_names = names;
  }
}

}  // namespace axnn::data
