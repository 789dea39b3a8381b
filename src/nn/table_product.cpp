#include "nn/table_product.h"

#include <atomic>
#include <cstdlib>

namespace axnn::nn {
namespace {

bool separable_default() {
  const char* v = std::getenv("AXNN_SEPARABLE");
  return !(v && std::string(v) == "0");
}
std::atomic<bool> g_separable_fast_path{separable_default()};

}  // namespace

void set_separable_fast_path(bool on) { g_separable_fast_path = on; }

const kernels::PreparedLut& TableProduct::prepared() {
  // Rebuilt when the table changes (set_lut, or a checkpoint loaded into the buffer).
  if (!prepared_ || prepared_ptr_ != lut_.data_ptr() || prepared_version_ != lut_._version()) {
    torch::Tensor cpu = lut_.to(torch::kCPU).contiguous();  // a copy only when the table lives on a GPU
    prepared_.emplace(cpu.data_ptr<int32_t>());
    separable_ = kernels::find_separable(cpu.data_ptr<int32_t>());
    prepared_ptr_ = lut_.data_ptr();
    prepared_version_ = static_cast<uint32_t>(lut_._version());
  }
  return *prepared_;
}

torch::Tensor TableProduct::lut16() {
  // The int16 copy the CUDA GEMM keeps in shared memory; undefined when the table does not fit.
  if (lut16_version_ != lut_._version() || !lut16_.defined() || lut16_.device() != lut_.device()) {
    const bool fits = lut_.min().item<int32_t>() >= -32768 && lut_.max().item<int32_t>() <= 32767;
    lut16_ = fits ? lut_.to(torch::kInt16).contiguous() : torch::Tensor();
    lut16_version_ = static_cast<uint32_t>(lut_._version());
  }
  return lut16_;
}

const TableGradients& TableProduct::gradients() {
  if (!gradients_.da.defined() || gradients_version_ != lut_._version() || gradients_.da.device() != lut_.device()) {
    gradients_ = table_gradients(lut_);
    gradients_version_ = static_cast<uint32_t>(lut_._version());
  }
  return gradients_;
}

std::optional<torch::ScalarType> TableProduct::separable_dtype(int64_t fan_in) {
  if (!g_separable_fast_path) return std::nullopt;
  prepared();  // finds the maps when the table changed
  if (!separable_ || separable_->fa[128] != 0) return std::nullopt;  // padding (a = 0) must map to 0
  const double bound = static_cast<double>(separable_->max_abs_product()) * static_cast<double>(fan_in);
  if (bound < 16777216.0) return torch::kFloat;           // 2^24
  if (bound < 9007199254740992.0) return torch::kDouble;  // 2^53
  return std::nullopt;
}

std::string TableProduct::cpu_path(int64_t fan_in) {
  const auto dtype = separable_dtype(fan_in);
  return !dtype ? "table" : *dtype == torch::kFloat ? "separable (float)" : "separable (double)";
}

torch::Tensor TableProduct::separable(const Op& op, const torch::Tensor& xi, const torch::Tensor& wi, int64_t fan_in) {
  if (xi.is_cuda()) return {};
  const auto found = separable_dtype(fan_in);
  if (!found) return {};
  const auto dtype = *found;
  auto mapped = [dtype](const std::array<int32_t, 256>& map, const torch::Tensor& v) {
    const torch::Tensor src = v.contiguous();
    torch::Tensor out = torch::empty(src.sizes(), torch::TensorOptions().dtype(dtype));
    if (dtype == torch::kFloat) kernels::map_operands(src.data_ptr<int8_t>(), src.numel(), map, out.data_ptr<float>());
    else kernels::map_operands(src.data_ptr<int8_t>(), src.numel(), map, out.data_ptr<double>());
    return out;
  };
  torch::NoGradGuard no_grad;
  return op(mapped(separable_->fa, xi), mapped(separable_->fw, wi)).to(torch::kFloat);
}

torch::Tensor TableProduct::accumulate(const Op& op, const Op& table_op, const torch::Tensor& xi, const torch::Tensor& wi,
                                       int64_t fan_in) {
  torch::Tensor acc = separable(op, xi, wi, fan_in);
  return acc.defined() ? acc : table_op(xi, wi).to(xi.device()).to(torch::kFloat);
}

}  // namespace axnn::nn
