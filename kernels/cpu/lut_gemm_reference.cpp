#include "kernels/lut_gemm.h"

namespace axnn::kernels {

void lut_gemm_reference(const LutGemmArgs& p) {
  for (int64_t i = 0; i < p.m; ++i) {
    for (int64_t j = 0; j < p.n; ++j) {
      int32_t acc = 0;
      for (int64_t q = 0; q < p.k; ++q) {
        int a = p.a[i * p.lda + q] + 128;
        int w = p.w[j * p.ldw + q] + 128;
        acc += p.lut[a * 256 + w];
      }
      p.c[i * p.ldc + j] = acc;
    }
  }
}

}  // namespace axnn::kernels
