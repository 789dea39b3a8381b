// The optimised table GEMM and convolution equal the plain reference exactly, on both CPU paths.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "kernels/cpu/gemm_core.h"
#include "kernels/lut_gemm.h"

namespace axnn::kernels {
namespace {

std::vector<int8_t> random_bytes(size_t n, std::mt19937& rng) {
  std::uniform_int_distribution<int> d(-128, 127);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(d(rng));
  if (n > 2) v[0] = -128, v[1] = 127, v[2] = 0;  // edge values always present
  return v;
}

// Random table: int16 range (fast path) or beyond it (int32 fallback).
std::vector<int32_t> random_table(std::mt19937& rng, bool wide) {
  std::uniform_int_distribution<int32_t> d(wide ? -100000 : -32768, wide ? 100000 : 32767);
  std::vector<int32_t> t(65536);
  for (auto& x : t) x = d(rng);
  t[0] = -32768;
  t[65535] = 32767;
  return t;
}

std::vector<int32_t> exact_table() {
  std::vector<int32_t> t(65536);
  for (int a = 0; a < 256; ++a)
    for (int w = 0; w < 256; ++w) t[a * 256 + w] = (a - 128) * (w - 128);
  return t;
}

// The optimised kernel's output and the reference's on the same operands (got starts at -7, so an
// output the kernel never writes shows).
struct Outputs {
  std::vector<int32_t> got, want;
};

Outputs gemm_both(const std::vector<int8_t>& a, const std::vector<int8_t>& w, int64_t m, int64_t n, int64_t k,
                  const std::vector<int32_t>& lut, const PreparedLut& prepared) {
  Outputs o{std::vector<int32_t>(static_cast<size_t>(m * n), -7), std::vector<int32_t>(static_cast<size_t>(m * n))};
  LutGemmArgs args{m, n, k, a.data(), k, w.data(), k, lut.data(), o.want.data(), n};
  lut_gemm_reference(args);
  args.c = o.got.data();
  lut_gemm(args, prepared);
  return o;
}

Outputs conv_both(const Conv2dShape& s, const std::vector<int8_t>& x, const std::vector<int8_t>& w,
                  const std::vector<int32_t>& lut, const PreparedLut& prepared) {
  const auto size = static_cast<size_t>(s.n * s.c_out * s.out_h() * s.out_w());
  Outputs o{std::vector<int32_t>(size, -7), std::vector<int32_t>(size)};
  lut_conv2d_reference(s, x.data(), w.data(), lut.data(), o.want.data());
  lut_conv2d(s, x.data(), w.data(), prepared, o.got.data());
  return o;
}

class KernelPaths : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { force_portable_kernels(GetParam()); }
  void TearDown() override { force_portable_kernels(false); }
};

TEST_P(KernelPaths, GemmEqualsReferenceOnOddSizesAndRandomTables) {
  std::mt19937 rng(11);
  struct Size { int64_t m, n, k; };
  for (Size sz : {Size{1, 1, 1}, Size{7, 3, 5}, Size{65, 17, 129}, Size{193, 64, 300}, Size{250, 5, 576}, Size{64, 2, 257}}) {
    for (bool wide : {false, true}) {
      auto a = random_bytes(static_cast<size_t>(sz.m * sz.k), rng);
      auto w = random_bytes(static_cast<size_t>(sz.n * sz.k), rng);
      auto lut = random_table(rng, wide);
      PreparedLut prepared(lut.data());
      EXPECT_EQ(prepared.fits_int16(), !wide);
      const Outputs o = gemm_both(a, w, sz.m, sz.n, sz.k, lut, prepared);
      ASSERT_EQ(o.got, o.want) << "m=" << sz.m << " n=" << sz.n << " k=" << sz.k << " wide=" << wide << " "
                           << cpu_kernel_isa();
    }
  }
}

TEST_P(KernelPaths, ConvEqualsReferenceForStridesDilationPaddingGroupsDepthwise) {
  std::mt19937 rng(5);
  auto lut = random_table(rng, false);
  PreparedLut prepared(lut.data());
  std::vector<Conv2dShape> shapes;
  auto shape = [](int64_t n, int64_t c, int64_t h, int64_t w, int64_t co, int64_t k, int64_t stride, int64_t pad,
                  int64_t dil, int64_t groups) {
    Conv2dShape s;
    s.n = n, s.c_in = c, s.h = h, s.w = w, s.c_out = co, s.kh = k, s.kw = k;
    s.stride_h = s.stride_w = stride, s.pad_h = s.pad_w = pad, s.dil_h = s.dil_w = dil, s.groups = groups;
    return s;
  };
  shapes.push_back(shape(2, 3, 9, 11, 5, 3, 1, 1, 1, 1));    // odd spatial sizes, padding
  shapes.push_back(shape(1, 4, 15, 13, 6, 3, 2, 1, 1, 2));   // stride 2, groups
  shapes.push_back(shape(2, 2, 12, 12, 3, 3, 1, 2, 2, 1));   // dilation
  shapes.push_back(shape(3, 6, 14, 14, 16, 5, 1, 0, 1, 1));  // LeNet-like
  shapes.push_back(shape(2, 8, 17, 16, 8, 3, 1, 1, 1, 8));   // depthwise
  shapes.push_back(shape(1, 5, 9, 9, 5, 3, 2, 1, 1, 5));     // depthwise, stride 2
  shapes.push_back(shape(2, 3, 7, 131, 3, 3, 1, 1, 1, 3));   // depthwise, rows of 64 + 64 + 3 outputs
  shapes.push_back(shape(1, 4, 11, 70, 4, 5, 1, 4, 2, 4));   // depthwise 5x5, dilation 2, wide padding
  Conv2dShape rect = shape(1, 3, 20, 7, 4, 1, 1, 0, 1, 1);
  rect.kh = 3, rect.kw = 2, rect.pad_h = 1;                  // non-square kernel
  shapes.push_back(rect);
  for (const auto& s : shapes) {
    auto x = random_bytes(static_cast<size_t>(s.n * s.c_in * s.h * s.w), rng);
    auto w = random_bytes(static_cast<size_t>(s.c_out * s.fan_in()), rng);
    const Outputs o = conv_both(s, x, w, lut, prepared);
    ASSERT_EQ(o.got, o.want) << "c_in=" << s.c_in << " groups=" << s.groups << " stride=" << s.stride_h << " "
                         << cpu_kernel_isa();
  }
}

// Post-ReLU activations (0..127, 0 and 127 present) take the half-table path where a whole block is
// non-negative; a single negative activation sends its block back to the full path.
std::vector<int8_t> nonnegative_bytes(size_t n, std::mt19937& rng) {
  std::uniform_int_distribution<int> d(0, 127);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(d(rng));
  if (n > 1) v[0] = 0, v[n - 1] = 127;
  return v;
}

TEST_P(KernelPaths, PostReluActivationsEqualReferenceInGemmAndConv) {
  std::mt19937 rng(23);
  auto lut = random_table(rng, false);
  PreparedLut prepared(lut.data());
  struct Size { int64_t m, n, k; };
  for (Size sz : {Size{1, 1, 1}, Size{65, 17, 129}, Size{193, 7, 300}, Size{400, 3, 257}}) {
    for (bool one_negative : {false, true}) {
      auto a = nonnegative_bytes(static_cast<size_t>(sz.m * sz.k), rng);
      if (one_negative) a[a.size() / 2] = -128;
      auto w = random_bytes(static_cast<size_t>(sz.n * sz.k), rng);
      const Outputs o = gemm_both(a, w, sz.m, sz.n, sz.k, lut, prepared);
      ASSERT_EQ(o.got, o.want) << "m=" << sz.m << " k=" << sz.k << " one negative=" << one_negative << " " << cpu_kernel_isa();
    }
  }
  Conv2dShape s;
  s.n = 3, s.c_in = 6, s.h = 13, s.w = 11, s.c_out = 5, s.kh = s.kw = 3, s.pad_h = s.pad_w = 1;
  auto x = nonnegative_bytes(static_cast<size_t>(s.n * s.c_in * s.h * s.w), rng);
  auto w = random_bytes(static_cast<size_t>(s.c_out * s.fan_in()), rng);
  const Outputs o = conv_both(s, x, w, lut, prepared);
  ASSERT_EQ(o.got, o.want) << cpu_kernel_isa();
}

// Signed activations mostly within the 7-bit core range (|a| <= 63) with `outliers` outside it
// (-128, 127, -65 and 64 among them) at random places.
std::vector<int8_t> core_bytes(size_t n, size_t outliers, std::mt19937& rng) {
  std::uniform_int_distribution<int> core(-64, 63), wide(-128, 127);
  std::uniform_int_distribution<size_t> where(0, n - 1);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(core(rng));
  if (n > 1) v[0] = -64, v[n - 1] = 63;
  const int8_t edges[] = {-128, 127, -65, 64};
  for (size_t i = 0; i < outliers; ++i) {
    int a = i < 4 ? edges[i] : wide(rng);
    if (a >= -64 && a <= 63) a = a < 0 ? -100 : 100;
    v[where(rng)] = static_cast<int8_t>(a);
  }
  return v;
}

TEST_P(KernelPaths, CoreRangeActivationsWithOutliersEqualReferenceInGemmAndConv) {
  std::mt19937 rng(29);
  auto lut = random_table(rng, false);
  PreparedLut prepared(lut.data());
  struct Size { int64_t m, n, k; };
  for (Size sz : {Size{1, 1, 1}, Size{65, 17, 129}, Size{193, 7, 300}, Size{400, 3, 257}}) {
    const size_t n_a = static_cast<size_t>(sz.m * sz.k);
    for (size_t outliers : {size_t{0}, size_t{1}, size_t{5}, n_a / 200, n_a / 10}) {
      auto a = core_bytes(n_a, std::min(outliers, n_a), rng);
      auto w = random_bytes(static_cast<size_t>(sz.n * sz.k), rng);
      const Outputs o = gemm_both(a, w, sz.m, sz.n, sz.k, lut, prepared);
      ASSERT_EQ(o.got, o.want) << "m=" << sz.m << " k=" << sz.k << " outliers=" << outliers << " " << cpu_kernel_isa();
    }
  }
  Conv2dShape s;
  s.n = 3, s.c_in = 6, s.h = 13, s.w = 11, s.c_out = 5, s.kh = s.kw = 3, s.pad_h = s.pad_w = 1, s.stride_w = 2;
  const size_t n_x = static_cast<size_t>(s.n * s.c_in * s.h * s.w);
  for (size_t outliers : {size_t{0}, size_t{3}, n_x / 8}) {
    auto x = core_bytes(n_x, outliers, rng);
    auto w = random_bytes(static_cast<size_t>(s.c_out * s.fan_in()), rng);
    const Outputs o = conv_both(s, x, w, lut, prepared);
    ASSERT_EQ(o.got, o.want) << "outliers=" << outliers << " " << cpu_kernel_isa();
  }
}

INSTANTIATE_TEST_SUITE_P(CpuPaths, KernelPaths, ::testing::Values(false, true),
                         [](const auto& p) { return p.param ? "portable" : "best"; });

TEST(LutConv, ExactTableIsIntegerConvolution) {
  std::mt19937 rng(2);
  Conv2dShape s;
  s.n = 2, s.c_in = 3, s.h = 8, s.w = 8, s.c_out = 4, s.kh = s.kw = 3, s.pad_h = s.pad_w = 1;
  auto x = random_bytes(static_cast<size_t>(s.n * s.c_in * s.h * s.w), rng);
  auto w = random_bytes(static_cast<size_t>(s.c_out * s.fan_in()), rng);
  auto lut = exact_table();
  std::vector<int32_t> y(static_cast<size_t>(s.n * s.c_out * 64));
  lut_conv2d(s, x.data(), w.data(), PreparedLut(lut.data()), y.data());
  for (int64_t b = 0; b < s.n; ++b)
    for (int64_t co = 0; co < s.c_out; ++co)
      for (int64_t oh = 0; oh < 8; ++oh)
        for (int64_t ow = 0; ow < 8; ++ow) {
          int32_t want = 0;
          for (int64_t ci = 0; ci < 3; ++ci)
            for (int64_t r = 0; r < 3; ++r)
              for (int64_t t = 0; t < 3; ++t) {
                int64_t ih = oh - 1 + r, iw = ow - 1 + t;
                if (ih < 0 || ih >= 8 || iw < 0 || iw >= 8) continue;
                want += x[((b * 3 + ci) * 8 + ih) * 8 + iw] * w[((co * 3 + ci) * 3 + r) * 3 + t];
              }
          ASSERT_EQ(y[((b * 4 + co) * 8 + oh) * 8 + ow], want);
        }
}

TEST(LutConv, PaddingGoesThroughTheMultiplierAsZeroActivation) {
  // A table that is 0 everywhere except M(0, w) = 1000 + w: padded taps count.
  std::vector<int32_t> lut(65536, 0);
  for (int w = -128; w < 128; ++w) lut[128 * 256 + (w + 128)] = 1000 + w;
  Conv2dShape s;
  s.n = 1, s.c_in = 1, s.h = 3, s.w = 3, s.c_out = 1, s.kh = s.kw = 3, s.pad_h = s.pad_w = 1;
  std::vector<int8_t> x(9, 5);  // no zero inside the image
  std::vector<int8_t> w = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<int32_t> y(9);
  lut_conv2d(s, x.data(), w.data(), PreparedLut(lut.data()), y.data());
  // Corner output (0, 0): taps (0,0),(0,1),(0,2),(1,0),(2,0) are padding: weights 1,2,3,4,7.
  EXPECT_EQ(y[0], 5 * 1000 + 1 + 2 + 3 + 4 + 7);
  EXPECT_EQ(y[4], 0);  // centre: no padding
}

TEST(LutConv, BadShapesAreRejected) {
  Conv2dShape s;
  s.c_in = 3, s.groups = 2;
  EXPECT_THROW(check_conv_shape(s), std::invalid_argument);
  Conv2dShape t;
  t.h = 2, t.w = 2, t.kh = t.kw = 5;
  EXPECT_THROW(check_conv_shape(t), std::invalid_argument);
}

}  // namespace
}  // namespace axnn::kernels

