#include "tensor/gpu_name.h"

#if AXNN_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif

namespace axnn {

#if AXNN_WITH_CUDA
std::string cuda_device_name(int device) { return at::cuda::getDeviceProperties(device)->name; }
#else
std::string cuda_device_name(int) { return ""; }
#endif

}  // namespace axnn
