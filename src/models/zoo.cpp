#include "models/zoo.h"

#include <fmt/format.h>

#include "core/error.h"
#include "nn/approx_layer.h"
#include "nn/batch_norm.h"

namespace axnn::models {
namespace {

using nn::ApproxConv2d;
using nn::ApproxLinear;
namespace tnn = torch::nn;

ApproxConv2d conv(int64_t in, int64_t out, int64_t k, int64_t stride = 1, int64_t pad = 0, bool bias = false,
                  int64_t groups = 1) {
  return ApproxConv2d(tnn::Conv2dOptions(in, out, k).stride(stride).padding(pad).bias(bias).groups(groups));
}

// LeNet-5 with BatchNorm, as in the learned-noise (AGN) literature: conv5 1->6 pad 2, conv5 6->16,
// FC 400 -> 120 -> 84 -> classes (for 28x28 inputs; 32x32 inputs use no padding in conv1).
class LeNet5 : public Model {
 public:
  explicit LeNet5(const ModelOptions& o)
      : c1_(o.width_of("conv1", 6)), c2_(o.width_of("conv2", 16)), f1_(o.width_of("fc1", 120)), f2_(o.width_of("fc2", 84)),
        conv1(register_module("conv1", conv(o.in_channels, c1_, 5, 1, o.image_size == 28 ? 2 : 0, true))),
        bn1(register_module("bn1", nn::BatchNorm2d(c1_))),
        conv2(register_module("conv2", conv(c1_, c2_, 5, 1, 0, true))),
        bn2(register_module("bn2", nn::BatchNorm2d(c2_))),
        fc1(register_module("fc1", ApproxLinear(c2_ * 5 * 5, f1_))),
        fc2(register_module("fc2", ApproxLinear(f1_, f2_))),
        fc3(register_module("fc3", ApproxLinear(f2_, o.num_classes))) {
    if (o.image_size != 28 && o.image_size != 32) throw UsageError("lenet5: image_size must be 28 or 32");
    prune_groups_ = {{"conv1", {"bn1"}, {"conv2"}}, {"conv2", {"bn2"}, {"fc1"}}, {"fc1", {}, {"fc2"}}, {"fc2", {}, {"fc3"}}};
  }
  torch::Tensor forward(torch::Tensor x) override {
    x = torch::max_pool2d(torch::relu(bn1(conv1(x))), 2);
    x = torch::max_pool2d(torch::relu(bn2(conv2(x))), 2);
    x = torch::relu(fc1(x.flatten(1)));
    return fc3(torch::relu(fc2(x)));
  }

 private:
  int64_t c1_, c2_, f1_, f2_;
  ApproxConv2d conv1;
  nn::BatchNorm2d bn1;
  ApproxConv2d conv2;
  nn::BatchNorm2d bn2;
  ApproxLinear fc1, fc2, fc3;
};

// CIFAR ResNet basic block with option-A shortcut (identity; on a stride or width change, subsample
// by 2 and pad the new channels with zeros: no parameters). `mid`: conv1's filters (fewer when pruned).
class BasicBlockImpl : public tnn::Module {
 public:
  BasicBlockImpl(int64_t in, int64_t mid, int64_t out, int64_t stride)
      : conv1(register_module("conv1", conv(in, mid, 3, stride, 1))),
        bn1(register_module("bn1", nn::BatchNorm2d(mid))),
        conv2(register_module("conv2", conv(mid, out, 3, 1, 1))),
        bn2(register_module("bn2", nn::BatchNorm2d(out))),
        pad_channels_(out - in),
        stride_(stride) {}
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = bn2(conv2(torch::relu(bn1(conv1(x)))));
    torch::Tensor shortcut = x;
    if (stride_ != 1 || pad_channels_ != 0) {
      shortcut = x.index({torch::indexing::Slice(), torch::indexing::Slice(), torch::indexing::Slice(torch::indexing::None, torch::indexing::None, stride_),
                          torch::indexing::Slice(torch::indexing::None, torch::indexing::None, stride_)});
      shortcut = torch::constant_pad_nd(shortcut, {0, 0, 0, 0, pad_channels_ / 2, pad_channels_ - pad_channels_ / 2});
    }
    return torch::relu(y + shortcut);
  }

