// CUDA table kernels against the CPU reference, bit-exact. Skipped where no GPU is present (they
// still compile and link in every CUDA build).
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "kernels/cuda/lut_gemm_cuda.h"

namespace axnn::kernels {
namespace {

template <typename T>
T* to_device(const std::vector<T>& v) {
  T* p = nullptr;
  EXPECT_EQ(cudaMalloc(&p, v.size() * sizeof(T)), cudaSuccess);
  EXPECT_EQ(cudaMemcpy(p, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice), cudaSuccess);
  return p;
}

template <typename T>
std::vector<T> to_host(const T* p, size_t n) {
  std::vector<T> v(n);
  EXPECT_EQ(cudaMemcpy(v.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost), cudaSuccess);
  return v;
}

std::vector<int8_t> random_bytes(size_t n, std::mt19937& rng) {
  std::uniform_int_distribution<int> d(-128, 127);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(d(rng));
  v[0] = -128, v[1] = 127;
  return v;
}

TEST(LutCuda, GemmEqualsReference) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  std::mt19937 rng(3);
  std::uniform_int_distribution<int32_t> d(-32768, 32767);
  std::vector<int32_t> lut(65536);
  for (auto& x : lut) x = d(rng);
  std::vector<int16_t> lut16(lut.begin(), lut.end());
  for (auto [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{1, 1, 1}, {131, 67, 77}, {512, 512, 512}, {300, 5, 576}}) {
    auto a = random_bytes(static_cast<size_t>(m * k), rng), w = random_bytes(static_cast<size_t>(n * k), rng);
    std::vector<int32_t> want(static_cast<size_t>(m * n));
    lut_gemm_reference({m, n, k, a.data(), k, w.data(), k, lut.data(), want.data(), n});
    int8_t *da = to_device(a), *dw = to_device(w);
    int32_t* dlut = to_device(lut);
    int16_t* dlut16 = to_device(lut16);
    int32_t* dc = nullptr;
    ASSERT_EQ(cudaMalloc(&dc, want.size() * sizeof(int32_t)), cudaSuccess);
    for (bool shared : {true, false}) {
      lut_gemm_cuda({m, n, k, da, k, dw, k, dlut, dc, n}, shared ? dlut16 : nullptr, nullptr);
      ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
      ASSERT_EQ(to_host(dc, want.size()), want) << m << "x" << n << "x" << k << " shared=" << shared;
    }
    cudaFree(da), cudaFree(dw), cudaFree(dlut), cudaFree(dlut16), cudaFree(dc);
  }
}

TEST(LutCuda, DepthwiseEqualsReference) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  std::mt19937 rng(4);
  std::uniform_int_distribution<int32_t> d(-100000, 100000);
  std::vector<int32_t> lut(65536);
  for (auto& x : lut) x = d(rng);
  Conv2dShape s;
  s.n = 3, s.c_in = s.c_out = s.groups = 13, s.h = 17, s.w = 15, s.kh = s.kw = 3, s.pad_h = s.pad_w = 1, s.stride_h = 2;
  auto x = random_bytes(static_cast<size_t>(s.n * s.c_in * s.h * s.w), rng);
  auto w = random_bytes(static_cast<size_t>(s.c_out * 9), rng);
  std::vector<int32_t> want(static_cast<size_t>(s.n * s.c_out * s.out_h() * s.out_w()));
  lut_conv2d_reference(s, x.data(), w.data(), lut.data(), want.data());
  int8_t *dx = to_device(x), *dw = to_device(w);
  int32_t* dlut = to_device(lut);
  int32_t* dy = nullptr;
  ASSERT_EQ(cudaMalloc(&dy, want.size() * sizeof(int32_t)), cudaSuccess);
  lut_depthwise_cuda(s, dx, dw, dlut, dy, nullptr);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  EXPECT_EQ(to_host(dy, want.size()), want);
  cudaFree(dx), cudaFree(dw), cudaFree(dlut), cudaFree(dy);
}

// The conv entry (im2col + per-group GEMM + scatter, depthwise through its own kernel) on a stream of
// its own, against the CPU reference: grouped, strided, dilated, padded, odd sizes.
TEST(LutCuda, ConvEqualsReferenceOnAStream) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  std::mt19937 rng(5);
  std::uniform_int_distribution<int32_t> d(-32768, 32767);
  std::vector<int32_t> lut(65536);
  for (auto& x : lut) x = d(rng);
  std::vector<int16_t> lut16(lut.begin(), lut.end());
  cudaStream_t stream = nullptr;
  ASSERT_EQ(cudaStreamCreate(&stream), cudaSuccess);
  Conv2dShape plain, grouped, depthwise;
  plain.n = 2, plain.c_in = 3, plain.h = 11, plain.w = 9, plain.c_out = 7, plain.kh = plain.kw = 3, plain.pad_h = 1;
  grouped.n = 3, grouped.c_in = 6, grouped.h = 13, grouped.w = 10, grouped.c_out = 9, grouped.kh = 3, grouped.kw = 2;
  grouped.groups = 3, grouped.stride_h = 2, grouped.dil_w = 2, grouped.pad_h = grouped.pad_w = 2;
  depthwise.n = 2, depthwise.c_in = depthwise.c_out = depthwise.groups = 5, depthwise.h = depthwise.w = 8;
  depthwise.kh = depthwise.kw = 3, depthwise.pad_h = depthwise.pad_w = 1;
  int32_t* dlut = to_device(lut);
  int16_t* dlut16 = to_device(lut16);
  for (const Conv2dShape& s : {plain, grouped, depthwise}) {
    auto x = random_bytes(static_cast<size_t>(s.n * s.c_in * s.h * s.w), rng);
    auto w = random_bytes(static_cast<size_t>(s.c_out * s.fan_in()), rng);
    std::vector<int32_t> want(static_cast<size_t>(s.n * s.c_out * s.out_h() * s.out_w()));
    lut_conv2d_reference(s, x.data(), w.data(), lut.data(), want.data());
    int8_t *dx = to_device(x), *dw = to_device(w);
    int32_t* dy = nullptr;
    void* workspace = nullptr;
    ASSERT_EQ(cudaMalloc(&dy, want.size() * sizeof(int32_t)), cudaSuccess);
    ASSERT_EQ(cudaMalloc(&workspace, std::max<size_t>(lut_conv2d_cuda_workspace(s), 1)), cudaSuccess);
    for (bool shared : {true, false}) {
      lut_conv2d_cuda(s, dx, dw, {dlut, shared ? dlut16 : nullptr}, dy, workspace, stream);
      ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
      EXPECT_EQ(to_host(dy, want.size()), want) << "groups " << s.groups << " shared=" << shared;
    }
    cudaFree(dx), cudaFree(dw), cudaFree(dy), cudaFree(workspace);
  }
  cudaFree(dlut), cudaFree(dlut16);
  cudaStreamDestroy(stream);
}

}  // namespace
}  // namespace axnn::kernels
