// torch::Tensor <-> HDF5 dataset. Torch stays out of this header (forward declaration only).
#pragma once

#include <string>

#include <H5Cpp.h>

#include "io/h5.h"

namespace at {
class Tensor;
}

namespace axnn {

// Writes a contiguous CPU copy of `t` (float32/64, int8/16/32/64, uint8) at `path` under `loc`,
// chunked and compressed when large.
void write_tensor(H5::Group& loc, const std::string& path, const at::Tensor& t, const h5::DatasetOptions& options = {});

// Reads a dataset into a CPU tensor of the dataset's own element type and shape.
at::Tensor read_tensor(const H5::Group& loc, const std::string& path);

}  // namespace axnn
