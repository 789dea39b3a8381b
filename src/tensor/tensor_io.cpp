#include "tensor/tensor_io.h"

#include <torch/torch.h>

#include <fmt/format.h>

#include "core/error.h"

namespace axnn {
namespace {

template <typename T>
void write_typed(H5::Group& loc, const std::string& path, const at::Tensor& t, const h5::DatasetOptions& options) {
  h5::Shape shape(t.sizes().begin(), t.sizes().end());
  h5::write_dataset<T>(loc, path, t.data_ptr<T>(), shape, options);
}

template <typename T>
at::Tensor read_typed(const H5::Group& loc, const std::string& path, torch::Dtype dtype) {
  h5::Shape shape;
  std::vector<T> data = h5::read_dataset<T>(loc, path, &shape);
  std::vector<int64_t> sizes(shape.begin(), shape.end());
  return torch::from_blob(data.data(), sizes, dtype).clone();
}

}  // namespace

void write_tensor(H5::Group& loc, const std::string& path, const at::Tensor& tensor, const h5::DatasetOptions& options) {
  at::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
  switch (t.scalar_type()) {
    case torch::kFloat: return write_typed<float>(loc, path, t, options);
    case torch::kDouble: return write_typed<double>(loc, path, t, options);
    case torch::kInt8: return write_typed<int8_t>(loc, path, t, options);
    case torch::kUInt8: return write_typed<uint8_t>(loc, path, t, options);
    case torch::kInt16: return write_typed<int16_t>(loc, path, t, options);
    case torch::kInt32: return write_typed<int32_t>(loc, path, t, options);
    case torch::kInt64: return write_typed<int64_t>(loc, path, t, options);
    default: throw Error(fmt::format("write_tensor '{}': unsupported dtype {}", path, c10::toString(t.scalar_type())));
  }
}

at::Tensor read_tensor(const H5::Group& loc, const std::string& path) {
  if (!h5::exists(loc, path)) throw InputError(fmt::format("missing dataset '{}'", path));
  H5::DataSet ds = loc.openDataSet(path);
  H5::DataType type = ds.getDataType();
  size_t size = type.getSize();
  bool is_signed = type.getClass() == H5T_INTEGER && H5Tget_sign(type.getId()) != H5T_SGN_NONE;
  if (type.getClass() == H5T_FLOAT) {
    return size == 8 ? read_typed<double>(loc, path, torch::kDouble) : read_typed<float>(loc, path, torch::kFloat);
  }
  if (type.getClass() == H5T_INTEGER) {
    if (size == 1) return is_signed ? read_typed<int8_t>(loc, path, torch::kInt8) : read_typed<uint8_t>(loc, path, torch::kUInt8);
    if (size == 2 && is_signed) return read_typed<int16_t>(loc, path, torch::kInt16);
    if (size <= 4 && is_signed) return read_typed<int32_t>(loc, path, torch::kInt32);
    if (size == 2) return read_typed<int32_t>(loc, path, torch::kInt32);  // uint16 widened
    return read_typed<int64_t>(loc, path, torch::kInt64);
  }
  throw InputError(fmt::format("dataset '{}' has type {}, not a tensor", path, h5::type_name(type)));
}

}  // namespace axnn
