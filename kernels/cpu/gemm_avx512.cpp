// AVX-512 VBMI inner kernel (this file alone is compiled with -mavx512f -mavx512bw -mavx512vbmi; it
// runs only after a run-time CPU check).
//
// For each output column n and each k, the weight W[n][k] selects a 256-entry int16 table column,
// stored as a low-byte and a high-byte plane of 256 bytes (4 zmm each). Looking up 64 activation
// index bytes in a 256-byte plane takes four merge-masked vpermb, one per 64-entry quadrant (index
// bits 6-7 pick the quadrant; the masks are shared by both planes). vpermb does not overwrite its
// table operand, so the table registers are reused across the block's vectors without copies
// (measured ~20% faster here than two vpermt2b and a blend, which need those copies). The looked-up bytes are summed per lane in 16 bits without unpacking:
// `raw` adds whole words (low lane + 256 * high lane, mod 2^16) and `odd` adds the high lanes
// alone; at the flush, even = raw - 256 * odd (mod 2^16) is exact because the true sums stay below
// 2^16 for at most 256 k. The high plane is biased by +128 (unsigned), corrected at the flush.
//
// Post-ReLU blocks (every activation >= 0, so every index byte >= 128) need only the upper two
// quadrants of each plane: two vpermb per plane instead of four, and half the table loads. Core
// blocks (|a| <= 63, bytes in [64, 192)) need only the middle two, the same saving; the driver takes
// a block's few outliers out before and corrects them after. Both are decided after packing, so the
// paths are exact by construction.
#include <immintrin.h>

#include <algorithm>


#include "kernels/cpu/gemm_core.h"

