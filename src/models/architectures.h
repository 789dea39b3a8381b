// The zoo's architectures by name: the one list that the model builder (models/zoo.cpp switches over
// it), axnn-train's --arch, the experiment schema's model.arch enum and the docs take their names from.
// Torch-free, so configs are checked without LibTorch.
#pragma once

#include "config/choice.h"

namespace axnn::models {

enum class Architecture { LeNet5, ResNet8, ResNet14, ResNet20, ResNet32, Vgg11, Vgg16, MobileNetV2, AlexNet };

const config::Choice<Architecture>& architectures();

}  // namespace axnn::models
