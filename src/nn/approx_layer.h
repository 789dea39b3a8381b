// Approximate layers: drop-in Conv2d and Linear modules whose products can run exact (baseline),
// fake-quantized int8 (quant), with learned Gaussian noise (noise), or through an approximate
// multiplier's 256x256 table (approx). The mode is per layer and saved with the module.
#pragma once

#include <torch/torch.h>

#include <optional>
#include <string>

#include "kernels/lut_gemm.h"
#include "nn/modes.h"
#include "nn/quantize.h"
#include "nn/table_gradient.h"
#include "nn/table_product.h"

namespace axnn::nn {

struct QuantOptions {
  bool per_channel_weights = false;
  ActObserverOptions activations;
};

// Integer operands of the last forward pass, kept when recording is on (the sampling step).
struct RecordedOperands {
  torch::Tensor rows;     // int8 [R, fan_in]: one receptive field per row (conv: im2col, padding as 0;
                          // grouped convs stack each group's rows)
  torch::Tensor weights;  // int8 [C_out, fan_in]
  torch::Tensor outputs;  // int64 [positions, C_out]: exact integer results sum_k a_k * w_k
};

// State and logic shared by ApproxConv2d and ApproxLinear.
class ApproxLayer : public torch::nn::Module {
 public:
  Mode mode() const { return static_cast<Mode>(mode_.item<int64_t>()); }
  void set_mode(Mode m) { mode_.fill_(static_cast<int64_t>(m)); }

  // Installs a table (int32 [256, 256], lut[a + 128][w + 128]), its multiplier's name and the hash
  // of the library it came from.
  void set_lut(const torch::Tensor& lut, const std::string& multiplier, const std::string& library = "");
  const torch::Tensor& lut() const { return lut_; }
  const std::string& multiplier() const { return multiplier_; }
  const std::string& library() const { return library_; }
  // How approx mode runs on the CPU with the current table: "table", "separable (float)" or
  // "separable (double)" (see set_separable_fast_path).
  std::string cpu_path() { return table_.cpu_path(fan_in()); }

  // Bias compensation (deploy): the table's expected error per output channel, in integer-product
  // units, taken out of the integer accumulator in approx mode. Empty: none.
  void set_error_offset(const torch::Tensor& per_channel);
  const torch::Tensor& error_offset() const { return error_offset_; }

  void set_gradient(Gradient g) { gradient_ = g; }
  Gradient gradient() const { return gradient_; }

  torch::Tensor& sigma() { return sigma_; }
  torch::Tensor& mu() { return mu_; }
  torch::Tensor& act_max() { return act_max_; }

  virtual int64_t fan_in() const = 0;
  // Multiplications per sample (conv: needs the output size of the last forward; 0 before it).
  virtual int64_t opcount() const = 0;

  QuantOptions quant;
  // When capturing, the last forward's output stays reachable (graph included), so the loss can be
  // differentiated with respect to it (the sensitivity step's output-side Hessian).
  void set_capture(bool on) {
    capture_ = on;
    if (!on) captured_ = torch::Tensor();
  }
  const torch::Tensor& captured() const { return captured_; }
  void set_recording(bool on) { recording_ = on; }
  // Calibration (the warm-up epochs of quantization-aware training): quant and noise modes update
  // the activation observer but compute in float, so the observers settle before quantizing.
  void set_calibrating(bool on) { calibrating_ = on; }
  const RecordedOperands& recorded() const { return recorded_; }