 private:
  ApproxConv2d conv1;
  nn::BatchNorm2d bn1;
  ApproxConv2d conv2;
  nn::BatchNorm2d bn2;
  int64_t pad_channels_, stride_;
};
TORCH_MODULE(BasicBlock);

class CifarResNet : public Model {
 public:
  CifarResNet(int64_t depth, const ModelOptions& o)
      : conv1(register_module("conv1", conv(o.in_channels, 16, 3, 1, 1))),
        bn1(register_module("bn1", nn::BatchNorm2d(16))),
        fc(register_module("fc", ApproxLinear(64, o.num_classes))) {
    if ((depth - 2) % 6 != 0) throw UsageError(fmt::format("resnet: depth {} is not 6n+2", depth));
    const int64_t n = (depth - 2) / 6;
    int64_t in = 16;
    for (int stage = 0; stage < 3; ++stage) {
      const int64_t out = 16 << stage;
      for (int64_t b = 0; b < n; ++b) {
        const std::string name = fmt::format("layer{}_{}", stage + 1, b);
        const int64_t mid = o.width_of(name + ".conv1", out);
        blocks.push_back(register_module(name, BasicBlock(in, mid, out, stage > 0 && b == 0 ? 2 : 1)));
        prune_groups_.push_back({name + ".conv1", {name + ".bn1"}, {name + ".conv2"}});
        in = out;
      }
    }
  }
  torch::Tensor forward(torch::Tensor x) override {
    x = torch::relu(bn1(conv1(x)));
    for (auto& b : blocks) x = b->forward(x);
    return fc(torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1));
  }

 private:
  ApproxConv2d conv1;
  nn::BatchNorm2d bn1;
  std::vector<BasicBlock> blocks;
  ApproxLinear fc;
};

// VGG with BatchNorm for 32x32 inputs (classifier: one linear layer on the 512 features).
class Vgg : public Model {
 public:
  Vgg(const std::vector<int64_t>& cfg, const ModelOptions& o) {
    int64_t in = o.in_channels, size = o.image_size;
    for (int64_t c : cfg) {
      if (c == 0) {
        features->push_back(tnn::MaxPool2d(2));
        size /= 2;
        continue;
      }
      const std::string name = fmt::format("features.{}", features->size());
      c = o.width_of(name, c);
      // Each conv's channels feed the next conv (or the classifier, set below).
      if (!prune_groups_.empty()) prune_groups_.back().consumers = {name};
      prune_groups_.push_back({name, {fmt::format("features.{}", features->size() + 1)}, {}});
      features->push_back(conv(in, c, 3, 1, 1));
      features->push_back(nn::BatchNorm2d(c));
      features->push_back(tnn::ReLU());
      in = c;
    }
    if (size < 1) throw UsageError("vgg: image too small for five poolings");
    prune_groups_.back().consumers = {"classifier"};
    register_module("features", features);
    classifier = register_module("classifier", ApproxLinear(in * size * size, o.num_classes));
  }
  torch::Tensor forward(torch::Tensor x) override { return classifier(features->forward(x).flatten(1)); }

 private:
  tnn::Sequential features;
  ApproxLinear classifier{nullptr};
};

