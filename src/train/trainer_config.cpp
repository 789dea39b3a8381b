#include "train/trainer_config.h"

#include "nn/modes.h"

namespace axnn::train {

using nlohmann::json;

const config::Spec& trainer_spec() {
  using namespace config;
  static const Spec spec = object(
      "Training settings shared by every training step",
      {{"epochs", integer("Epochs to train (0: evaluate only)").def(10).min(0).max(100000)},
       {"batch_size", integer("Images per batch").def(128).min(1).max(65536)},
       {"augment", boolean("Random crop (4-pixel padding) and horizontal flip, as for CIFAR").def(false)},
       {"calibration_epochs", integer("Quantization-aware training: the first N epochs only calibrate the activation "
                                      "observers (float products), then fake quantization is switched on").def(0).min(0).max(100000)},
       {"gradient", nn::gradients().spec("Backward of layers in approx mode (retrain): " + nn::gradients().explained()).def("ste")},
       {"validate_every", integer("Validate every N epochs").def(1).min(1).max(100000)},
       {"keep_best", boolean("End with the weights of the best validation epoch (by the early-stopping monitor, else "
                             "validation accuracy); false: the last epoch's").def(true)},
       {"optimizer", object("Optimiser", {{"name", string("sgd or adam").one_of({"sgd", "adam"}).def("sgd")},
                                          {"lr", number("Learning rate").def(0.05).min(0)},
                                          {"momentum", number("SGD momentum").def(0.9).min(0).max(1)},
                                          {"nesterov", boolean("Nesterov momentum (SGD)").def(false)},
                                          {"weight_decay", number("L2 weight decay").def(5e-4).min(0)}})},
       {"scheduler", object("Learning-rate schedule, applied after each epoch",
                            {{"name", string("none, step, multistep, cosine or plateau")
                                          .one_of({"none", "step", "multistep", "cosine", "plateau"})
                                          .def("none")},
                             {"step_size", integer("step: epochs between decays").def(10).min(1).max(100000)},
                             {"milestones", array_of("multistep: epochs after which to decay", integer("epoch").min(1).max(100000)).def(json::array())},
                             {"gamma", number("step, multistep: decay factor").def(0.1).min(0)},
                             {"patience", integer("plateau: epochs without improvement before decaying").def(2).min(0).max(100000)},
                             {"factor", number("plateau: decay factor").def(0.1).min(0)}})},
       {"early_stopping", object("Stop when the monitored value stops improving (off when monitor is empty)",
                                 {{"monitor", string("val_loss or val_acc; empty: off").one_of({"", "val_loss", "val_acc"}).def("")},
                                  {"mode", string("min or max: which direction is better").one_of({"min", "max"}).def("min")},
                                  {"patience", integer("Validations without improvement before stopping").def(5).min(1).max(100000)}})}});
  return spec;
}

}  // namespace axnn::train
