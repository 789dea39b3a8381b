#include "io/h5.h"

#include <algorithm>
#include <numeric>

#include <fmt/format.h>

#include "core/error.h"

namespace axnn::h5 {

template <> const H5::PredType& type_of<float>() { return H5::PredType::NATIVE_FLOAT; }
template <> const H5::PredType& type_of<double>() { return H5::PredType::NATIVE_DOUBLE; }
template <> const H5::PredType& type_of<int8_t>() { return H5::PredType::NATIVE_INT8; }
template <> const H5::PredType& type_of<uint8_t>() { return H5::PredType::NATIVE_UINT8; }
template <> const H5::PredType& type_of<int16_t>() { return H5::PredType::NATIVE_INT16; }
template <> const H5::PredType& type_of<uint16_t>() { return H5::PredType::NATIVE_UINT16; }
template <> const H5::PredType& type_of<int32_t>() { return H5::PredType::NATIVE_INT32; }
template <> const H5::PredType& type_of<int64_t>() { return H5::PredType::NATIVE_INT64; }
template <> const H5::PredType& type_of<uint64_t>() { return H5::PredType::NATIVE_UINT64; }

namespace {

H5::StrType utf8_string_type() {
  H5::StrType t(H5::PredType::C_S1, H5T_VARIABLE);
  t.setCset(H5T_CSET_UTF8);
  return t;
}

// Attributes are rewritten in place by deleting any old one first.
template <typename T>
void write_scalar_attr(H5::H5Object& obj, const std::string& name, T value) {
  if (obj.attrExists(name)) obj.removeAttr(name);
  H5::Attribute a = obj.createAttribute(name, type_of<T>(), H5::DataSpace(H5S_SCALAR));
  a.write(type_of<T>(), &value);
}

// The C++ wrappers take their own reference to an id; drop the one the C call handed us.
template <typename Object>
Object adopt(hid_t id) {
  Object obj(id);
  H5Idec_ref(id);
  return obj;
}

H5::Attribute open_attr(const H5::H5Object& obj, const std::string& name) {
  if (!obj.attrExists(name)) throw InputError(fmt::format("missing attribute '{}'", name));
  return obj.openAttribute(name);
}

void attr_callback(H5::H5Object&, const H5std_string name, void* data) {
  static_cast<std::vector<std::string>*>(data)->push_back(name);
}

}  // namespace

bool has_attr(const H5::H5Object& obj, const std::string& name) { return obj.attrExists(name); }

void write_attr(H5::H5Object& obj, const std::string& name, const std::string& value) {
  if (obj.attrExists(name)) obj.removeAttr(name);
  H5::StrType t = utf8_string_type();
  H5::Attribute a = obj.createAttribute(name, t, H5::DataSpace(H5S_SCALAR));
  const char* p = value.c_str();
  a.write(t, &p);
}
void write_attr(H5::H5Object& obj, const std::string& name, const char* value) {
  write_attr(obj, name, std::string(value));
}
void write_attr(H5::H5Object& obj, const std::string& name, int64_t value) { write_scalar_attr(obj, name, value); }
void write_attr(H5::H5Object& obj, const std::string& name, uint64_t value) { write_scalar_attr(obj, name, value); }
void write_attr(H5::H5Object& obj, const std::string& name, int value) {
  write_scalar_attr(obj, name, static_cast<int64_t>(value));
}
void write_attr(H5::H5Object& obj, const std::string& name, double value) { write_scalar_attr(obj, name, value); }
// HDF5 has no bool; store 0/1 as int8 like h5py does for numpy bools stored as integers.
void write_attr(H5::H5Object& obj, const std::string& name, bool value) {
  write_scalar_attr(obj, name, static_cast<int8_t>(value ? 1 : 0));
}
void write_json_attr(H5::H5Object& obj, const std::string& name, const nlohmann::json& value) {
  write_attr(obj, name, value.dump());
}

std::string read_string_attr(const H5::H5Object& obj, const std::string& name) {
  H5::Attribute a = open_attr(obj, name);
  if (a.getTypeClass() != H5T_STRING)
    throw InputError(fmt::format("attribute '{}' is not a string", name));
  H5::StrType t = a.getStrType();
  std::string out;
  a.read(t, out);  // handles variable and fixed length
  // Fixed-length strings may carry trailing NULs.
  out.erase(std::find(out.begin(), out.end(), '\0'), out.end());
  return out;
}

int64_t read_int_attr(const H5::H5Object& obj, const std::string& name) {
  H5::Attribute a = open_attr(obj, name);
  if (a.getTypeClass() != H5T_INTEGER) throw InputError(fmt::format("attribute '{}' is not an integer", name));
  int64_t v = 0;
  a.read(H5::PredType::NATIVE_INT64, &v);
  return v;
}

double read_double_attr(const H5::H5Object& obj, const std::string& name) {
  H5::Attribute a = open_attr(obj, name);
  if (a.getTypeClass() != H5T_FLOAT && a.getTypeClass() != H5T_INTEGER)
    throw InputError(fmt::format("attribute '{}' is not a number", name));
  double v = 0;
  a.read(H5::PredType::NATIVE_DOUBLE, &v);
  return v;
}

nlohmann::json read_json_attr(const H5::H5Object& obj, const std::string& name) {
  std::string text = read_string_attr(obj, name);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(fmt::format("attribute '{}' is not valid JSON: {}", name, e.what()));
  }
}