namespace axnn::kernels::detail {
namespace {

// The driver's choice per packed block: Upper when every byte is >= 128, Core (outliers listed and
// replaced by a = 0) up to one outlier in kCoreOutlierDivisor bytes, Full beyond.
TEST(IndexRanges, BlocksPickTheirQuadrantsAndCoreOutliersAreTakenOut) {
  const int64_t k = 16, ld = 64, size = k * ld;
  std::vector<Outlier> outliers;
  std::vector<uint8_t> upper(static_cast<size_t>(size), 128);
  upper[5] = 255;
  EXPECT_EQ(choose_range(upper.data(), k, ld, outliers), IndexRange::Upper);
  std::vector<uint8_t> core(static_cast<size_t>(size), 100);
  core[0] = 64, core[1] = 191;  // a = -64 and 63: inside
  core[70] = 0, core[200] = 255;  // a = -128 and 127: outliers
  std::vector<uint8_t> taken = core;
  EXPECT_EQ(choose_range(taken.data(), k, ld, outliers), IndexRange::Core);
  ASSERT_EQ(outliers.size(), 2u);
  EXPECT_EQ(outliers[0].q, 1);
  EXPECT_EQ(outliers[0].r, 6);
  EXPECT_EQ(outliers[0].byte, 0);
  EXPECT_EQ(outliers[1].q, 3);
  EXPECT_EQ(outliers[1].r, 8);
  EXPECT_EQ(outliers[1].byte, 255);
  EXPECT_EQ(taken[70], 128);
  EXPECT_EQ(taken[200], 128);
  EXPECT_EQ(taken[0], 64);
  std::vector<uint8_t> many = core;
  for (int64_t i = 0; i <= size / kCoreOutlierDivisor; ++i) many[static_cast<size_t>(2 + i)] = 10;
  EXPECT_EQ(choose_range(many.data(), k, ld, outliers), IndexRange::Full);
  EXPECT_EQ(many[2], 10);  // left as it was
}

}  // namespace
}  // namespace axnn::kernels::detail
