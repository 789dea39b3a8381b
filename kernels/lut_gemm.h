// Table GEMM and convolution: the products of an approximate 8-bit multiplier, looked up in its
// 256x256 table, accumulated in int32.
//   C[m][n] = sum_k lut[(A[m][k] + 128) * 256 + (W[n][k] + 128)]
// Row index = activation operand, column index = weight operand (tables are not symmetric).
// Plain pointers and strides: no torch here, so every backend and test can use it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

// Shape helpers are shared by host and device code.
#if defined(__CUDACC__)
#define AXNN_HOST_DEVICE __host__ __device__
#else
#define AXNN_HOST_DEVICE
#endif

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

// A table prepared once per layer for the optimised kernels: one column per weight value, stored
// as int16 low/high byte planes when every entry fits int16 (the fast path), else as int32.
class PreparedLut {
 public:
  explicit PreparedLut(const int32_t* lut);
  bool fits_int16() const { return fits_int16_; }
  // 512 bytes for weight w: lo[x] = T & 0xff, hi[x] = (T >> 8) + 128, T = lut[x][w + 128] (x = a + 128).
  const uint8_t* planes(int w) const { return planes_.data() + static_cast<size_t>(w + 128) * 512; }
  // 256 int32 for weight w: lut[x][w + 128] for x = a + 128.
  const int32_t* column(int w) const { return columns_.data() + static_cast<size_t>(w + 128) * 256; }

 private:
  bool fits_int16_ = false;
  std::vector<uint8_t> planes_;
  std::vector<int32_t> columns_;
};

// Optimised CPU table GEMM (oneTBB threads; AVX-512 VBMI byte-permute lookups when the CPU has them
// and the table fits int16, else a portable weight-stationary loop). Bit-exact with the reference.
void lut_gemm(const LutGemmArgs& args, const PreparedLut& lut);

// 2-D convolution shape (NCHW input, [c_out][c_in / groups][kh][kw] weights, NCHW output).
struct Conv2dShape {
  int64_t n = 1, c_in = 1, h = 1, w = 1;
  int64_t c_out = 1, kh = 1, kw = 1;
  int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dil_h = 1, dil_w = 1, groups = 1;
  AXNN_HOST_DEVICE int64_t out_h() const { return (h + 2 * pad_h - dil_h * (kh - 1) - 1) / stride_h + 1; }
  AXNN_HOST_DEVICE int64_t out_w() const { return (w + 2 * pad_w - dil_w * (kw - 1) - 1) / stride_w + 1; }
  AXNN_HOST_DEVICE int64_t fan_in() const { return c_in / groups * kh * kw; }
  AXNN_HOST_DEVICE bool depthwise() const { return groups == c_in && c_out == c_in; }
};

// Checks a shape (positive sizes, channels divisible by groups, non-empty output); throws
// std::invalid_argument naming what is wrong.
void check_conv_shape(const Conv2dShape& s);

// Padding passes through the multiplier as an activation a = 0: it contributes lut[128][w + 128].
void lut_conv2d_reference(const Conv2dShape& s, const int8_t* x, const int8_t* w, const int32_t* lut, int32_t* y);

// Optimised: fused im2col into the table GEMM, per image and group; depthwise convs take a path of
// their own (one channel's plane at a time, no im2col of other channels).
void lut_conv2d(const Conv2dShape& s, const int8_t* x, const int8_t* w, const PreparedLut& lut, int32_t* y);

// Which CPU path lut_gemm/lut_conv2d take on this machine: "avx512-vbmi" or "portable".
std::string cpu_kernel_isa();
// Forces the portable path (tests compare both paths against the reference).
void force_portable_kernels(bool on);

// Whether this build has the CUDA kernels (they may still find no GPU at run time).
bool cuda_kernels_built();

}  // namespace axnn::kernels
