// The model zoo: the networks of the approximate-multiplier literature, every Conv2d and Linear an
// approximate layer. Built by architecture name and parameters, so a checkpoint can rebuild them.
#pragma once

#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/architectures.h"

namespace axnn::models {

// A layer whose output filters can be removed (filter pruning, src/prune), and what follows its
// channels: `followers` are modules whose every per-channel tensor (dimension 0) belongs to the same
// channels (its BatchNorm; a depthwise conv and its BatchNorm); `consumers` are the layers that read
// them as inputs (a conv's input channels, or a linear layer's inputs in equal blocks per channel
// after a flatten). Names are qualified module names, as nn::approx_layers gives them.
struct PruneGroup {
  std::string layer;
  std::vector<std::string> followers;
  std::vector<std::string> consumers;
};

// Every zoo model: a module with a forward pass from images N x C x H x W to class logits.
class Model : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(torch::Tensor x) = 0;
  // The prunable layers, in order. Tied channels are left out: a CIFAR ResNet block's output (the
  // shortcut's), a depthwise layer (it follows its input), the classifier's outputs.
  const std::vector<PruneGroup>& prune_groups() const { return prune_groups_; }

 protected:
  std::vector<PruneGroup> prune_groups_;
};

struct ModelOptions {
  int64_t in_channels = 3;
  int64_t num_classes = 10;
  int64_t image_size = 32;  // height = width of the input
  double width = 1.0;       // MobileNetV2 width multiplier
  // A pruned model's kept filters per prunable layer (name -> filters); empty: the dense network.
  std::map<std::string, int64_t> widths;
  // The width of `layer`: its widths entry, else `dense`.
  int64_t width_of(const std::string& layer, int64_t dense) const;
};

// `arch`: one of models::architectures() (models/architectures.h). Throws UsageError for an unknown name or options it cannot build (e.g. LeNet-5 on 32x32 is fine,
// on 8x8 it is not; a widths entry that names no prunable layer, or is below 1 or above the dense width).
std::shared_ptr<Model> build_model(const std::string& arch, const ModelOptions& options);

nlohmann::json to_json(const ModelOptions& options);
ModelOptions options_from_json(const nlohmann::json& j);

int64_t parameter_count(torch::nn::Module& m);

}  // namespace axnn::models