nlohmann::json read_attrs(const H5::H5Object& obj) {
  std::vector<std::string> names;
  const_cast<H5::H5Object&>(obj).iterateAttrs(attr_callback, nullptr, &names);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& name : names) {
    H5::Attribute a = obj.openAttribute(name);
    H5::DataSpace space = a.getSpace();
    if (space.getSimpleExtentNpoints() != 1) {
      out[name] = fmt::format("<array of {}>", space.getSimpleExtentNpoints());
      continue;
    }
    switch (a.getTypeClass()) {
      case H5T_STRING: {
        std::string s = read_string_attr(obj, name);
        bool structured = !s.empty() && (s.front() == '{' || s.front() == '[');
        out[name] = structured ? nlohmann::json::parse(s, nullptr, false) : nlohmann::json(s);
        if (out[name].is_discarded()) out[name] = s;
        break;
      }
      case H5T_INTEGER: out[name] = read_int_attr(obj, name); break;
      case H5T_FLOAT: out[name] = read_double_attr(obj, name); break;
      default: out[name] = "<unsupported type>";
    }
  }
  return out;
}

Shape dataset_shape(const H5::DataSet& ds) {
  H5::DataSpace space = ds.getSpace();
  Shape shape(static_cast<size_t>(space.getSimpleExtentNdims()));
  space.getSimpleExtentDims(shape.data());
  return shape;
}

size_t checked_element_count(const H5::DataSet& ds, const std::string& name, size_t element_size) {
  // A declared size the file cannot back (a chunked dataset with no chunks written, a shape whose
  // product overflows) would allocate what no axnn file holds: deflate keeps at most ~1000:1, so more
  // than that over the stored bytes is refused before allocating.
  size_t count = 1;
  for (hsize_t d : dataset_shape(ds))
    if (__builtin_mul_overflow(count, static_cast<size_t>(d), &count)) count = SIZE_MAX;
  const double bytes = static_cast<double>(count) * static_cast<double>(element_size);
  const double stored = static_cast<double>(ds.getStorageSize());
  if (count == SIZE_MAX || (bytes > (1 << 20) && bytes > 1100.0 * stored))
    throw InputError(fmt::format("dataset '{}' declares {} values ({:.3g} bytes) but stores only {:.0f} bytes", name,
                                 count == SIZE_MAX ? std::string("too many") : std::to_string(count), bytes, stored));
  return count;
}

size_t element_count(const Shape& shape) {
  return std::accumulate(shape.begin(), shape.end(), size_t{1}, [](size_t a, hsize_t b) { return a * b; });
}

