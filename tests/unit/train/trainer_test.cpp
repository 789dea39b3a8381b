#include "train/trainer.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace axnn::train {
namespace {

// Two classes of 28x28 images: bright left half (class 0) or bright right half (class 1), with noise.
data::Split toy_split(int64_t n, uint64_t seed) {
  data::Split s;
  s.n = n, s.c = 1, s.h = 28, s.w = 28;
  std::mt19937_64 rng(seed);
  for (int64_t i = 0; i < n; ++i) {
    const int label = static_cast<int>(i % 2);
    s.labels.push_back(label);
    for (int y = 0; y < 28; ++y)
      for (int x = 0; x < 28; ++x) {
        const bool bright = (x < 14) == (label == 0);
        s.images.push_back(static_cast<uint8_t>((bright ? 150 : 40) + rng() % 60));
      }
  }
  return s;
}

nlohmann::json config(const nlohmann::json& overrides) {
  nlohmann::json raw = {{"epochs", 3}, {"batch_size", 16}, {"optimizer", {{"lr", 0.02}}}};
  raw.merge_patch(overrides);
  return config::resolve(trainer_spec(), raw, "test");
}

struct ToyRun {
  nlohmann::json history;
  std::shared_ptr<models::Model> model;
};

ToyRun train_toy(const nlohmann::json& overrides, uint64_t seed = 1, const ExtraLoss& extra = {}) {
  torch::manual_seed(seed);
  models::ModelOptions o;
  o.in_channels = 1;
  o.image_size = 28;
  o.num_classes = 2;
  auto model = models::build_model("lenet5", o);
  static const data::Split train_split = toy_split(64, 5), val_split = toy_split(32, 6);
  LoaderOptions lo;
  lo.batch_size = 16;
  lo.seed = seed;
  BatchLoader train(train_split, {0.4}, {0.25}, lo);
  lo.shuffle = false;
  BatchLoader val(val_split, {0.4}, {0.25}, lo);
  auto history = fit(*model, TrainerSettings::from(config(overrides)), train, &val, 2, torch::kCPU, extra);
  return {history, model};
}

TEST(Trainer, LearnsASeparableProblem) {
  ToyRun r = train_toy({{"epochs", 4}});
  ASSERT_EQ(r.history.size(), 4u);
  EXPECT_GT(r.history.back()["val_accuracy"].get<double>(), 90.0);
  EXPECT_LT(r.history.back()["loss"].get<double>(), r.history.front()["loss"].get<double>());
}

TEST(Trainer, SeededRunsGiveIdenticalWeights) {
  torch::set_num_threads(1);
  ToyRun a = train_toy({{"epochs", 2}}, 3), b = train_toy({{"epochs", 2}}, 3);
  auto pa = a.model->parameters(), pb = b.model->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::equal(pa[i], pb[i])) << i;
  EXPECT_EQ(a.history[1]["loss"], b.history[1]["loss"]);
}

TEST(Trainer, StepAndMultistepSchedules) {
  ToyRun s = train_toy({{"scheduler", {{"name", "step"}, {"step_size", 1}, {"gamma", 0.5}}}});
  EXPECT_DOUBLE_EQ(s.history[0]["lr"].get<double>(), 0.02);
  EXPECT_DOUBLE_EQ(s.history[1]["lr"].get<double>(), 0.01);
  EXPECT_DOUBLE_EQ(s.history[2]["lr"].get<double>(), 0.005);
  ToyRun m = train_toy({{"scheduler", {{"name", "multistep"}, {"milestones", {2}}, {"gamma", 0.1}}}});
  EXPECT_DOUBLE_EQ(m.history[1]["lr"].get<double>(), 0.02);
  EXPECT_NEAR(m.history[2]["lr"].get<double>(), 0.002, 1e-12);
}

TEST(Trainer, EarlyStoppingStopsWhenTheMonitorStalls) {
  // With lr 0 nothing improves after the first validation: patience 1 stops after epoch 2.
  ToyRun r = train_toy({{"epochs", 6}, {"optimizer", {{"lr", 0.0}}},
                     {"early_stopping", {{"monitor", "val_loss"}, {"mode", "min"}, {"patience", 1}}}});
  EXPECT_EQ(r.history.size(), 2u);
}

TEST(Trainer, NanLossStopsWithAClearError) {
  ExtraLoss nan_term{[] { return torch::tensor(std::nan("")); }, nullptr};
  try {
    train_toy(nlohmann::json::object(), 1, nan_term);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("training diverged: loss is nan at epoch 1, batch 1"), std::string::npos) << e.what();
  }
}

TEST(Trainer, ConfigRejectsUnknownKeysAndBadValues) {
  EXPECT_THROW(config({{"optimizer", {{"name", "rmsprop"}}}}), ConfigError);
  EXPECT_THROW(config({{"epoch", 3}}), ConfigError);
  EXPECT_THROW(config({{"early_stopping", {{"monitor", "train_acc"}}}}), ConfigError);
}

TEST(Loader, AugmentationKeepsShapesAndSeededOrder) {
  data::Split s = toy_split(10, 1);
  LoaderOptions o;
  o.batch_size = 4;
  o.augment = true;
  o.seed = 9;
  BatchLoader a(s, {0.4}, {0.25}, o), b(s, {0.4}, {0.25}, o);
  a.start_epoch(2);
  b.start_epoch(2);
  torch::Tensor xa, ya, xb, yb;
  int batches = 0;
  while (a.next(xa, ya)) {
    ASSERT_TRUE(b.next(xb, yb));
    EXPECT_TRUE(torch::equal(xa, xb));
    EXPECT_TRUE(torch::equal(ya, yb));
    ++batches;
  }
  EXPECT_EQ(batches, 3);
  EXPECT_EQ(xa.sizes(), (torch::IntArrayRef{2, 1, 28, 28}));
}

}  // namespace
}  // namespace axnn::train
