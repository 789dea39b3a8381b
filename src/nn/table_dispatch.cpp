// TableProduct's integer products (nn/table_product.h): the CPU kernels or the CUDA ones, by the
// operands' device. The layers only describe the product (a conv shape or a GEMM).
#include <c10/core/DeviceGuard.h>

#include "kernels/cuda/lut_gemm_cuda.h"
#include "nn/cuda_stream.h"
#include "nn/table_product.h"

namespace axnn::nn {
namespace {

// CUDA operands run on the GPU when the kernels are built; otherwise (a CUDA torch in a build
// without nvcc) through the CPU kernels and back.
bool runs_on_cuda(const torch::Tensor& t) { return t.is_cuda() && kernels::cuda_kernels_built(); }
const int16_t* ptr16(const torch::Tensor& t) { return t.defined() ? t.data_ptr<int16_t>() : nullptr; }

}  // namespace

// The table (and its int16 copy, when it fits) on the operands' device; the tensors keep the pointers alive.
std::pair<torch::Tensor, torch::Tensor> TableProduct::device_tables(const torch::Tensor& on) {
  torch::Tensor t16 = lut16();
  return {lut_.to(on.device()).contiguous(), t16.defined() ? t16.to(on.device()) : t16};
}

torch::Tensor TableProduct::conv2d(const kernels::Conv2dShape& s, const torch::Tensor& xi, const torch::Tensor& wi) {
  const std::vector<int64_t> out_shape{s.n, s.c_out, s.out_h(), s.out_w()};
  if (runs_on_cuda(xi)) {
    const c10::DeviceGuard guard(xi.device());
    torch::Tensor x = xi.contiguous(), w = wi.contiguous();
    torch::Tensor y = torch::empty(out_shape, xi.options().dtype(torch::kInt32));
    torch::Tensor workspace =
        torch::empty({static_cast<int64_t>(kernels::lut_conv2d_cuda_workspace(s))}, xi.options().dtype(torch::kUInt8));
    auto [lut, lut16] = device_tables(xi);
    kernels::lut_conv2d_cuda(s, x.data_ptr<int8_t>(), w.data_ptr<int8_t>(), {lut.data_ptr<int32_t>(), ptr16(lut16)},
                             y.data_ptr<int32_t>(), workspace.data_ptr(), current_cuda_stream(xi.get_device()));
    return y;
  }
  torch::Tensor x = xi.cpu().contiguous(), w = wi.cpu().contiguous();
  torch::Tensor y = torch::empty(out_shape, torch::kInt32);
  kernels::lut_conv2d(s, x.data_ptr<int8_t>(), w.data_ptr<int8_t>(), prepared(), y.data_ptr<int32_t>());
  return y;
}

torch::Tensor TableProduct::gemm(const torch::Tensor& xi, const torch::Tensor& wi) {
  const int64_t m = xi.size(0), n = wi.size(0), k = wi.size(1);
  if (runs_on_cuda(xi)) {
    const c10::DeviceGuard guard(xi.device());
    torch::Tensor x = xi.contiguous(), w = wi.contiguous();
    torch::Tensor y = torch::empty({m, n}, xi.options().dtype(torch::kInt32));
    auto [lut, lut16] = device_tables(xi);
    kernels::lut_gemm_cuda({m, n, k, x.data_ptr<int8_t>(), k, w.data_ptr<int8_t>(), k, lut.data_ptr<int32_t>(),
                            y.data_ptr<int32_t>(), n},
                           ptr16(lut16), current_cuda_stream(xi.get_device()));
    return y;
  }
  torch::Tensor x = xi.cpu().contiguous(), w = wi.cpu().contiguous();
  torch::Tensor y = torch::empty({m, n}, torch::kInt32);
  kernels::lut_gemm({m, n, k, x.data_ptr<int8_t>(), k, w.data_ptr<int8_t>(), k, nullptr, y.data_ptr<int32_t>(), n},
                    prepared());
  return y;
}

}  // namespace axnn::nn
