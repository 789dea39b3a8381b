// The artifact readers (probe, library, dataset) on structurally damaged artifacts. The input bytes
// are a list of edits applied through the HDF5 API to a valid library or dataset artifact: delete an
// attribute, dataset or group, rewrite an attribute with another type or value (JSON text included),
// replace a dataset by one of another type or shape, or write values into it. (Flipping raw bytes of
// the file instead mostly tests libhdf5's own parser, which has memory errors of its own on crafted
// files that axnn cannot fix; these edits test what axnn's readers do with what HDF5 hands them.)
#include <filesystem>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "fuzz_util.h"
#include "io/h5.h"
#include "multipliers/families.h"
#include "multipliers/library_io.h"

namespace {

using namespace axnn;

// One valid artifact of each kind, made once per process.
const std::vector<std::string>& bases() {
  static const std::vector<std::string> paths = [] {
    const std::string dir = fuzz::as_file(nullptr, 0, ".dir");
    std::filesystem::remove(dir);
    std::filesystem::create_directories(dir);
    Provenance p{"fuzz", "fuzz", {}, {}, 0, 1};
    mult::write_library(dir + "/lib.h5", mult::build_library("fuzz", {{"exact"}, {"drum", 4}}), p);
    data::Dataset d;
    d.name = "fashion-mnist";
    d.classes = {"a", "b"};
    for (data::Split* s : {&d.train, &d.val, &d.test}) {
      s->n = 3, s->c = 1, s->h = 2, s->w = 2;
      s->images.assign(12, 7);
      s->labels = {0, 1, 0};
    }
    d.mean = {0.5};
    d.std = {0.25};
    data::write_dataset(dir + "/data.h5", d, p);
    return std::vector<std::string>{dir + "/lib.h5", dir + "/data.h5"};
  }();
  return paths;
}

class Bytes {
 public:
  Bytes(const uint8_t* d, size_t n) : d_(d), n_(n) {}
  bool empty() const { return i_ >= n_; }
  uint8_t u8() { return i_ < n_ ? d_[i_++] : 0; }
  int64_t i64() {
    int64_t v = 0;
    for (int k = 0; k < 8; ++k) v = (v << 8) | u8();
    return v;
  }
  std::string str() {
    const size_t len = u8() % 48;
    std::string s;
    for (size_t k = 0; k < len && !empty(); ++k) s += static_cast<char>(u8());
    return s;
  }

 private:
  const uint8_t* d_;
  size_t n_, i_ = 0;
};

// Every object path of the file (groups and datasets), root first.
void walk(H5::Group g, const std::string& path, std::vector<std::pair<std::string, bool>>& out) {
  for (hsize_t i = 0; i < g.getNumObjs(); ++i) {
    const std::string name = g.getObjnameByIdx(i), p = path + "/" + name;
    const bool group = g.childObjType(i) == H5O_TYPE_GROUP;
    out.push_back({p, group});
    if (group) walk(g.openGroup(name), p, out);
  }
}

void edit(H5::H5File& f, Bytes& in) {
  std::vector<std::pair<std::string, bool>> objects = {{"/", true}};
  walk(f.openGroup("/"), "", objects);
  const auto& [path, is_group] = objects[in.u8() % objects.size()];
  H5::H5Object* obj = nullptr;
  H5::Group g;
  H5::DataSet ds;
  if (is_group) g = f.openGroup(path), obj = &g;
  else ds = f.openDataSet(path), obj = &ds;
  const int attrs = obj->getNumAttrs();
  switch (in.u8() % 6) {
    case 0:  // delete an attribute
      if (attrs) obj->removeAttr(obj->openAttribute(static_cast<unsigned>(in.u8() % attrs)).getName());
      break;
    case 1: {  // rewrite an attribute as a string (JSON text, a number, garbage), int or double
      if (!attrs) break;
      const std::string name = obj->openAttribute(static_cast<unsigned>(in.u8() % attrs)).getName();
      obj->removeAttr(name);
      switch (in.u8() % 3) {
        case 0: h5::write_attr(*obj, name, in.str()); break;
        case 1: h5::write_attr(*obj, name, in.i64()); break;
        default: h5::write_attr(*obj, name, static_cast<double>(in.i64()) / 7.0);
      }
      break;
    }
    case 2:  // delete the object
      if (path != "/") f.unlink(path);
      break;
    case 3: {  // replace a dataset by one of another type or shape
      if (is_group) break;
      f.unlink(path);
      H5::Group root = f.openGroup("/");
      const hsize_t n = in.u8() % 70, m = in.u8() % 300;
      switch (in.u8() % 4) {
        case 0: h5::write_dataset(root, path.substr(1), std::vector<int32_t>(n * m, static_cast<int32_t>(in.i64())), {n, m}); break;
        case 1: h5::write_dataset(root, path.substr(1), std::vector<int64_t>(n, in.i64()), {n}); break;
        case 2: h5::write_dataset(root, path.substr(1), std::vector<float>(n * m, 1.5f), {n, m}); break;
        default: h5::write_dataset(root, path.substr(1), std::vector<uint8_t>(n, in.u8()), {n});
      }
      break;
    }
    default: {  // write values into a dataset of its own type
      if (is_group) break;
      const size_t n = h5::element_count(h5::dataset_shape(ds));
      const size_t size = ds.getDataType().getSize();
      if (n == 0 || ds.getTypeClass() == H5T_STRING) break;
      std::vector<unsigned char> buf(n * size);
      ds.read(buf.data(), ds.getDataType());
      for (int k = in.u8() % 8; k >= 0 && !in.empty(); --k) {
        const size_t at = static_cast<size_t>(in.i64()) % buf.size();
        buf[at] = in.u8();
      }
      ds.write(buf.data(), ds.getDataType());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Bytes in(data, size);
  const std::string& base = bases()[in.u8() % bases().size()];
  const std::string path = fuzz::as_file(nullptr, 0, ".h5");
  std::filesystem::copy_file(base, path, std::filesystem::copy_options::overwrite_existing);
  {
    h5::silence_hdf5_errors();
    H5::H5File f(path, H5F_ACC_RDWR);
    for (int edits = 0; edits < 8 && !in.empty(); ++edits) {
      try {
        edit(f, in);
      } catch (const H5::Exception&) {  // an edit HDF5 refuses (e.g. an attribute too large): skip it
      } catch (const axnn::Error&) {
      }
    }
  }
  fuzz::expect_clean([&] { probe_artifact(path); });
  fuzz::expect_clean([&] { mult::read_library(path); });
  fuzz::expect_clean([&] { data::read_dataset(path); });
  return 0;
}