 protected:
  ApproxLayer();
  using Op = TableProduct::Op;
  // y = op(x, w) in the layer's mode, bias added last. `op` is the float op (conv or linear) without
  // bias; `table_op` maps int8 activations and weights to int32 results (table_.conv2d or table_.gemm).
  torch::Tensor forward_modes(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                              const Op& op, const Op& table_op);
  // The integer operands and exact outputs of one forward pass (int8 activations and weights).
  virtual RecordedOperands record(const torch::Tensor& xi, const torch::Tensor& wi) const = 0;
  // The layer as a grouped GEMM over its input x (table gradients).
  virtual GemmView gemm_view(const torch::Tensor& x) const = 0;
  // The exact op's gradients at fake-quantized operands xq, wq for d loss / d y = g (straight-through
  // backward of approx mode, without its forward).
  virtual std::pair<torch::Tensor, torch::Tensor> exact_backward(const torch::Tensor& g, const torch::Tensor& xq,
                                                                 const torch::Tensor& wq, bool need_x, bool need_w) const = 0;
  TableProduct table_;

 private:
  torch::Tensor mode_, act_max_, sigma_, mu_, lut_, error_offset_;
  std::string multiplier_ = "exact";
  std::string library_;
  Gradient gradient_ = Gradient::Ste;
  bool recording_ = false;
  bool calibrating_ = false;
  RecordedOperands recorded_;
  bool capture_ = false;
  torch::Tensor captured_;

  // One function per mode (baseline is op(x, w) itself), and the hooks around them.
  torch::Tensor forward_quantized(Mode m, const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& s_a,
                                  const torch::Tensor& s_w, const Op& op);
  torch::Tensor forward_approx(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& s_a,
                               const torch::Tensor& s_w, const Op& op, const Op& table_op);
  void record_hook(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& s_a, const torch::Tensor& s_w);
  torch::Tensor output_hook(torch::Tensor y, const torch::Tensor& bias);
};

class ApproxConv2dImpl : public ApproxLayer {
 public:
  explicit ApproxConv2dImpl(torch::nn::Conv2dOptions options);
  torch::Tensor forward(const torch::Tensor& x);
  int64_t fan_in() const override;
  int64_t opcount() const override;
  kernels::Conv2dShape shape_for(const torch::Tensor& x) const;
  RecordedOperands record(const torch::Tensor& xi, const torch::Tensor& wi) const override;
  GemmView gemm_view(const torch::Tensor& x) const override;
  std::pair<torch::Tensor, torch::Tensor> exact_backward(const torch::Tensor& g, const torch::Tensor& xq,
                                                         const torch::Tensor& wq, bool need_x, bool need_w) const override;

  torch::nn::Conv2dOptions options;
  torch::Tensor weight, bias;

 private:
  int64_t out_hw_ = 0;
};
TORCH_MODULE(ApproxConv2d);

class ApproxLinearImpl : public ApproxLayer {
 public:
  explicit ApproxLinearImpl(torch::nn::LinearOptions options);
  ApproxLinearImpl(int64_t in, int64_t out) : ApproxLinearImpl(torch::nn::LinearOptions(in, out)) {}
  torch::Tensor forward(const torch::Tensor& x);
  int64_t fan_in() const override { return options.in_features(); }
  int64_t opcount() const override { return options.in_features() * options.out_features(); }
  RecordedOperands record(const torch::Tensor& xi, const torch::Tensor& wi) const override;
  GemmView gemm_view(const torch::Tensor& x) const override;
  std::pair<torch::Tensor, torch::Tensor> exact_backward(const torch::Tensor& g, const torch::Tensor& xq,
                                                         const torch::Tensor& wq, bool need_x, bool need_w) const override;

  torch::nn::LinearOptions options;
  torch::Tensor weight, bias;
};
TORCH_MODULE(ApproxLinear);

// Replaces every torch::nn::Conv2d / Linear below `root` by an approximate layer (weights copied,
// mode baseline), and back. Returns how many layers were replaced.
int convert_to_approx(torch::nn::Module& root);
int convert_to_torch(torch::nn::Module& root);

// Every approximate layer below `root`, by its qualified name, in registration order.
std::vector<std::pair<std::string, std::shared_ptr<ApproxLayer>>> approx_layers(torch::nn::Module& root);

}  // namespace axnn::nn
