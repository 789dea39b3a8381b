// Thin typed helpers over the HDF5 C++ API: string/number/JSON attributes and n-d datasets that
// h5dump and h5py read naturally (UTF-8 variable-length strings, native numeric types).
#pragma once

#include <H5Cpp.h>

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace axnn::h5 {

using Shape = std::vector<hsize_t>;

// HDF5 type of a C++ element type (float, double, int8..int64, uint8, uint16).
template <typename T>
const H5::PredType& type_of();

// ---- attributes (on a file, group or dataset) ----
bool has_attr(const H5::H5Object& obj, const std::string& name);
void write_attr(H5::H5Object& obj, const std::string& name, const std::string& value);
void write_attr(H5::H5Object& obj, const std::string& name, const char* value);
void write_attr(H5::H5Object& obj, const std::string& name, int64_t value);
void write_attr(H5::H5Object& obj, const std::string& name, uint64_t value);
void write_attr(H5::H5Object& obj, const std::string& name, double value);
void write_attr(H5::H5Object& obj, const std::string& name, bool value);
void write_attr(H5::H5Object& obj, const std::string& name, int value);
// Stored as a string attribute holding the JSON text (readable with h5dump -A).
void write_json_attr(H5::H5Object& obj, const std::string& name, const nlohmann::json& value);

std::string read_string_attr(const H5::H5Object& obj, const std::string& name);
int64_t read_int_attr(const H5::H5Object& obj, const std::string& name);
double read_double_attr(const H5::H5Object& obj, const std::string& name);
nlohmann::json read_json_attr(const H5::H5Object& obj, const std::string& name);
// Every attribute of an object as JSON (strings that parse as JSON objects/arrays are expanded).
nlohmann::json read_attrs(const H5::H5Object& obj);

// ---- datasets ----
struct DatasetOptions {
  std::string description;  // stored as attribute "description"
  std::string unit;         // stored as attribute "unit" when not empty
  // Chunk and deflate when the data is at least this many bytes (small data stays contiguous).
  size_t compress_from_bytes = 64 * 1024;
  int deflate_level = 4;
};

// Creates `path` (intermediate groups included) under `loc` and writes `data` with `shape`.
template <typename T>
H5::DataSet write_dataset(H5::Group& loc, const std::string& path, const T* data, const Shape& shape,
                          const DatasetOptions& options = {});

template <typename T>
H5::DataSet write_dataset(H5::Group& loc, const std::string& path, const std::vector<T>& data, const Shape& shape,
                          const DatasetOptions& options = {}) {
  return write_dataset(loc, path, data.data(), shape, options);
}

// Reads a whole dataset converted to T; `shape` receives its dimensions. Throws InputError naming
// `path` when it is missing.
template <typename T>
std::vector<T> read_dataset(const H5::Group& loc, const std::string& path, Shape* shape = nullptr);

Shape dataset_shape(const H5::DataSet& ds);
// The dataset's element count, after checking that the file can back it: InputError naming `name` when
// the declared size overflows or exceeds ~1000 times the bytes stored (what no compression reaches).
size_t checked_element_count(const H5::DataSet& ds, const std::string& name, size_t element_size);
size_t element_count(const Shape& shape);
bool exists(const H5::Group& loc, const std::string& path);
// The group at `path`; InputError naming it when it is missing or not a group (a layer name of
// layer_names without its group, an edited file).
H5::Group open_group(const H5::Group& loc, const std::string& path);
H5::Group ensure_group(H5::Group& loc, const std::string& path);

// A short readable name of a dataset's element type ("float32", "int32", "string", ...).
std::string type_name(const H5::DataType& type);

// Silences HDF5's own error stack printing; axnn reports errors itself.
void silence_hdf5_errors();

}  // namespace axnn::h5
