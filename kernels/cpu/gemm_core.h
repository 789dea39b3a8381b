// The blocked table-GEMM driver shared by GEMM and convolution: a task packs a block of activation
// rows k-major as index bytes (a + 128), runs the inner kernel over every output column, and
// writes the int32 results through strides.
#pragma once

#include <cstdint>
#include <algorithm>
#include <functional>
#include <vector>

#include "kernels/lut_gemm.h"

namespace axnn::kernels::detail {

constexpr int64_t kLanes = 64;      // activation rows per vector
constexpr int64_t kBlockVectors = 3; // at most 3 vectors (192 rows) per block: accumulators stay in registers
constexpr int64_t kChunkK = 128;    // k per inner chunk: fits L1, and <= 256 keeps 16-bit sums exact

// Fills packed[k * ld + r] = A(m0 + r, k) + 128 for r < rows; lanes rows..ld-1 are never read.
using Packer = std::function<void(int64_t m0, int64_t rows, uint8_t* packed, int64_t ld)>;

// One GEMM problem: m rows (from the packer), n output columns with weights w (n x k, stride ldw),
// results at c[m * c_stride_m + n * c_stride_n]. With rows_per_image > 0 the rows are several images'
// (a batch of small convolutions in one problem): row m is image m / rows_per_image, at
// c[(m / rows_per_image) * image_stride + (m % rows_per_image) * c_stride_m + n * c_stride_n].
struct GemmProblem {
  int64_t m = 0, n = 0, k = 0;
  Packer pack;
  const int8_t* w = nullptr;
  int64_t ldw = 0;
  int32_t* c = nullptr;
  int64_t c_stride_m = 0, c_stride_n = 0;
  int64_t rows_per_image = 0, image_stride = 0;
  int64_t row_offset(int64_t row) const {
    return rows_per_image > 0 ? row / rows_per_image * image_stride + row % rows_per_image * c_stride_m : row * c_stride_m;
  }
};

// Splits m rows into blocks of whole vectors, as even as possible (e.g. 16 vectors -> 3,3,3,3,2,2).
struct Blocks {
  int64_t count, vectors;
  explicit Blocks(int64_t m) : count(0), vectors((m + kLanes - 1) / kLanes) {
    count = (vectors + kBlockVectors - 1) / kBlockVectors;
  }
  int64_t begin(int64_t b, int64_t m) const { return std::min(m, b * vectors / count * kLanes); }
  int64_t end(int64_t b, int64_t m) const { return std::min(m, (b + 1) * vectors / count * kLanes); }
};

// Runs a block of rows [m0, m0 + rows) of `p` on the calling thread.
void run_block(const GemmProblem& p, const PreparedLut& lut, int64_t m0, int64_t rows);

// Inner kernels: acc[n * ld + r] (int32, zeroed by the caller) += sum over k of lookups.
void inner_portable(const uint8_t* packed, int64_t ld, int64_t rows, int64_t k, const int8_t* w, int64_t ldw,
                    int64_t n, const PreparedLut& lut, int32_t* acc);
// Which quadrants of the 256-entry index a block's packed bytes use: Full (any), Upper (every byte
// >= 128: post-ReLU, a >= 0) or Core (every byte in [64, 192): |a| <= 63 after outliers are taken
// out). Upper and Core need two of the four lookups per plane.
enum class IndexRange { Full, Upper, Core };
void inner_avx512(const uint8_t* packed, int64_t ld, int64_t rows, int64_t k, const int8_t* w, int64_t ldw,
                  int64_t n, const PreparedLut& lut, int32_t* acc, IndexRange range);
// Depthwise, stride 1: out[i] = sum over taps of lut[in[offsets[tap] + i]][w_tap] for i < count
// (<= 64), planes[tap] = lut.planes(w_tap); reads 64 bytes at every in + offsets[tap]; taps <= 128.
void depthwise_row_avx512(const uint8_t* in, const int64_t* offsets, const uint8_t* const* planes, int64_t taps,
                          int32_t* out, int64_t count);
// The 7-bit core range: an activation outside |a| <= 63 (a packed byte outside [64, 192)).
inline bool core_outlier(uint8_t b) { return static_cast<uint8_t>(b - 64) >= 128; }
// A block takes the core path when at most one in this many packed bytes is an outlier. Each outlier
// costs n scalar corrections while the path saves two vpermb per plane and 64 rows: measured on
// conv_resnet_s1, 3.6 % outliers made the block 1.34x slower than the full path, break-even is near
// 1.8 %, so 0.4 % keeps a clear gain.
constexpr int64_t kCoreOutlierDivisor = 256;
struct Outlier {
  int64_t q, r;  // k index and row lane in the block
  uint8_t byte;  // a + 128
};
// Picks a packed block's (k x ld bytes) lookup range. A Core block's outliers are listed and replaced
// by a = 0 in `packed`; the driver adds lut[a][w] - lut[0][w] for each after the lookups.
IndexRange choose_range(uint8_t* packed, int64_t k, int64_t ld, std::vector<Outlier>& outliers);
bool cpu_has_avx512_vbmi();
bool use_avx512(const PreparedLut& lut);

}  // namespace axnn::kernels::detail
