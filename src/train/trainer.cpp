#include "train/trainer.h"

#include <array>
#include <chrono>
#include <cmath>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.h"
#include "core/progress.h"
#include "nn/approx_layer.h"
#include "parallel/tensors.h"
#include "parallel/world.h"

namespace axnn::train {
namespace {

using nlohmann::json;

std::unique_ptr<torch::optim::Optimizer> make_optimizer(models::Model& model, const OptimizerSettings& o) {
  std::vector<torch::Tensor> params;
  for (auto& p : model.parameters())
    if (p.requires_grad()) params.push_back(p);
  switch (o.name) {
    case Optimizer::Adam:
      return std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(o.lr).weight_decay(o.weight_decay));
    case Optimizer::Sgd:
      return std::make_unique<torch::optim::SGD>(
          params, torch::optim::SGDOptions(o.lr).momentum(o.momentum).nesterov(o.nesterov).weight_decay(o.weight_decay));
  }
  throw std::logic_error("make_optimizer: an optimizer without a builder");
}

double get_lr(torch::optim::Optimizer& opt) { return opt.param_groups()[0].options().get_lr(); }
void set_lr(torch::optim::Optimizer& opt, double lr) {
  for (auto& g : opt.param_groups()) g.options().set_lr(lr);
}

// Learning rate for the epoch after `epoch` (0-based epochs completed = epoch + 1).
class Schedule {
 public:
  Schedule(const SchedulerSettings& s, double base_lr, int64_t epochs) : s_(s), base_(base_lr), epochs_(epochs) {}
  double after_epoch(int64_t done, double current, std::optional<double> monitored, bool lower_is_better) {
    switch (s_.name) {
      case Scheduler::None: return current;
      case Scheduler::Step: return base_ * std::pow(s_.gamma, static_cast<double>(done / s_.step_size));
      case Scheduler::MultiStep: {
        int passed = 0;
        for (int64_t m : s_.milestones) passed += done >= m;
        return base_ * std::pow(s_.gamma, passed);
      }
      case Scheduler::Cosine:
        return 0.5 * base_ * (1.0 + std::cos(M_PI * static_cast<double>(done) / static_cast<double>(epochs_)));
      case Scheduler::Plateau: return plateau(current, monitored, lower_is_better);
    }
    return current;
  }

 private:
  double plateau(double current, std::optional<double> monitored, bool lower_is_better) {
    if (!monitored) return current;
    const double value = *monitored;
    const bool improved = !has_best_ || (lower_is_better ? value < best_ : value > best_);
    if (improved) {
      best_ = value;
      has_best_ = true;
      bad_ = 0;
    } else if (++bad_ > s_.patience) {
      bad_ = 0;
      return current * s_.factor;
    }
    return current;
  }

  SchedulerSettings s_;
  double base_;
  int64_t epochs_;
  double best_ = 0;  // the best monitored value so far, once has_best_
  bool has_best_ = false;
  int64_t bad_ = 0;
};

}  // namespace

Metrics evaluate(models::Model& model, BatchLoader& loader, int64_t num_classes, const torch::Device& device) {
  torch::NoGradGuard no_grad;
  model.eval();
  Metrics m;
  std::vector<int64_t> correct(static_cast<size_t>(num_classes), 0), total(static_cast<size_t>(num_classes), 0);
  double loss_sum = 0;
  int64_t hits = 0, hits5 = 0, n = 0;
  torch::Tensor x, y;
  loader.start_epoch(0);
  while (loader.next(x, y)) {
    x = x.to(device);
    y = y.to(device);
    torch::Tensor logits = model.forward(x);
    loss_sum += torch::nn::functional::cross_entropy(logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum)).item<double>();
    torch::Tensor pred = logits.argmax(1);
    torch::Tensor ok = pred.eq(y).cpu();
    hits += ok.sum().item<int64_t>();
    if (num_classes > 10) hits5 += std::get<1>(logits.topk(5, 1)).eq(y.unsqueeze(1)).any(1).sum().item<int64_t>();
    auto yc = y.cpu();
    for (int64_t i = 0; i < yc.size(0); ++i) {
      const auto c = static_cast<size_t>(yc[i].item<int64_t>());
      ++total[c];
      correct[c] += ok[i].item<bool>();
    }
    n += yc.size(0);
  }
  m.samples = n;
  if (n == 0) return m;
  m.loss = loss_sum / static_cast<double>(n);
  m.accuracy = 100.0 * static_cast<double>(hits) / static_cast<double>(n);
  m.top5 = num_classes > 10 ? 100.0 * static_cast<double>(hits5) / static_cast<double>(n) : 0.0;
  for (size_t c = 0; c < correct.size(); ++c)
    m.per_class.push_back(total[c] ? 100.0 * static_cast<double>(correct[c]) / static_cast<double>(total[c]) : 0.0);
  return m;
}

