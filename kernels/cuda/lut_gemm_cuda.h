// CUDA table GEMM (device pointers, explicit stream). Only C++ declarations: no CUDA headers, so
// code built without nvcc can include it; calling it in such a build throws.
#pragma once

#include "lut_gemm.h"

namespace axnn::kernels {

// Same contract as lut_gemm_reference, with a, w, lut and c in device memory; `stream` is a
// cudaStream_t (nullptr: the default stream). Deterministic: each output is summed in k order.
void lut_gemm_cuda(const LutGemmArgs& args, void* stream);

}  // namespace axnn::kernels
