// CUDA table kernels. GEMM: a 128x64 output tile per block of 512 threads (4x4 outputs each), the
// int16 table in shared memory (128 KiB) and int8 operand tiles staged per 32 k. Depthwise: one
// block per (image, channel, row tile), with only that channel's kh*kw table columns in shared memory.
// Every output is summed in k order by one thread: bit-exact with the CPU reference.
#include <cuda_runtime.h>

#include <algorithm>
#include <stdexcept>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/lut_gemm_cuda.h"

namespace axnn::kernels {
namespace {

constexpr int kTileM = 128, kTileN = 64, kTileK = 32;
constexpr int kThreadsX = 16, kThreadsY = 32;  // 512 threads, 4x4 outputs each

template <bool kShared16>
__global__ void __launch_bounds__(kThreadsX * kThreadsY)
    lut_gemm_kernel(LutGemmArgs p, const int16_t* __restrict__ lut16) {
  extern __shared__ int16_t table[];  // 65536 entries when kShared16
  __shared__ int8_t a_tile[kTileK][kTileM + 4];
  __shared__ int8_t w_tile[kTileK][kTileN + 4];
  const int tx = threadIdx.x, ty = threadIdx.y, tid = ty * kThreadsX + tx;
  if (kShared16) {
    const int4* src = reinterpret_cast<const int4*>(lut16);
    int4* dst = reinterpret_cast<int4*>(table);
    for (int i = tid; i < 65536 * 2 / 16; i += kThreadsX * kThreadsY) dst[i] = src[i];
  }
  const int64_t m0 = static_cast<int64_t>(blockIdx.y) * kTileM, n0 = static_cast<int64_t>(blockIdx.x) * kTileN;
  int32_t acc[4][4] = {};
  for (int64_t k0 = 0; k0 < p.k; k0 += kTileK) {
    __syncthreads();
    for (int i = tid; i < kTileM * kTileK; i += kThreadsX * kThreadsY) {
      const int r = i / kTileK, q = i % kTileK;
      const int64_t m = m0 + r, k = k0 + q;
      a_tile[q][r] = (m < p.m && k < p.k) ? p.a[m * p.lda + k] : 0;
    }
    for (int i = tid; i < kTileN * kTileK; i += kThreadsX * kThreadsY) {
      const int r = i / kTileK, q = i % kTileK;
      const int64_t n = n0 + r, k = k0 + q;
      w_tile[q][r] = (n < p.n && k < p.k) ? p.w[n * p.ldw + k] : 0;
    }
    __syncthreads();
    const int kmax = p.k - k0 < kTileK ? static_cast<int>(p.k - k0) : kTileK;
    for (int q = 0; q < kmax; ++q) {
      int arow[4], wcol[4];
      for (int i = 0; i < 4; ++i) arow[i] = (a_tile[q][ty + kThreadsY * i] + 128) * 256;
      for (int j = 0; j < 4; ++j) wcol[j] = w_tile[q][tx + kThreadsX * j] + 128;
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) acc[i][j] += kShared16 ? table[arow[i] + wcol[j]] : __ldg(p.lut + arow[i] + wcol[j]);
    }
  }
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) {
      const int64_t m = m0 + ty + kThreadsY * i, n = n0 + tx + kThreadsX * j;
      if (m < p.m && n < p.n) p.c[m * p.ldc + n] = acc[i][j];
    }
}

constexpr int kDwThreads = 256;

__global__ void lut_depthwise_kernel(Conv2dShape s, const int8_t* __restrict__ x, const int8_t* __restrict__ w,
                                     const int32_t* __restrict__ lut, int32_t* __restrict__ y) {
  extern __shared__ int32_t columns[];  // kh * kw columns of 256 entries
  const int64_t plane = blockIdx.y;     // image * channels + channel
  const int64_t c = plane % s.c_in;
  const int taps = static_cast<int>(s.kh * s.kw);
  for (int i = threadIdx.x; i < taps * 256; i += blockDim.x) {
    const int tap = i / 256, a = i % 256;
    columns[i] = lut[a * 256 + (w[c * taps + tap] + 128)];
  }
  __syncthreads();
  const int64_t oh_n = s.out_h(), ow_n = s.out_w();
  const int8_t* img = x + plane * s.h * s.w;
  for (int64_t pos = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; pos < oh_n * ow_n;
       pos += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t oh = pos / ow_n, ow = pos % ow_n;
    int32_t acc = 0;
    for (int r = 0; r < s.kh; ++r)
      for (int t = 0; t < s.kw; ++t) {
        const int64_t ih = oh * s.stride_h - s.pad_h + r * s.dil_h, iw = ow * s.stride_w - s.pad_w + t * s.dil_w;
        const int a = (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) ? 0 : img[ih * s.w + iw];
        acc += columns[(r * s.kw + t) * 256 + a + 128];
      }
    y[plane * oh_n * ow_n + pos] = acc;
  }
}

}  // namespace

int cuda_device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no device" error
    return 0;
  }
  return n;
}

void lut_gemm_cuda(const LutGemmArgs& p, const int16_t* lut16, void* stream) {
  if (p.m == 0 || p.n == 0) return;
  dim3 block(kThreadsX, kThreadsY);
  dim3 grid(static_cast<unsigned>((p.n + kTileN - 1) / kTileN), static_cast<unsigned>((p.m + kTileM - 1) / kTileM));
  auto s = static_cast<cudaStream_t>(stream);
  if (lut16) {
    const int smem = 65536 * static_cast<int>(sizeof(int16_t));
    AXNN_CUDA_CHECK(cudaFuncSetAttribute(lut_gemm_kernel<true>, cudaFuncAttributeMaxDynamicSharedMemorySize, smem));
    lut_gemm_kernel<true><<<grid, block, smem, s>>>(p, lut16);
  } else {
    lut_gemm_kernel<false><<<grid, block, 0, s>>>(p, nullptr);
  }
  AXNN_CUDA_CHECK(cudaGetLastError());
}

void lut_depthwise_cuda(const Conv2dShape& shape, const int8_t* x, const int8_t* w, const int32_t* lut, int32_t* y,
                        void* stream) {
  check_conv_shape(shape);
  if (!shape.depthwise()) throw std::invalid_argument("lut_depthwise_cuda: groups must equal c_in and c_out");
  const int64_t positions = shape.out_h() * shape.out_w();
  const unsigned tiles = static_cast<unsigned>(std::min<int64_t>((positions + kDwThreads - 1) / kDwThreads, 64));
  dim3 grid(tiles, static_cast<unsigned>(shape.n * shape.c_in));
  const size_t smem = static_cast<size_t>(shape.kh * shape.kw) * 256 * sizeof(int32_t);
  if (smem > 48 * 1024)
    AXNN_CUDA_CHECK(cudaFuncSetAttribute(lut_depthwise_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                         static_cast<int>(smem)));
  lut_depthwise_kernel<<<grid, kDwThreads, smem, static_cast<cudaStream_t>(stream)>>>(shape, x, w, lut, y);
  AXNN_CUDA_CHECK(cudaGetLastError());
}

bool cuda_kernels_built() { return true; }

}  // namespace axnn::kernels
