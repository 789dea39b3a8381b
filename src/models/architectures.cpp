#include "models/architectures.h"

namespace axnn::models {

const config::Choice<Architecture>& architectures() {
  static const config::Choice<Architecture> choice(
      "architecture",
      {{"lenet5", Architecture::LeNet5, "LeNet-5 (28x28 or 32x32 inputs)"},
       {"resnet8", Architecture::ResNet8, "CIFAR ResNet, 3 stages of 1 basic block, option-A shortcuts"},
       {"resnet14", Architecture::ResNet14, "CIFAR ResNet, 3 stages of 2 basic blocks"},
       {"resnet20", Architecture::ResNet20, "CIFAR ResNet, 3 stages of 3 basic blocks"},
       {"resnet32", Architecture::ResNet32, "CIFAR ResNet, 3 stages of 5 basic blocks"},
       {"vgg11", Architecture::Vgg11, "VGG-11 with BatchNorm and one linear classifier"},
       {"vgg16", Architecture::Vgg16, "VGG-16 with BatchNorm and one linear classifier"},
       {"mobilenetv2", Architecture::MobileNetV2, "MobileNetV2 for 32x32 inputs (depthwise convolutions)"},
       {"alexnet", Architecture::AlexNet, "a small AlexNet: 2 convolutions (5x5), 3 linear layers"}});
  return choice;
}

}  // namespace axnn::models
