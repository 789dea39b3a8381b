// The name of a CUDA device ("NVIDIA H100 80GB HBM3"), for provenance. Kept apart so that only its
// .cpp sees CUDA headers.
#pragma once

#include <string>

namespace axnn {

// "" in a build without the CUDA kernels.
std::string cuda_device_name(int device);

}  // namespace axnn
