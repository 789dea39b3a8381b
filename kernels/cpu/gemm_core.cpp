#include "kernels/cpu/gemm_core.h"

#include <atomic>
#include <cstring>
#include <vector>

#include <tbb/parallel_for.h>

namespace axnn::kernels {
namespace detail {
namespace {

std::atomic<bool> g_force_portable{false};

int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

}  // namespace

bool cpu_has_avx512_vbmi() {
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vbmi");
  return has;
}

bool use_avx512(const PreparedLut& lut) { return lut.fits_int16() && cpu_has_avx512_vbmi() && !g_force_portable; }

// Weight-stationary: one table column per weight, reused over the block's rows.
void inner_portable(const uint8_t* packed, int64_t ld, int64_t rows, int64_t k, const int8_t* w, int64_t ldw,
                    int64_t n, const PreparedLut& lut, int32_t* acc) {
  for (int64_t j = 0; j < n; ++j) {
    int32_t* out = acc + j * ld;
    for (int64_t q = 0; q < k; ++q) {
      const int32_t* col = lut.column(w[j * ldw + q]);
      const uint8_t* idx = packed + q * ld;
      for (int64_t r = 0; r < rows; ++r) out[r] += col[idx[r]];
    }
  }
}

namespace {

// Bit 7 of each byte of the result is set where that byte of x is a core outlier: outside [64, 192)
// exactly when its bits 7 and 6 are equal.
inline uint64_t outlier_bits(uint64_t x) { return ~(x ^ (x << 1)) & 0x8080808080808080ULL; }

}  // namespace

IndexRange choose_range(uint8_t* packed, int64_t k, int64_t ld, std::vector<Outlier>& outliers) {
  outliers.clear();
  const size_t size = static_cast<size_t>(k * ld), words = size / 8;  // ld is a multiple of 64
  uint64_t all = ~uint64_t{0};
  size_t count = 0;
  for (size_t i = 0; i < words; ++i) {
    uint64_t x;
    std::memcpy(&x, packed + i * 8, 8);
    all &= x;
    count += static_cast<size_t>(__builtin_popcountll(outlier_bits(x)));
  }
  if ((all & 0x8080808080808080ULL) == 0x8080808080808080ULL) return IndexRange::Upper;
  if (count * kCoreOutlierDivisor > size) return IndexRange::Full;
  for (size_t i = 0; i < words && outliers.size() < count; ++i) {
    uint64_t x;
    std::memcpy(&x, packed + i * 8, 8);
    for (uint64_t bits = outlier_bits(x); bits != 0; bits &= bits - 1) {
      const size_t at = i * 8 + static_cast<size_t>(__builtin_ctzll(bits)) / 8;
      outliers.push_back({static_cast<int64_t>(at) / ld, static_cast<int64_t>(at) % ld, packed[at]});
      packed[at] = 128;
    }
  }
  return IndexRange::Core;
}

namespace {

// Exact correction of the outliers looked up as a = 0: add lut[a][w] - lut[0][w] for every column.
void correct_outliers(const std::vector<Outlier>& outliers, const int8_t* w, int64_t ldw, int64_t n,
                      const PreparedLut& lut, int32_t* acc, int64_t ld) {
  for (const Outlier& o : outliers)
    for (int64_t j = 0; j < n; ++j) {
      const int32_t* col = lut.column(w[j * ldw + o.q]);
      acc[j * ld + o.r] += col[o.byte] - col[128];
    }
}

}  // namespace

void run_block(const GemmProblem& p, const PreparedLut& lut, int64_t m0, int64_t rows) {
  const int64_t ld = round_up(rows, kLanes);
  // Per-thread buffers, reused across blocks (no allocation per block once grown).
  thread_local std::vector<uint8_t> packed;
  thread_local std::vector<int32_t> acc;
  thread_local std::vector<Outlier> outliers;
  packed.assign(static_cast<size_t>(p.k * ld), 128);  // unused lanes: a = 0
  acc.assign(static_cast<size_t>(p.n * ld), 0);
  p.pack(m0, rows, packed.data(), ld);
  if (use_avx512(lut)) {
    const IndexRange range = choose_range(packed.data(), p.k, ld, outliers);
    inner_avx512(packed.data(), ld, rows, p.k, p.w, p.ldw, p.n, lut, acc.data(), range);
    correct_outliers(outliers, p.w, p.ldw, p.n, lut, acc.data(), ld);
  } else {
    inner_portable(packed.data(), ld, rows, p.k, p.w, p.ldw, p.n, lut, acc.data());
  }
  for (int64_t r = 0; r < rows; ++r) {
    int32_t* out = p.c + p.row_offset(m0 + r);
    for (int64_t j = 0; j < p.n; ++j) out[j * p.c_stride_n] = acc[j * ld + r];
  }
}

}  // namespace detail

void force_portable_kernels(bool on) { detail::g_force_portable = on; }

std::string cpu_kernel_isa() { return detail::cpu_has_avx512_vbmi() && !detail::g_force_portable ? "avx512-vbmi" : "portable"; }

void lut_gemm(const LutGemmArgs& a, const PreparedLut& lut) {
  detail::GemmProblem p;
  p.m = a.m;
  p.n = a.n;
  p.k = a.k;
  p.w = a.w;
  p.ldw = a.ldw;
  p.c = a.c;
  p.c_stride_m = a.ldc;
  p.c_stride_n = 1;
  p.pack = [&a](int64_t m0, int64_t rows, uint8_t* packed, int64_t ld) {
    for (int64_t r = 0; r < rows; ++r) {
      const int8_t* row = a.a + (m0 + r) * a.lda;
      for (int64_t q = 0; q < a.k; ++q) packed[q * ld + r] = static_cast<uint8_t>(row[q] ^ 0x80);
    }
  };
  const detail::Blocks blocks(a.m);
  tbb::parallel_for(int64_t{0}, blocks.count, [&](int64_t b) {
    const int64_t m0 = blocks.begin(b, a.m);
    detail::run_block(p, lut, m0, blocks.end(b, a.m) - m0);
  });
}

}  // namespace axnn::kernels