bool exists(const H5::Group& loc, const std::string& path) {
  // Walk component by component: H5Lexists fails on a missing intermediate.
  size_t pos = 0;
  while (true) {
    size_t next = path.find('/', pos);
    std::string prefix = path.substr(0, next);
    if (!prefix.empty() && prefix != "/" && H5Lexists(loc.getId(), prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (next == std::string::npos) return true;
    pos = next + 1;
  }
}

H5::Group open_group(const H5::Group& loc, const std::string& path) {
  if (!exists(loc, path)) throw InputError(fmt::format("/{}: missing (the file names it, but has no such group)", path));
  if (loc.childObjType(path) != H5O_TYPE_GROUP) throw InputError(fmt::format("/{}: not a group", path));
  return loc.openGroup(path);
}

H5::Group ensure_group(H5::Group& loc, const std::string& path) {
  if (exists(loc, path)) return loc.openGroup(path);
  H5::LinkCreatPropList lcpl;
  lcpl.setCreateIntermediateGroup(true);
  hid_t id = H5Gcreate2(loc.getId(), path.c_str(), lcpl.getId(), H5P_DEFAULT, H5P_DEFAULT);
  if (id < 0) throw Error(fmt::format("cannot create HDF5 group '{}'", path));
  return adopt<H5::Group>(id);
}

template <typename T>
H5::DataSet write_dataset(H5::Group& loc, const std::string& path, const T* data, const Shape& shape,
                          const DatasetOptions& options) {
  H5::DataSpace space(static_cast<int>(shape.size()), shape.data());
  H5::DSetCreatPropList dcpl;
  size_t bytes = element_count(shape) * sizeof(T);
  if (!shape.empty() && element_count(shape) > 0 && bytes >= options.compress_from_bytes) {
    // Chunks of ~256 KiB along the first axis keep partial reads (one batch) cheap.
    Shape chunk = shape;
    size_t row_bytes = bytes / shape[0];
    chunk[0] = std::clamp<hsize_t>(static_cast<hsize_t>((256 * 1024) / std::max<size_t>(row_bytes, 1)), 1, shape[0]);
    dcpl.setChunk(static_cast<int>(chunk.size()), chunk.data());
    dcpl.setShuffle();
    dcpl.setDeflate(options.deflate_level);
  }
  H5::LinkCreatPropList lcpl;
  lcpl.setCreateIntermediateGroup(true);
  hid_t id = H5Dcreate2(loc.getId(), path.c_str(), type_of<T>().getId(), space.getId(), lcpl.getId(), dcpl.getId(),
                        H5P_DEFAULT);
  if (id < 0) throw Error(fmt::format("cannot create HDF5 dataset '{}'", path));
  H5::DataSet ds = adopt<H5::DataSet>(id);
  if (element_count(shape) > 0) ds.write(data, type_of<T>());
  if (!options.description.empty()) write_attr(ds, "description", options.description);
  if (!options.unit.empty()) write_attr(ds, "unit", options.unit);
  return ds;
}

template <typename T>
std::vector<T> read_dataset(const H5::Group& loc, const std::string& path, Shape* shape) {
  // The full path in messages: "multipliers/trunc6/lut", not "lut".
  std::string group = loc.getObjName();
  const std::string full = group == "/" || group.empty() ? path : group.substr(1) + "/" + path;
  if (!exists(loc, path)) throw InputError(fmt::format("missing dataset '{}'", full));
  H5::DataSet ds = loc.openDataSet(path);
  // No silent conversion: a table stored as float or int64 would be truncated or clamped.
  const H5::DataType stored = ds.getDataType();
  const H5::PredType& wanted = type_of<T>();
  if (stored.getClass() != wanted.getClass() || stored.getSize() != wanted.getSize() ||
      (stored.getClass() == H5T_INTEGER && H5Tget_sign(stored.getId()) != H5Tget_sign(wanted.getId())))
    throw InputError(fmt::format("dataset '{}' is {}, expected {}", full, type_name(stored), type_name(wanted)));
  Shape s = dataset_shape(ds);
  const size_t count = checked_element_count(ds, full, sizeof(T));
  std::vector<T> out(count);
  if (!out.empty()) ds.read(out.data(), type_of<T>());
  if (shape) *shape = s;
  return out;
}

#define AXNN_H5_INSTANTIATE(T)                                                                                 \
  template H5::DataSet write_dataset<T>(H5::Group&, const std::string&, const T*, const Shape&,               \
                                        const DatasetOptions&);                                                \
  template std::vector<T> read_dataset<T>(const H5::Group&, const std::string&, Shape*);
AXNN_H5_INSTANTIATE(float)
AXNN_H5_INSTANTIATE(double)
AXNN_H5_INSTANTIATE(int8_t)
AXNN_H5_INSTANTIATE(uint8_t)
AXNN_H5_INSTANTIATE(int16_t)
AXNN_H5_INSTANTIATE(uint16_t)
AXNN_H5_INSTANTIATE(int32_t)
AXNN_H5_INSTANTIATE(int64_t)
AXNN_H5_INSTANTIATE(uint64_t)
#undef AXNN_H5_INSTANTIATE

std::string type_name(const H5::DataType& type) {
  switch (type.getClass()) {
    case H5T_INTEGER: {
      bool is_signed = H5Tget_sign(type.getId()) != H5T_SGN_NONE;
      return fmt::format("{}int{}", is_signed ? "" : "u", type.getSize() * 8);
    }
    case H5T_FLOAT: return fmt::format("float{}", type.getSize() * 8);
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    case H5T_ENUM: return "enum";
    default: return "other";
  }
}

void silence_hdf5_errors() { H5::Exception::dontPrint(); }

}  // namespace axnn::h5
