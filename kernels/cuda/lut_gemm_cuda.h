// CUDA table kernels (device pointers, explicit stream): the counterparts of lut_gemm.h's CPU entries,
// same names with _cuda. Only C++ declarations: no CUDA headers, so code built without nvcc can
// include it; calling them in such a build throws (cuda/stub.cpp).
#pragma once

#include <cstddef>

#include "kernels/lut_gemm.h"

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

// A table on the device: the int32 table, and its int16 copy when every entry fits (nullptr if not;
// the kernels then read the int32 table through the read-only cache).
struct CudaLut {
  const int32_t* lut = nullptr;
  const int16_t* lut16 = nullptr;
};

// Device bytes lut_conv2d_cuda needs as workspace for shape s (0 for depthwise shapes).
size_t lut_conv2d_cuda_workspace(const Conv2dShape& s);

// Same contract as lut_conv2d on device memory (x NCHW int8, w [c_out][c_in / groups][kh][kw] int8,
// y NCHW int32): depthwise shapes take lut_depthwise_cuda, the others im2col into `workspace` and one
// table GEMM per group. All launches on `stream`.
void lut_conv2d_cuda(const Conv2dShape& s, const int8_t* x, const int8_t* w, const CudaLut& lut, int32_t* y,
                     void* workspace, void* stream);

}  // namespace axnn::kernels
