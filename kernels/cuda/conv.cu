// CUDA table convolution: the counterpart of cpu/conv.cpp. Depthwise shapes go to their own kernel;
// the others are im2col'd into the workspace (padding as a = 0), multiplied per group by the table
// GEMM, and scattered back to NCHW. Every launch is on the caller's stream.
#include <cuda_runtime.h>

#include <algorithm>
#include <stdexcept>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/lut_gemm_cuda.h"

namespace axnn::kernels {
namespace {

constexpr int kThreads = 256;

int64_t rows_of(const Conv2dShape& s) { return s.n * s.out_h() * s.out_w(); }
size_t align16(size_t bytes) { return (bytes + 15) / 16 * 16; }
unsigned blocks_for(int64_t items) {
  return static_cast<unsigned>(std::min<int64_t>((items + kThreads - 1) / kThreads, int64_t{1} << 20));
}

// rows[g][img * L + pos][k], k = (c * kh + r) * kw + t over the group's input channels.
__global__ void im2col_kernel(Conv2dShape s, const int8_t* __restrict__ x, int8_t* __restrict__ rows) {
  const int64_t kg = s.fan_in(), ow_n = s.out_w(), positions = s.out_h() * ow_n, per_group = s.n * positions * kg;
  const int64_t total = s.groups * per_group, cin_g = s.c_in / s.groups;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t g = i / per_group, row = i % per_group / kg, k = i % kg;
    const int64_t img = row / positions, oh = row % positions / ow_n, ow = row % ow_n;
    const int64_t c = g * cin_g + k / (s.kh * s.kw), r = k / s.kw % s.kh, t = k % s.kw;
    const int64_t ih = oh * s.stride_h - s.pad_h + r * s.dil_h, iw = ow * s.stride_w - s.pad_w + t * s.dil_w;
    const bool inside = ih >= 0 && ih < s.h && iw >= 0 && iw < s.w;
    rows[i] = inside ? x[((img * s.c_in + c) * s.h + ih) * s.w + iw] : int8_t{0};
  }
}

// out[g][img * L + pos][co] -> y[img][g * cout_g + co][pos]
__global__ void scatter_kernel(Conv2dShape s, const int32_t* __restrict__ out, int32_t* __restrict__ y) {
  const int64_t positions = s.out_h() * s.out_w(), cout_g = s.c_out / s.groups, total = s.n * s.c_out * positions;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t img = i / (s.c_out * positions), ch = i / positions % s.c_out, pos = i % positions;
    const int64_t g = ch / cout_g, co = ch % cout_g;
    y[i] = out[(g * s.n * positions + img * positions + pos) * cout_g + co];
  }
}

}  // namespace

size_t lut_conv2d_cuda_workspace(const Conv2dShape& s) {
  if (s.depthwise()) return 0;
  const auto rows = static_cast<size_t>(s.groups * rows_of(s));
  return align16(rows * static_cast<size_t>(s.fan_in())) + rows * static_cast<size_t>(s.c_out / s.groups) * 4;
}

void lut_conv2d_cuda(const Conv2dShape& s, const int8_t* x, const int8_t* w, const CudaLut& lut, int32_t* y,
                     void* workspace, void* stream) {
  check_conv_shape(s);
  if (s.depthwise()) return lut_depthwise_cuda(s, x, w, lut.lut, y, stream);
  if (!workspace) throw std::invalid_argument("lut_conv2d_cuda: no workspace (lut_conv2d_cuda_workspace bytes)");
  auto st = static_cast<cudaStream_t>(stream);
  const int64_t kg = s.fan_in(), m = rows_of(s), cout_g = s.c_out / s.groups;
  auto* rows = static_cast<int8_t*>(workspace);
  auto* out = reinterpret_cast<int32_t*>(static_cast<char*>(workspace) + align16(static_cast<size_t>(s.groups * m * kg)));
  im2col_kernel<<<blocks_for(s.groups * m * kg), kThreads, 0, st>>>(s, x, rows);
  AXNN_CUDA_CHECK(cudaGetLastError());
  for (int64_t g = 0; g < s.groups; ++g)
    lut_gemm_cuda({m, cout_g, kg, rows + g * m * kg, kg, w + g * cout_g * kg, kg, lut.lut, out + g * m * cout_g, cout_g},
                  lut.lut16, stream);
  scatter_kernel<<<blocks_for(s.n * s.c_out * s.out_h() * s.out_w()), kThreads, 0, st>>>(s, out, y);
  AXNN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace axnn::kernels
