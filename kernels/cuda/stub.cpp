// Built instead of the .cu files when CUDA is off: the CPU path never depends on CUDA.
#include <stdexcept>

#include "kernels/cuda/lut_gemm_cuda.h"

namespace axnn::kernels {
namespace {

[[noreturn]] void not_built() {
  throw std::runtime_error("axnn was built without CUDA kernels (AXNN_CUDA=OFF or no nvcc)");
}

}  // namespace

int cuda_device_count() { return 0; }
void lut_gemm_cuda(const LutGemmArgs&, const int16_t*, void*) { not_built(); }
void lut_depthwise_cuda(const Conv2dShape&, const int8_t*, const int8_t*, const int32_t*, int32_t*, void*) { not_built(); }
size_t lut_conv2d_cuda_workspace(const Conv2dShape&) { return 0; }
void lut_conv2d_cuda(const Conv2dShape&, const int8_t*, const int8_t*, const CudaLut&, int32_t*, void*, void*) { not_built(); }
bool cuda_kernels_built() { return false; }

}  // namespace axnn::kernels