namespace axnn::kernels::detail {
namespace {

struct Plane {
  __m512i t0, t1, t2, t3;
};

inline Plane load_plane(const uint8_t* p) {
  return {_mm512_loadu_si512(p), _mm512_loadu_si512(p + 64), _mm512_loadu_si512(p + 128), _mm512_loadu_si512(p + 192)};
}

struct Quadrants {
  __mmask64 b6, b7, b76;  // index bit 6, bit 7, both
};

inline Quadrants quadrants(__m512i idx) {
  const __mmask64 b7 = _mm512_movepi8_mask(idx);
  const __mmask64 b6 = _mm512_movepi8_mask(_mm512_add_epi8(idx, idx));
  return {b6, b7, _kand_mask64(b6, b7)};
}

// Four merge-masked vpermb (64 entries each, non-destructive): later quadrants overwrite lanes.
inline __m512i lookup(const Plane& t, __m512i idx, const Quadrants& q) {
  __m512i r = _mm512_permutexvar_epi8(idx, t.t0);
  r = _mm512_mask_permutexvar_epi8(r, q.b6, idx, t.t1);
  r = _mm512_mask_permutexvar_epi8(r, q.b7, idx, t.t2);
  return _mm512_mask_permutexvar_epi8(r, q.b76, idx, t.t3);
}

// Adds the 16-bit sums of one vector (64 lanes) into acc[0..63] as int32 in lane order.
inline void flush(__m512i raw_lo, __m512i odd_lo, __m512i raw_hi, __m512i odd_hi, int64_t count, int32_t* acc) {
  const __m512i even_lo = _mm512_sub_epi16(raw_lo, _mm512_slli_epi16(odd_lo, 8));
  const __m512i even_hi = _mm512_sub_epi16(raw_hi, _mm512_slli_epi16(odd_hi, 8));
  // Interleave even/odd words back into lane order: lanes 0..31 and 32..63.
  alignas(64) static const uint16_t first[32] = {0,  32, 1,  33, 2,  34, 3,  35, 4,  36, 5,  37, 6,  38, 7,  39,
                                                 8,  40, 9,  41, 10, 42, 11, 43, 12, 44, 13, 45, 14, 46, 15, 47};
  alignas(64) static const uint16_t second[32] = {16, 48, 17, 49, 18, 50, 19, 51, 20, 52, 21, 53, 22, 54, 23, 55,
                                                  24, 56, 25, 57, 26, 58, 27, 59, 28, 60, 29, 61, 30, 62, 31, 63};
  const __m512i i0 = _mm512_load_si512(first), i1 = _mm512_load_si512(second);
  const __m512i lo[2] = {_mm512_permutex2var_epi16(even_lo, i0, odd_lo), _mm512_permutex2var_epi16(even_lo, i1, odd_lo)};
  const __m512i hi[2] = {_mm512_permutex2var_epi16(even_hi, i0, odd_hi), _mm512_permutex2var_epi16(even_hi, i1, odd_hi)};
  const __m512i bias = _mm512_set1_epi32(static_cast<int32_t>(-32768 * count));
  for (int h = 0; h < 2; ++h) {
    for (int q = 0; q < 2; ++q) {
      __m512i l = _mm512_cvtepu16_epi32(q ? _mm512_extracti64x4_epi64(lo[h], 1) : _mm512_castsi512_si256(lo[h]));
      __m512i u = _mm512_cvtepu16_epi32(q ? _mm512_extracti64x4_epi64(hi[h], 1) : _mm512_castsi512_si256(hi[h]));
      __m512i v = _mm512_add_epi32(_mm512_add_epi32(_mm512_slli_epi32(u, 8), l), bias);
      int32_t* dst = acc + h * 32 + q * 16;
      _mm512_storeu_si512(dst, _mm512_add_epi32(_mm512_loadu_si512(dst), v));
    }
  }
}

// Two adjacent quadrants: `low` where the mask is clear, `high` where it is set (Upper: quadrants 2
// and 3 by index bit 6; Core: quadrants 1 and 2 by bit 7).
inline __m512i lookup_two(__m512i low, __m512i high, __m512i idx, __mmask64 high_lanes) {
  return _mm512_mask_permutexvar_epi8(_mm512_permutexvar_epi8(idx, low), high_lanes, idx, high);
}

// One chunk of at most 256 k for `V` vectors of 64 rows, looking up the quadrants `Range` allows.
template <int V, IndexRange Range>
void chunk(const uint8_t* packed, int64_t ld, int64_t k0, int64_t kc, const int8_t* w, int64_t ldw, int64_t n,
           const PreparedLut& lut, int32_t* acc) {
  for (int64_t j = 0; j < n; ++j) {
    __m512i raw_lo[V], odd_lo[V], raw_hi[V], odd_hi[V];
    for (int v = 0; v < V; ++v) raw_lo[v] = odd_lo[v] = raw_hi[v] = odd_hi[v] = _mm512_setzero_si512();
    const int8_t* wj = w + j * ldw;
    for (int64_t q = k0; q < k0 + kc; ++q) {
      const uint8_t* planes = lut.planes(wj[q]);
      const uint8_t* idx_row = packed + q * ld;
      Plane plo, phi;
      if constexpr (Range == IndexRange::Full) {
        plo = load_plane(planes), phi = load_plane(planes + 256);
      } else {
        constexpr int first = Range == IndexRange::Upper ? 128 : 64;  // byte offset of the lower quadrant
        plo.t0 = _mm512_loadu_si512(planes + first), plo.t1 = _mm512_loadu_si512(planes + first + 64);
        phi.t0 = _mm512_loadu_si512(planes + 256 + first), phi.t1 = _mm512_loadu_si512(planes + 256 + first + 64);
      }
      for (int v = 0; v < V; ++v) {
        const __m512i idx = _mm512_loadu_si512(idx_row + v * kLanes);
        __m512i l, h;
        if constexpr (Range != IndexRange::Full) {
          const __mmask64 high = Range == IndexRange::Upper ? _mm512_movepi8_mask(_mm512_add_epi8(idx, idx))
                                                            : _mm512_movepi8_mask(idx);
          l = lookup_two(plo.t0, plo.t1, idx, high), h = lookup_two(phi.t0, phi.t1, idx, high);
        } else {
          const Quadrants quad = quadrants(idx);
          l = lookup(plo, idx, quad), h = lookup(phi, idx, quad);
        }
        raw_lo[v] = _mm512_add_epi16(raw_lo[v], l);
        odd_lo[v] = _mm512_add_epi16(odd_lo[v], _mm512_srli_epi16(l, 8));
        raw_hi[v] = _mm512_add_epi16(raw_hi[v], h);
        odd_hi[v] = _mm512_add_epi16(odd_hi[v], _mm512_srli_epi16(h, 8));
      }
    }
    for (int v = 0; v < V; ++v) flush(raw_lo[v], odd_lo[v], raw_hi[v], odd_hi[v], kc, acc + j * ld + v * kLanes);
  }
}

template <IndexRange Range>
void blocks(const uint8_t* packed, int64_t ld, int64_t k, const int8_t* w, int64_t ldw, int64_t n, const PreparedLut& lut,
            int32_t* acc) {
  const int64_t vectors = ld / kLanes;
  for (int64_t k0 = 0; k0 < k; k0 += kChunkK) {
    const int64_t kc = std::min(kChunkK, k - k0);
    for (int64_t v0 = 0; v0 < vectors;) {
      const uint8_t* pv = packed + v0 * kLanes;
      int32_t* av = acc + v0 * kLanes;
      switch (std::min<int64_t>(vectors - v0, kBlockVectors)) {
        case 3: chunk<3, Range>(pv, ld, k0, kc, w, ldw, n, lut, av); v0 += 3; break;
        case 2: chunk<2, Range>(pv, ld, k0, kc, w, ldw, n, lut, av); v0 += 2; break;
        default: chunk<1, Range>(pv, ld, k0, kc, w, ldw, n, lut, av); v0 += 1; break;
      }
    }
  }
}

}  // namespace

void inner_avx512(const uint8_t* packed, int64_t ld, int64_t rows, int64_t k, const int8_t* w, int64_t ldw, int64_t n,
                  const PreparedLut& lut, int32_t* acc, IndexRange range) {
  (void)rows;  // every lane of the padded block is computed; unused lanes hold a = 0
  switch (range) {
    case IndexRange::Upper: blocks<IndexRange::Upper>(packed, ld, k, w, ldw, n, lut, acc); break;
    case IndexRange::Core: blocks<IndexRange::Core>(packed, ld, k, w, ldw, n, lut, acc); break;
    case IndexRange::Full: blocks<IndexRange::Full>(packed, ld, k, w, ldw, n, lut, acc); break;
  }
}

void depthwise_row_avx512(const uint8_t* in, const int64_t* offsets, const uint8_t* const* planes, int64_t taps,
                          int32_t* out, int64_t count) {
  __m512i raw_lo = _mm512_setzero_si512(), odd_lo = raw_lo, raw_hi = raw_lo, odd_hi = raw_lo;
  for (int64_t tap = 0; tap < taps; ++tap) {
    const __m512i idx = _mm512_loadu_si512(in + offsets[tap]);  // 64 output positions' inputs for this tap
    const Quadrants quad = quadrants(idx);
    const __m512i l = lookup(load_plane(planes[tap]), idx, quad), h = lookup(load_plane(planes[tap] + 256), idx, quad);
    raw_lo = _mm512_add_epi16(raw_lo, l);
    odd_lo = _mm512_add_epi16(odd_lo, _mm512_srli_epi16(l, 8));
    raw_hi = _mm512_add_epi16(raw_hi, h);
    odd_hi = _mm512_add_epi16(odd_hi, _mm512_srli_epi16(h, 8));
  }
  alignas(64) int32_t acc[kLanes] = {};
  flush(raw_lo, odd_lo, raw_hi, odd_hi, taps, acc);
  std::copy(acc, acc + count, out);
}

}  // namespace axnn::kernels::detail
