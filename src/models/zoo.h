// The model zoo: the networks of the approximate-multiplier literature, every Conv2d and Linear an
// approximate layer. Built by architecture name and parameters, so a checkpoint can rebuild them.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace axnn::models {

// Every zoo model: a module with a forward pass from images N x C x H x W to class logits.
class Model : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(torch::Tensor x) = 0;
};

struct ModelOptions {
  int64_t in_channels = 3;
  int64_t num_classes = 10;
  int64_t image_size = 32;  // height = width of the input
  double width = 1.0;       // MobileNetV2 width multiplier
};

// Architectures: lenet5, resnet8, resnet14, resnet20, resnet32, vgg11, vgg16, mobilenetv2, alexnet.
const std::vector<std::string>& architectures();

// Throws UsageError for an unknown name or options it cannot build (e.g. LeNet-5 on 32x32 is fine,
// on 8x8 it is not).
std::shared_ptr<Model> build_model(const std::string& arch, const ModelOptions& options);

nlohmann::json to_json(const ModelOptions& options);
ModelOptions options_from_json(const nlohmann::json& j);

int64_t parameter_count(torch::nn::Module& m);

}  // namespace axnn::models
