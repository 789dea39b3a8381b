// CUDA table kernels (device pointers, explicit stream). Only C++ declarations: no CUDA headers, so
// code built without nvcc can include it; calling them in such a build throws.
#pragma once

#include "lut_gemm.h"

namespace axnn::kernels {

// Number of CUDA devices this process sees (0 in a build without CUDA or on a machine without GPU).
int cuda_device_count();

// Same contract as lut_gemm_reference, with a, w, c and the tables in device memory. When `lut16`
// (the table as int16, same index order) is given, the kernel keeps it in shared memory (128 KiB);
// otherwise it reads the int32 table `args.lut` through the read-only cache. `stream` is a
// cudaStream_t (nullptr: the default stream). Deterministic: each output sums its k terms in order.
void lut_gemm_cuda(const LutGemmArgs& args, const int16_t* lut16, void* stream);

// Depthwise convolution (groups == c_in == c_out) on device memory: x NCHW int8, w [c][1][kh][kw]
// int8, lut int32 256x256, y NCHW int32. Each block keeps only the kh*kw table columns of its
// channel's weights in shared memory. Padding passes through the multiplier as a = 0.
void lut_depthwise_cuda(const Conv2dShape& shape, const int8_t* x, const int8_t* w, const int32_t* lut, int32_t* y,
                        void* stream);

}  // namespace axnn::kernels
