// The backward of a table GEMM for table-aware retraining: each operand's derivative taken from the
// multiplier's own table by differences (da, dw: 256x256, indexed like the table).
//   grad_a[m][k] = sum_n grad[m][n] * da[(A[m][k] + 128) * 256 + (W[n][k] + 128)]
//   grad_w[n][k] = sum_m grad[m][n] * dw[(A[m][k] + 128) * 256 + (W[n][k] + 128)]
// Plain pointers and strides, no torch.
#pragma once

#include <cstdint>

namespace axnn::kernels {

struct LutBackwardArgs {
  int64_t m = 0, n = 0, k = 0;
  const int8_t* a = nullptr;  // activations, m x k, row stride lda
  int64_t lda = 0;
  const int8_t* w = nullptr;  // weights, n x k, row stride ldw
  int64_t ldw = 0;
  const float* grad = nullptr;  // d loss / d C, m x n, row stride ldg
  int64_t ldg = 0;
  const float* da = nullptr;  // d lut / d a, 256 x 256
  const float* dw = nullptr;  // d lut / d w, 256 x 256
  float* grad_a = nullptr;    // m x k, row stride ldga (written; null: not wanted)
  int64_t ldga = 0;
  float* grad_w = nullptr;    // n x k, row stride ldgw (written)
  int64_t ldgw = 0;
};

// The plain reference (double accumulation): the test oracle.
void lut_gemm_backward_reference(const LutBackwardArgs& args);

// oneTBB threads over k; each k's sums run in a fixed order, so the result does not depend on the
// thread count. grad_w goes through a per-thread histogram of grad rows by activation value
// (H[a][n] = sum of grad[m][n] over rows with A[m][k] = a), then 256 x n products with dw.
void lut_gemm_backward(const LutBackwardArgs& args);

}  // namespace axnn::kernels
