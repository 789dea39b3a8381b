// Depthwise convolution (groups == c_in == c_out): per image and channel, the channel's kh*kw table
// columns (int32, ~9 KiB for 3x3) stay in L1 and every output sums its taps from a padded copy of
// the channel's plane. No im2col, and no per-channel GEMM set-up, which dominated the generic path.
// With AVX-512 VBMI and stride 1, a row's outputs go 64 at a time: per tap, one vector load of the
// 64 inputs and the same byte-plane vpermb lookups as the GEMM kernel (gemm_avx512.cpp).
#include <tbb/parallel_for.h>

#include <vector>

#include "kernels/cpu/depthwise.h"
#include "kernels/cpu/gemm_core.h"

namespace axnn::kernels::detail {

void lut_depthwise(const Conv2dShape& s, const int8_t* x, const int8_t* w, const PreparedLut& lut, int32_t* y) {
  const int64_t taps = s.kh * s.kw, oh_n = s.out_h(), ow_n = s.out_w();
  const int64_t hp = s.h + 2 * s.pad_h, wp = s.w + 2 * s.pad_w;
  // Stride-1 rows go 64 outputs at a time through vpermb lookups (AVX-512 VBMI, int16 tables).
  const bool vector_rows = use_avx512(lut) && s.stride_w == 1 && taps <= kChunkK;
  tbb::parallel_for(int64_t{0}, s.n * s.c_in, [&](int64_t plane) {
    const int64_t c = plane % s.c_in;
    // Index bytes a + 128 of the padded plane; padding is a = 0 (index 128). 64 bytes of slack let
    // the vector path read whole vectors past a row's end. Per-thread buffers, reused across planes.
    thread_local std::vector<uint8_t> padded;
    thread_local std::vector<const int32_t*> cols;
    thread_local std::vector<const uint8_t*> planes;
    thread_local std::vector<int64_t> offsets;
    padded.assign(static_cast<size_t>(hp * wp + kLanes), 128);
    const int8_t* src = x + plane * s.h * s.w;
    for (int64_t ih = 0; ih < s.h; ++ih)
      for (int64_t iw = 0; iw < s.w; ++iw)
        padded[(ih + s.pad_h) * wp + iw + s.pad_w] = static_cast<uint8_t>(src[ih * s.w + iw] ^ 0x80);
    cols.resize(static_cast<size_t>(taps));
    planes.resize(static_cast<size_t>(taps));
    offsets.resize(static_cast<size_t>(taps));
    for (int64_t r = 0; r < s.kh; ++r)
      for (int64_t t = 0; t < s.kw; ++t) {
        const int8_t wv = w[c * taps + r * s.kw + t];
        cols[r * s.kw + t] = lut.column(wv);
        planes[r * s.kw + t] = lut.planes(wv);
        offsets[r * s.kw + t] = r * s.dil_h * wp + t * s.dil_w;
      }
    int32_t* out = y + plane * oh_n * ow_n;
    for (int64_t oh = 0; oh < oh_n; ++oh) {
      const uint8_t* base = padded.data() + oh * s.stride_h * wp;
      if (vector_rows) {
        for (int64_t ow = 0; ow < ow_n; ow += kLanes)
          depthwise_row_avx512(base + ow, offsets.data(), planes.data(), taps, out + oh * ow_n + ow, std::min(kLanes, ow_n - ow));
        continue;
      }
      for (int64_t ow = 0; ow < ow_n; ++ow) {
        const uint8_t* in = base + ow * s.stride_w;
        int32_t acc = 0;  // summed in registers over the taps
        for (int64_t tap = 0; tap < taps; ++tap) acc += cols[tap][in[offsets[tap]]];
        out[oh * ow_n + ow] = acc;
      }
    }
  });
}

}  // namespace axnn::kernels::detail
