// Swapping torch's Conv2d / Linear for approximate layers and back (weights copied).
#include "nn/approx_layer.h"

namespace axnn::nn {

namespace {

template <typename Visit>
int visit_children(torch::nn::Module& root, const Visit& visit) {
  int replaced = 0;
  for (const auto& item : root.named_children()) {
    replaced += visit(root, item.key(), item.value());
    replaced += visit_children(*item.value(), visit);
  }
  return replaced;
}

}  // namespace

int convert_to_approx(torch::nn::Module& root) {
  return visit_children(root, [](torch::nn::Module& parent, const std::string& name, const std::shared_ptr<torch::nn::Module>& child) {
    torch::NoGradGuard no_grad;
    if (auto conv = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(child)) {
      const auto& o = conv->options;
      ApproxConv2d a(torch::nn::Conv2dOptions(o.in_channels(), o.out_channels(), o.kernel_size())
                         .stride(o.stride())
                         .padding(o.padding())
                         .dilation(o.dilation())
                         .groups(o.groups())
                         .bias(o.bias()));
      a->weight.copy_(conv->weight);
      if (conv->options.bias()) a->bias.copy_(conv->bias);
      parent.replace_module(name, a);
      return 1;
    }
    if (auto lin = std::dynamic_pointer_cast<torch::nn::LinearImpl>(child)) {
      ApproxLinear a(lin->options);
      a->weight.copy_(lin->weight);
      if (lin->options.bias()) a->bias.copy_(lin->bias);
      parent.replace_module(name, a);
      return 1;
    }
    return 0;
  });
}

int convert_to_torch(torch::nn::Module& root) {
  return visit_children(root, [](torch::nn::Module& parent, const std::string& name, const std::shared_ptr<torch::nn::Module>& child) {
    torch::NoGradGuard no_grad;
    if (auto a = std::dynamic_pointer_cast<ApproxConv2dImpl>(child)) {
      torch::nn::Conv2d conv(a->options);
      conv->weight.copy_(a->weight);
      if (a->options.bias()) conv->bias.copy_(a->bias);
      parent.replace_module(name, conv);
      return 1;
    }
    if (auto a = std::dynamic_pointer_cast<ApproxLinearImpl>(child)) {
      torch::nn::Linear lin(a->options);
      lin->weight.copy_(a->weight);
      if (a->options.bias()) lin->bias.copy_(a->bias);
      parent.replace_module(name, lin);
      return 1;
    }
    return 0;
  });
}

}  // namespace axnn::nn
