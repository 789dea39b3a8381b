#include "nn/cuda_stream.h"

#if AXNN_WITH_CUDA
#include <c10/cuda/CUDAStream.h>
#endif

namespace axnn::nn {

#if AXNN_WITH_CUDA
void* current_cuda_stream(int device) {
  return c10::cuda::getCurrentCUDAStream(static_cast<c10::DeviceIndex>(device)).stream();
}
#else
void* current_cuda_stream(int) { return nullptr; }
#endif

}  // namespace axnn::nn