// MobileNetV2 for 32x32 inputs (stride 1 in the stem and the second stage, as in CIFAR ports).
class InvertedResidualImpl : public tnn::Module {
 public:
  // `hidden`: the expansion's filters (in * expand, fewer when pruned).
  InvertedResidualImpl(int64_t in, int64_t hidden, int64_t out, int64_t stride, int64_t expand)
      : residual_(stride == 1 && in == out) {
    if (expand != 1) {
      body->push_back(conv(in, hidden, 1));
      body->push_back(nn::BatchNorm2d(hidden));
      body->push_back(tnn::Functional(torch::relu6));
    }
    body->push_back(conv(hidden, hidden, 3, stride, 1, false, hidden));  // depthwise
    body->push_back(nn::BatchNorm2d(hidden));
    body->push_back(tnn::Functional(torch::relu6));
    body->push_back(conv(hidden, out, 1));
    body->push_back(nn::BatchNorm2d(out));
    register_module("body", body);
  }
  torch::Tensor forward(const torch::Tensor& x) { return residual_ ? x + body->forward(x) : body->forward(x); }

 private:
  tnn::Sequential body;
  bool residual_;
};
TORCH_MODULE(InvertedResidual);

class MobileNetV2 : public Model {
 public:
  explicit MobileNetV2(const ModelOptions& o) {
    auto ch = [&](int64_t c) { return std::max<int64_t>(8, static_cast<int64_t>(c * o.width + 4) / 8 * 8); };
    // expansion t, channels c, repeats n, stride s
    const int64_t settings[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 1}, {6, 32, 3, 2}, {6, 64, 4, 2},
                                    {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    int64_t in = ch(32);
    features->push_back(conv(o.in_channels, in, 3, 1, 1));
    features->push_back(nn::BatchNorm2d(in));
    features->push_back(tnn::Functional(torch::relu6));
    for (const auto& s : settings)
      for (int64_t r = 0; r < s[2]; ++r) {
        // The expansion (a 1x1 conv) can lose filters: its BatchNorm and the depthwise conv with its
        // BatchNorm follow, the projection reads them. Blocks without expansion have none to lose.
        const std::string body = fmt::format("features.{}.body.", features->size());
        const int64_t hidden = s[0] == 1 ? in : o.width_of(body + "0", in * s[0]);
        if (s[0] != 1) prune_groups_.push_back({body + "0", {body + "1", body + "3", body + "4"}, {body + "6"}});
        features->push_back(InvertedResidual(in, hidden, ch(s[1]), r == 0 ? s[3] : 1, s[0]));
        in = ch(s[1]);
      }
    const std::string head = fmt::format("features.{}", features->size());
    const int64_t last = o.width_of(head, std::max<int64_t>(1280, ch(1280)));
    prune_groups_.push_back({head, {fmt::format("features.{}", features->size() + 1)}, {"classifier"}});
    features->push_back(conv(in, last, 1));
    features->push_back(nn::BatchNorm2d(last));
    features->push_back(tnn::Functional(torch::relu6));
    register_module("features", features);
    classifier = register_module("classifier", ApproxLinear(last, o.num_classes));
  }
  torch::Tensor forward(torch::Tensor x) override {
    return classifier(torch::adaptive_avg_pool2d(features->forward(x), {1, 1}).flatten(1));
  }

 private:
  tnn::Sequential features;
  ApproxLinear classifier{nullptr};
};

// AlexNet-style small net for 32x32 (the classic CIFAR-10 model): conv5 64, pool, conv5 64, pool,
// FC 384 -> 192 -> classes.
class AlexNetSmall : public Model {
 public:
  explicit AlexNetSmall(const ModelOptions& o)
      : c1_(o.width_of("conv1", 64)), c2_(o.width_of("conv2", 64)), f1_(o.width_of("fc1", 384)), f2_(o.width_of("fc2", 192)),
        conv1(register_module("conv1", conv(o.in_channels, c1_, 5, 1, 2, true))),
        conv2(register_module("conv2", conv(c1_, c2_, 5, 1, 2, true))),
        fc1(register_module("fc1", ApproxLinear(c2_ * (o.image_size / 4) * (o.image_size / 4), f1_))),
        fc2(register_module("fc2", ApproxLinear(f1_, f2_))),
        fc3(register_module("fc3", ApproxLinear(f2_, o.num_classes))) {
    prune_groups_ = {{"conv1", {}, {"conv2"}}, {"conv2", {}, {"fc1"}}, {"fc1", {}, {"fc2"}}, {"fc2", {}, {"fc3"}}};
  }
  torch::Tensor forward(torch::Tensor x) override {
    x = torch::max_pool2d(torch::relu(conv1(x)), 3, 2, 1);
    x = torch::max_pool2d(torch::relu(conv2(x)), 3, 2, 1);
    x = torch::relu(fc1(x.flatten(1)));
    return fc3(torch::relu(fc2(x)));
  }

