#include "train/trainer_config.h"

namespace axnn::train {

using nlohmann::json;
using namespace config;

const Choice<Optimizer>& optimizers() {
  static const Choice<Optimizer> choice(
      "optimizer", {{"sgd", Optimizer::Sgd, "SGD with momentum (optionally Nesterov) and weight decay"},
                    {"adam", Optimizer::Adam, "Adam with weight decay"}});
  return choice;
}

const Choice<Scheduler>& schedulers() {
  static const Choice<Scheduler> choice(
      "scheduler", {{"none", Scheduler::None, "a constant learning rate"},
                    {"step", Scheduler::Step, "times gamma every step_size epochs"},
                    {"multistep", Scheduler::MultiStep, "times gamma after each milestone epoch"},
                    {"cosine", Scheduler::Cosine, "cosine annealing to 0 over the epochs"},
                    {"plateau", Scheduler::Plateau, "times factor after patience epochs without improvement"}});
  return choice;
}

const Choice<Monitor>& monitors() {
  static const Choice<Monitor> choice("early-stopping monitor",
                                      {{"", Monitor::Off, "off"},
                                       {"val_loss", Monitor::ValLoss, "the validation loss"},
                                       {"val_acc", Monitor::ValAccuracy, "the validation accuracy"}});
  return choice;
}

namespace {

// The settings every training step has, in declaration order.
std::vector<std::pair<std::string, Spec>> common_settings() {
  return {
      {"epochs", integer("Epochs to train (0: evaluate only)").def(10).min(0).max(100000)},
      {"batch_size", integer("Images per batch").def(128).min(1).max(65536)},
      {"augment", boolean("Random crop (4-pixel padding) and horizontal flip, as for CIFAR").def(false)},
      {"validate_every", integer("Validate every N epochs").def(1).min(1).max(100000)},
      {"keep_best", boolean("End with the weights of the best validation epoch (by the early-stopping monitor, else "
                            "validation accuracy); false: the last epoch's").def(true)},
      {"optimizer", object("Optimiser", {{"name", optimizers().spec(optimizers().listed()).def("sgd")},
                                         {"lr", number("Learning rate").def(0.05).min(0)},
                                         {"momentum", number("SGD momentum").def(0.9).min(0).max(1)},
                                         {"nesterov", boolean("Nesterov momentum (SGD)").def(false)},
                                         {"weight_decay", number("L2 weight decay").def(5e-4).min(0)}})},
      {"scheduler", object("Learning-rate schedule, applied after each epoch",
                           {{"name", schedulers().spec(schedulers().explained()).def("none")},
                            {"step_size", integer("step: epochs between decays").def(10).min(1).max(100000)},
                            {"milestones", array_of("multistep: epochs after which to decay", integer("epoch").min(1).max(100000))
                                               .def(json::array())},
                            {"gamma", number("step, multistep: decay factor").def(0.1).min(0)},
                            {"patience", integer("plateau: epochs without improvement before decaying").def(2).min(0).max(100000)},
                            {"factor", number("plateau: decay factor").def(0.1).min(0)}})},
      {"early_stopping", object("Stop when the monitored value stops improving (off when monitor is empty)",
                                {{"monitor", monitors().spec("val_loss or val_acc; empty: off").def("")},
                                 {"mode", string("min or max: which direction is better").one_of({"min", "max"}).def("min")},
                                 {"patience", integer("Validations without improvement before stopping").def(5).min(1).max(100000)}})}};
}

Spec trainer_with(const std::string& description, std::vector<std::pair<std::string, Spec>> extra) {
  auto props = common_settings();
  props.insert(props.begin() + 3, extra.begin(), extra.end());  // after augment, as the schemas had them
  return object(description, std::move(props));
}

}  // namespace

const Spec& trainer_spec() {
  static const Spec spec = trainer_with("Training settings (baseline training)", {});
  return spec;
}

const Spec& quantize_spec() {
  static const Spec spec = trainer_with(
      "Quantization-aware training settings (axnn-train --mode quant): the trainer's, plus calibration",
      {{"calibration_epochs", integer("The first N epochs only calibrate the activation observers (float products), "
                                      "then fake quantization is switched on")
                                  .def(0)
                                  .min(0)
                                  .max(100000)}});
  return spec;
}

const Spec& retrain_spec() {
  static const Spec spec = trainer_with(
      "Retraining through the deployed tables (axnn-retrain): the trainer's settings, plus the backward",
      {{"gradient", nn::gradients().spec("Backward of the layers in approx mode: " + nn::gradients().explained()).def("ste")}});
  return spec;
}

TrainerSettings TrainerSettings::from(const json& c) {
  TrainerSettings s;
  s.epochs = c.at("epochs"), s.batch_size = c.at("batch_size"), s.validate_every = c.at("validate_every");
  s.augment = c.at("augment"), s.keep_best = c.at("keep_best");
  if (c.contains("calibration_epochs")) s.calibration_epochs = c["calibration_epochs"];
  if (c.contains("gradient")) s.gradient = nn::gradients().parse(c["gradient"], "gradient");
  const json& o = c.at("optimizer");
  s.optimizer.name = optimizers().parse(o.at("name"), "optimizer.name");
  s.optimizer.lr = o.at("lr"), s.optimizer.momentum = o.at("momentum"), s.optimizer.weight_decay = o.at("weight_decay");
  s.optimizer.nesterov = o.at("nesterov");
  const json& k = c.at("scheduler");
  s.scheduler.name = schedulers().parse(k.at("name"), "scheduler.name");
  s.scheduler.step_size = k.at("step_size"), s.scheduler.patience = k.at("patience");
  s.scheduler.milestones = k.at("milestones").get<std::vector<int64_t>>();
  s.scheduler.gamma = k.at("gamma"), s.scheduler.factor = k.at("factor");
  const json& e = c.at("early_stopping");
  s.early_stopping.monitor = monitors().parse(e.at("monitor"), "early_stopping.monitor");
  s.early_stopping.lower_is_better = e.at("mode") == "min";
  s.early_stopping.patience = e.at("patience");
  return s;
}

}  // namespace axnn::train
