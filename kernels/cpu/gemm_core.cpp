#include "kernels/cpu/gemm_core.h"

#include <atomic>
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

bool all_nonnegative(const uint8_t* packed, size_t size) {
  uint8_t all = 0xff;
  for (size_t i = 0; i < size; ++i) all &= packed[i];  // bit 7 survives only if every a + 128 >= 128
  return (all & 0x80) != 0;
}

void run_block(const GemmProblem& p, const PreparedLut& lut, int64_t m0, int64_t rows) {
  const int64_t ld = round_up(rows, kLanes);
  // Per-thread buffers, reused across blocks (no allocation per block once grown).
  thread_local std::vector<uint8_t> packed;
  thread_local std::vector<int32_t> acc;
  packed.assign(static_cast<size_t>(p.k * ld), 128);  // unused lanes: a = 0
  acc.assign(static_cast<size_t>(p.n * ld), 0);
  p.pack(m0, rows, packed.data(), ld);
  if (use_avx512(lut))
    inner_avx512(packed.data(), ld, rows, p.k, p.w, p.ldw, p.n, lut, acc.data(), all_nonnegative(packed.data(), packed.size()));
  else inner_portable(packed.data(), ld, rows, p.k, p.w, p.ldw, p.n, lut, acc.data());
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
