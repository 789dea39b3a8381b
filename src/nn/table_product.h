// The table product of an approximate layer: the multiplier's 256x256 table and every form derived
// from it (the CPU kernels' prepared table and its separable maps, the int16 copy the CUDA GEMM keeps
// in shared memory, the table's gradients), each rebuilt when the table changes, and the one place
// that decides how the product runs: the separable float op, the CPU kernels or the CUDA kernels.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <optional>
#include <string>

#include "kernels/lut_gemm.h"
#include "kernels/separable.h"
#include "nn/table_gradient.h"

namespace axnn::nn {

// On the CPU a separable table (kernels/separable.h: lut[a][w] = fa(a) * fw(w), e.g. operand truncation
// or the exact product) runs as a float (or double) op on the mapped operands, exact as long as every
// partial sum fits the format. On by default (AXNN_SEPARABLE=0 turns it off); tests turn it off to compare.
void set_separable_fast_path(bool on);

class TableProduct {
 public:
  using Op = std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)>;

  // `lut`: the layer's table buffer (int32 [256, 256], lut[a + 128][w + 128]), shared with the layer.
  TableProduct() = default;
  explicit TableProduct(torch::Tensor lut) : lut_(std::move(lut)) {}

  // acc = sum_k lut[xi][wi] as float on the operands' device, for a layer of fan-in `fan_in`: the
  // separable path through `op` (the layer's float op) when it applies, else `table_op` (conv2d or gemm).
  torch::Tensor accumulate(const Op& op, const Op& table_op, const torch::Tensor& xi, const torch::Tensor& wi,
                           int64_t fan_in);
  // The integer table products on the operands' device. Conv: NCHW int8 x, weights int8, NCHW int32
  // out; GEMM: x [m, k], weights [n, k], out [m, n].
  torch::Tensor conv2d(const kernels::Conv2dShape& s, const torch::Tensor& xi, const torch::Tensor& wi);
  torch::Tensor gemm(const torch::Tensor& xi, const torch::Tensor& wi);

  // How accumulate runs on the CPU: "table", "separable (float)" or "separable (double)".
  std::string cpu_path(int64_t fan_in);
  // d lut / d a and d lut / d w (table-gradient retraining).
  const TableGradients& gradients();

 private:
  torch::Tensor lut_;
  std::optional<kernels::PreparedLut> prepared_;
  const void* prepared_ptr_ = nullptr;
  uint32_t prepared_version_ = 0;
  std::optional<kernels::SeparableMaps> separable_;  // found with the prepared table
  torch::Tensor lut16_;
  uint32_t lut16_version_ = 0;
  TableGradients gradients_;
  uint32_t gradients_version_ = 0;

  const kernels::PreparedLut& prepared();
  torch::Tensor lut16();
  std::pair<torch::Tensor, torch::Tensor> device_tables(const torch::Tensor& on);
  std::optional<torch::ScalarType> separable_dtype(int64_t fan_in);
  torch::Tensor separable(const Op& op, const torch::Tensor& xi, const torch::Tensor& wi, int64_t fan_in);
};

}  // namespace axnn::nn
