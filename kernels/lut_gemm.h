// Table GEMM: the product of an approximate 8-bit multiplier, looked up in its 256x256 table.
//   C[m][n] = sum_k lut[(A[m][k] + 128) * 256 + (W[n][k] + 128)]     (int32 accumulation)
// Row index = activation operand, column index = weight operand (tables are not symmetric).
// Plain pointers and strides: no torch here, so every backend and test can use it.
#pragma once

#include <cstdint>

namespace axnn::kernels {

struct LutGemmArgs {
  int64_t m = 0, n = 0, k = 0;
  const int8_t* a = nullptr;  // activations, m x k, row stride lda
  int64_t lda = 0;
  const int8_t* w = nullptr;  // weights, n x k (one output channel per row), row stride ldw
  int64_t ldw = 0;
  const int32_t* lut = nullptr;  // 256 x 256, lut[(a + 128) * 256 + (w + 128)]
  int32_t* c = nullptr;          // m x n, row stride ldc
  int64_t ldc = 0;
};

// The plain reference: the test oracle for every optimised backend.
void lut_gemm_reference(const LutGemmArgs& args);

// Whether this build has the CUDA kernels (they may still find no GPU at run time).
bool cuda_kernels_built();

}  // namespace axnn::kernels
