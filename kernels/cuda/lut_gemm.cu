// CUDA table GEMM: the 256x256 table lives in shared memory, operand tiles are staged as int8.
// Each thread owns one output and sums its k terms in order, so results are bit-identical to the
// CPU reference and do not depend on launch configuration.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "cuda/lut_gemm_cuda.h"

namespace axnn::kernels {
namespace {

constexpr int kTile = 16;   // outputs per block edge
constexpr int kTileK = 64;  // k slice staged per step

#define AXNN_CUDA_CHECK(expr)                                                                   \
  do {                                                                                          \
    cudaError_t err_ = (expr);                                                                  \
    if (err_ != cudaSuccess)                                                                    \
      throw std::runtime_error(std::string("CUDA error: ") + cudaGetErrorString(err_) + " at " #expr); \
  } while (0)

__global__ void lut_gemm_kernel(LutGemmArgs p) {
  extern __shared__ int32_t smem[];
  int32_t* lut = smem;  // 65536 entries
  __shared__ int8_t a_tile[kTile][kTileK];
  __shared__ int8_t w_tile[kTile][kTileK];

  const int tid = threadIdx.y * kTile + threadIdx.x;
  for (int i = tid; i < 65536; i += kTile * kTile) lut[i] = p.lut[i];

  const int64_t row = static_cast<int64_t>(blockIdx.y) * kTile + threadIdx.y;
  const int64_t col = static_cast<int64_t>(blockIdx.x) * kTile + threadIdx.x;
  int32_t acc = 0;
  for (int64_t k0 = 0; k0 < p.k; k0 += kTileK) {
    __syncthreads();
    for (int q = threadIdx.x; q < kTileK; q += kTile) {
      const int64_t kk = k0 + q;
      const int64_t ar = static_cast<int64_t>(blockIdx.y) * kTile + threadIdx.y;
      const int64_t wr = static_cast<int64_t>(blockIdx.x) * kTile + threadIdx.y;
      a_tile[threadIdx.y][q] = (ar < p.m && kk < p.k) ? p.a[ar * p.lda + kk] : 0;
      w_tile[threadIdx.y][q] = (wr < p.n && kk < p.k) ? p.w[wr * p.ldw + kk] : 0;
    }
    __syncthreads();
    const int kmax = p.k - k0 < kTileK ? static_cast<int>(p.k - k0) : kTileK;
    for (int q = 0; q < kmax; ++q)
      acc += lut[(a_tile[threadIdx.y][q] + 128) * 256 + (w_tile[threadIdx.x][q] + 128)];
  }
  if (row < p.m && col < p.n) p.c[row * p.ldc + col] = acc;
}

}  // namespace

void lut_gemm_cuda(const LutGemmArgs& p, void* stream) {
  if (p.m == 0 || p.n == 0) return;
  const size_t smem = 65536 * sizeof(int32_t);
  AXNN_CUDA_CHECK(cudaFuncSetAttribute(lut_gemm_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)));
  dim3 block(kTile, kTile);
  dim3 grid(static_cast<unsigned>((p.n + kTile - 1) / kTile), static_cast<unsigned>((p.m + kTile - 1) / kTile));
  lut_gemm_kernel<<<grid, block, smem, static_cast<cudaStream_t>(stream)>>>(p);
  AXNN_CUDA_CHECK(cudaGetLastError());
}

bool cuda_kernels_built() { return true; }

}  // namespace axnn::kernels