 private:
  int64_t c1_, c2_, f1_, f2_;
  ApproxConv2d conv1, conv2;
  ApproxLinear fc1, fc2, fc3;
};

std::shared_ptr<Model> build_dense_or_pruned(const std::string& arch, const ModelOptions& o) {
  if (o.in_channels < 1 || o.num_classes < 2 || o.image_size < 8)
    throw UsageError("model options: in_channels >= 1, num_classes >= 2, image_size >= 8");
  switch (architectures().parse<UsageError>(arch)) {
    case Architecture::LeNet5: return std::make_shared<LeNet5>(o);
    case Architecture::ResNet8: return std::make_shared<CifarResNet>(8, o);
    case Architecture::ResNet14: return std::make_shared<CifarResNet>(14, o);
    case Architecture::ResNet20: return std::make_shared<CifarResNet>(20, o);
    case Architecture::ResNet32: return std::make_shared<CifarResNet>(32, o);
    case Architecture::Vgg11:
      return std::make_shared<Vgg>(std::vector<int64_t>{64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0}, o);
    case Architecture::Vgg16:
      return std::make_shared<Vgg>(
          std::vector<int64_t>{64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0}, o);
    case Architecture::MobileNetV2: return std::make_shared<MobileNetV2>(o);
    case Architecture::AlexNet: return std::make_shared<AlexNetSmall>(o);
  }
  throw std::logic_error("build_model: an architecture without a builder");
}

}  // namespace

int64_t ModelOptions::width_of(const std::string& layer, int64_t dense) const {
  auto it = widths.find(layer);
  if (it == widths.end()) return dense;
  if (it->second < 1 || it->second > dense)
    throw UsageError(fmt::format("model options: widths.{} is {}, expected 1 to {} (the dense width)", layer, it->second, dense));
  return it->second;
}

std::shared_ptr<Model> build_model(const std::string& arch, const ModelOptions& o) {
  std::shared_ptr<Model> m = build_dense_or_pruned(arch, o);
  for (const auto& [layer, w] : o.widths) {
    bool known = false;
    for (const auto& g : m->prune_groups()) known |= g.layer == layer;
    if (!known) throw UsageError(fmt::format("model options: widths.{}: {} has no prunable layer of that name", layer, arch));
  }
  return m;
}



nlohmann::json to_json(const ModelOptions& o) {
  nlohmann::json j = {{"in_channels", o.in_channels}, {"num_classes", o.num_classes}, {"image_size", o.image_size}, {"width", o.width}};
  if (!o.widths.empty()) j["widths"] = o.widths;  // dense models' options stay as they were
  return j;
}

ModelOptions options_from_json(const nlohmann::json& j) {
  ModelOptions o;
  o.in_channels = j.value("in_channels", o.in_channels);
  o.num_classes = j.value("num_classes", o.num_classes);
  o.image_size = j.value("image_size", o.image_size);
  o.width = j.value("width", o.width);
  if (j.contains("widths")) o.widths = j.at("widths").get<std::map<std::string, int64_t>>();
  return o;
}

int64_t parameter_count(torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.named_parameters()) {
    // sigma of the approximate layers is a method parameter, not a weight of the network
    const std::string& k = p.key();
    if (k == "sigma" || (k.size() >= 6 && k.compare(k.size() - 6, 6, ".sigma") == 0)) continue;
    n += p.value().numel();
  }
  return n;
}

}  // namespace axnn::models
