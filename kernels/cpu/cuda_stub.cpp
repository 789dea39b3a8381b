// Built instead of the .cu files when CUDA is off: the CPU path never depends on CUDA.
#include <stdexcept>

#include "cuda/lut_gemm_cuda.h"

namespace axnn::kernels {

void lut_gemm_cuda(const LutGemmArgs&, void*) {
  throw std::runtime_error("axnn was built without CUDA kernels (AXNN_CUDA=OFF or no nvcc)");
}

bool cuda_kernels_built() { return false; }

}  // namespace axnn::kernels
