// Convolution through the table GEMM: per image and group, a fused im2col packer gathers each block
// of output positions' receptive fields directly as index bytes (padding = a 0 activation).
#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include <tbb/parallel_for.h>

#include "kernels/cpu/depthwise.h"
#include "kernels/cpu/gemm_core.h"
#include "kernels/lut_gemm.h"

namespace axnn::kernels {
namespace {

// Copies `count` index bytes of one input row (a + 128; a = 0 outside the image: padding) for
// output columns ow0.. of kernel column t.
inline void pack_row_segment(const int8_t* row, const Conv2dShape& s, int64_t ow0, int64_t count, int64_t t, uint8_t* dst) {
  const int64_t step = s.stride_w, first = ow0 * step - s.pad_w + t * s.dil_w;
  if (row == nullptr) {  // the whole input row is padding
    std::memset(dst, 128, static_cast<size_t>(count));
    return;
  }
  for (int64_t i = 0; i < count; ++i) {
    const int64_t iw = first + i * step;
    dst[i] = (iw < 0 || iw >= s.w) ? uint8_t{128} : static_cast<uint8_t>(row[iw] ^ 0x80);
  }
}

// Packs rows m0..m0+rows of the im2col matrix of channels [c0, c0 + channels) of one image:
// row m = output position (oh, ow), column k = (c, r, t) with r, t the kernel offsets. Runs of
// output positions in one output row are copied together.
void pack_im2col(const Conv2dShape& s, const int8_t* img, int64_t c0, int64_t channels, int64_t m0, int64_t rows,
                 uint8_t* packed, int64_t ld) {
  const int64_t ow_count = s.out_w();
  int64_t q = 0;
  for (int64_t c = c0; c < c0 + channels; ++c)
    for (int64_t r = 0; r < s.kh; ++r)
      for (int64_t t = 0; t < s.kw; ++t, ++q) {
        uint8_t* dst = packed + q * ld;
        for (int64_t i = 0; i < rows;) {
          const int64_t m = m0 + i, oh = m / ow_count, ow = m % ow_count;
          const int64_t count = std::min(ow_count - ow, rows - i);
          const int64_t ih = oh * s.stride_h - s.pad_h + r * s.dil_h;
          const int8_t* row = (ih < 0 || ih >= s.h) ? nullptr : img + (c * s.h + ih) * s.w;
          pack_row_segment(row, s, ow, count, t, dst + i);
          i += count;
        }
      }
}

}  // namespace

void check_conv_shape(const Conv2dShape& s) {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument("conv2d: " + what);
  };
  need(s.n > 0 && s.c_in > 0 && s.h > 0 && s.w > 0 && s.c_out > 0 && s.kh > 0 && s.kw > 0, "sizes must be positive");
  need(s.stride_h > 0 && s.stride_w > 0 && s.dil_h > 0 && s.dil_w > 0, "stride and dilation must be positive");
  need(s.pad_h >= 0 && s.pad_w >= 0, "padding must be >= 0");
  need(s.groups > 0 && s.c_in % s.groups == 0 && s.c_out % s.groups == 0, "channels must be divisible by groups");
  need(s.out_h() > 0 && s.out_w() > 0, "the output would be empty");
}

void lut_conv2d_reference(const Conv2dShape& s, const int8_t* x, const int8_t* w, const int32_t* lut, int32_t* y) {
  check_conv_shape(s);
  const int64_t cin_g = s.c_in / s.groups, cout_g = s.c_out / s.groups, oh_n = s.out_h(), ow_n = s.out_w();
  for (int64_t b = 0; b < s.n; ++b)
    for (int64_t co = 0; co < s.c_out; ++co) {
      const int64_t g = co / cout_g;
      for (int64_t oh = 0; oh < oh_n; ++oh)
        for (int64_t ow = 0; ow < ow_n; ++ow) {
          int32_t acc = 0;
          for (int64_t ci = 0; ci < cin_g; ++ci)
            for (int64_t r = 0; r < s.kh; ++r)
              for (int64_t t = 0; t < s.kw; ++t) {
                const int64_t ih = oh * s.stride_h - s.pad_h + r * s.dil_h, iw = ow * s.stride_w - s.pad_w + t * s.dil_w;
                const int a = (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w)
                                  ? 0
                                  : x[((b * s.c_in + g * cin_g + ci) * s.h + ih) * s.w + iw];
                const int wv = w[((co * cin_g + ci) * s.kh + r) * s.kw + t];
                acc += lut[(a + 128) * 256 + (wv + 128)];
              }
          y[((b * s.c_out + co) * oh_n + oh) * ow_n + ow] = acc;
        }
    }
}

void lut_conv2d(const Conv2dShape& s, const int8_t* x, const int8_t* w, const PreparedLut& lut, int32_t* y) {
  check_conv_shape(s);
  if (s.depthwise()) return detail::lut_depthwise(s, x, w, lut, y);
  const int64_t cin_g = s.c_in / s.groups, cout_g = s.c_out / s.groups;
  const int64_t positions = s.out_h() * s.out_w(), k = s.fan_in(), image = s.c_in * s.h * s.w;
  // Small images (fewer positions than a full block, e.g. LeNet's 10x10) are batched: one problem per
  // group over every image's positions, so blocks are full. Otherwise one problem per image and group.
  const bool batched = positions < detail::kLanes * detail::kBlockVectors && s.n > 1;
  const int64_t images_per_problem = batched ? s.n : 1, rows = positions * images_per_problem;
  const detail::Blocks split(rows);
  const int64_t blocks = split.count, problems = s.n / images_per_problem * s.groups, tasks = problems * blocks;
  tbb::parallel_for(int64_t{0}, tasks, [&](int64_t task) {
    const int64_t b = task / (s.groups * blocks), g = task / blocks % s.groups, blk = task % blocks;
    const int8_t* first = x + b * image;  // batched: b == 0
    detail::GemmProblem p;
    p.m = rows;
    p.n = cout_g;
    p.k = k;
    p.w = w + g * cout_g * k;
    p.ldw = k;
    p.c = y + (b * s.c_out + g * cout_g) * positions;
    p.c_stride_m = 1;
    p.c_stride_n = positions;
    if (batched) p.rows_per_image = positions, p.image_stride = s.c_out * positions;
    // Row m is position m % positions of image m / positions; a block may span images.
    p.pack = [&s, first, image, positions, g, cin_g](int64_t m0, int64_t count, uint8_t* packed, int64_t ld) {
      for (int64_t i = 0; i < count;) {
        const int64_t m = m0 + i, pos = m % positions, run = std::min(positions - pos, count - i);
        pack_im2col(s, first + m / positions * image, g * cin_g, cin_g, pos, run, packed + i, ld);
        i += run;
      }
    };
    const int64_t m0 = split.begin(blk, rows);
    detail::run_block(p, lut, m0, split.end(blk, rows) - m0);
  });
}

}  // namespace axnn::kernels