json fit(models::Model& model, const TrainerSettings& cfg, BatchLoader& train, BatchLoader* val, int64_t num_classes,
         const torch::Device& device, const ExtraLoss& extra) {
  parallel::broadcast_state(model);  // every rank starts from rank 0's model
  auto opt = make_optimizer(model, cfg.optimizer);
  const int64_t epochs = cfg.epochs;
  Schedule schedule(cfg.scheduler, get_lr(*opt), std::max<int64_t>(epochs, 1));
  const EarlyStopping& es = cfg.early_stopping;
  // Best epoch: by the early-stopping monitor, else by validation accuracy (higher is better).
  const Monitor monitor = es.monitor;
  const bool lower_is_better = monitor != Monitor::Off && es.lower_is_better;
  std::optional<double> best;
  int64_t best_epoch = -1, stale = 0;
  std::vector<torch::Tensor> best_state;
  json history = json::array();
  // Calibration epochs train in float while the observers settle; validation always quantizes.
  const int64_t calibration = cfg.calibration_epochs;
  auto calibrate = [&](bool on) {
    for (auto& [name, layer] : nn::approx_layers(model)) layer->set_calibrating(on);
  };
  for (auto& [name, layer] : nn::approx_layers(model)) layer->set_gradient(cfg.gradient);
  for (int64_t epoch = 0; epoch < epochs; ++epoch) {
    auto t0 = std::chrono::steady_clock::now();
    calibrate(epoch < calibration);
    if (epoch == calibration && calibration > 0) spdlog::info("calibration done: fake quantization on from epoch {}", epoch + 1);
    model.train();
    train.start_epoch(epoch);
    Progress progress(fmt::format("epoch {}/{}", epoch + 1, epochs), train.batches_per_epoch());
    double loss_sum = 0;
    int64_t hits = 0, seen = 0, batch = 0;
    torch::Tensor x, y;
    while (train.next(x, y)) {
      x = x.to(device);
      y = y.to(device);
      torch::Tensor logits = model.forward(x);
      // This rank's part of the global batch's mean loss (the parts add up to it over the ranks; in a
      // world of one it is the mean). The extra term counts once in all: a share per rank.
      const auto global = static_cast<double>(train.global_batch_size()), share = static_cast<double>(y.size(0)) / global;
      torch::Tensor loss = torch::nn::functional::cross_entropy(
                               logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum)) /
                           global;
      if (extra.term) loss = loss + extra.term() * share;
      const double value = loss.item<double>();
      if (!std::isfinite(value))
        throw Error(fmt::format("training diverged: loss is {} at epoch {}, batch {} (lower the learning rate?)", value,
                                epoch + 1, batch + 1));
      opt->zero_grad();
      loss.backward();
      parallel::sum_gradients(model);
      opt->step();
      loss_sum += value * global;
      hits += logits.argmax(1).eq(y).sum().item<int64_t>();
      seen += y.size(0);
      ++batch;
      progress.advance(1, fmt::format("loss {:.4f}", loss_sum / static_cast<double>(seen)));
    }
    progress.finish();
    // Epoch totals over every rank: the same numbers one process would log.
    std::array<double, 3> totals = {loss_sum, static_cast<double>(hits), static_cast<double>(seen)};
    parallel::allreduce_sum(totals.data(), totals.size());
    json row = {{"epoch", epoch + 1},
                {"loss", totals[0] / std::max(totals[2], 1.0)},
                {"accuracy", 100.0 * totals[1] / std::max(totals[2], 1.0)},
                {"lr", get_lr(*opt)}};
    std::optional<double> monitored;
    calibrate(false);
    if (val && (epoch + 1) % cfg.validate_every == 0) {
      Metrics v = evaluate(model, *val, num_classes, device);
      row["val_loss"] = v.loss;
      row["val_accuracy"] = v.accuracy;
      const double score = monitor == Monitor::ValLoss ? v.loss : v.accuracy;
      monitored = score;
      if (!best || (lower_is_better ? score < *best : score > *best)) {
        best = score;
        best_epoch = epoch + 1;
        stale = 0;
        best_state.clear();
        if (cfg.keep_best) {
          for (const auto& p : model.parameters()) best_state.push_back(p.detach().clone());
          for (const auto& b : model.buffers()) best_state.push_back(b.detach().clone());
        }
      } else {
        ++stale;
      }
    }
    if (extra.log) row["extra"] = extra.log();
    row["time_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    spdlog::info("epoch {}: {}", epoch + 1, row.dump());
    history.push_back(row);
    set_lr(*opt, schedule.after_epoch(epoch + 1, get_lr(*opt), monitored, lower_is_better));
    if (monitor != Monitor::Off && stale >= es.patience) {
      spdlog::info("early stopping after epoch {}: {} did not improve for {} validations", epoch + 1,
                   monitors().name_of(monitor), stale);
      break;
    }
  }
  if (!best_state.empty()) {
    torch::NoGradGuard no_grad;
    size_t i = 0;
    for (auto& p : model.parameters()) p.copy_(best_state[i++]);
    for (auto& b : model.buffers()) b.copy_(best_state[i++]);
    spdlog::info("kept the weights of epoch {} (best {})", best_epoch,
                 monitor == Monitor::Off ? "val_acc" : monitors().name_of(monitor));
  }
  return history;
}

}  // namespace axnn::train
