#include "kernels/lut_backward.h"

#include <vector>

#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

namespace axnn::kernels {
namespace {

inline int64_t index(int8_t a, int8_t w) { return (int64_t{a} + 128) * 256 + (int64_t{w} + 128); }

}  // namespace

void lut_gemm_backward_reference(const LutBackwardArgs& p) {
  for (int64_t i = 0; i < p.m; ++i)
    for (int64_t kk = 0; kk < p.k; ++kk) {
      double s = 0;
      for (int64_t j = 0; j < p.n; ++j) s += double{p.grad[i * p.ldg + j]} * p.da[index(p.a[i * p.lda + kk], p.w[j * p.ldw + kk])];
      p.grad_a[i * p.ldga + kk] = static_cast<float>(s);
    }
  for (int64_t j = 0; j < p.n; ++j)
    for (int64_t kk = 0; kk < p.k; ++kk) {
      double s = 0;
      for (int64_t i = 0; i < p.m; ++i) s += double{p.grad[i * p.ldg + j]} * p.dw[index(p.a[i * p.lda + kk], p.w[j * p.ldw + kk])];
      p.grad_w[j * p.ldgw + kk] = static_cast<float>(s);
    }
}

void lut_gemm_backward(const LutBackwardArgs& p) {
  const auto n = static_cast<size_t>(p.n);
  struct Scratch {
    std::vector<float> hist;  // [256][n]
    std::vector<int32_t> wcol;  // this k's weights + 128, per channel
  };
  tbb::enumerable_thread_specific<Scratch> scratch([&] { return Scratch{std::vector<float>(256 * n), std::vector<int32_t>(n)}; });
  tbb::parallel_for(int64_t{0}, p.k, [&](int64_t kk) {
    Scratch& s = scratch.local();
    for (size_t j = 0; j < n; ++j) s.wcol[j] = p.w[static_cast<int64_t>(j) * p.ldw + kk] + 128;
    std::fill(s.hist.begin(), s.hist.end(), 0.0f);
    for (int64_t i = 0; i < p.m; ++i) {
      const int64_t a = int64_t{p.a[i * p.lda + kk]} + 128;
      const float* g = p.grad + i * p.ldg;
      const float* da_row = p.da + a * 256;
      float* h = s.hist.data() + a * static_cast<int64_t>(n);
      if (p.grad_a) {
        float acc = 0;
        for (size_t j = 0; j < n; ++j) {
          acc += g[j] * da_row[s.wcol[j]];
          h[j] += g[j];
        }
        p.grad_a[i * p.ldga + kk] = acc;
      } else {
        for (size_t j = 0; j < n; ++j) h[j] += g[j];
      }
    }
    for (size_t j = 0; j < n; ++j) {
      float acc = 0;
      for (int64_t a = 0; a < 256; ++a) acc += s.hist[static_cast<size_t>(a) * n + j] * p.dw[a * 256 + s.wcol[j]];
      p.grad_w[static_cast<int64_t>(j) * p.ldgw + kk] = acc;
    }
  });
}

}  // namespace axnn::kernels
