// Batches from a dataset split: seeded shuffling per epoch, normalisation with the training split's
// per-channel mean/std, and (optionally) CIFAR augmentation: random crop with 4-pixel zero padding
// and horizontal flips. Images stay uint8 in memory until a batch is formed.
#pragma once

#include <torch/torch.h>

#include <random>
#include <vector>

#include "data/dataset.h"

namespace axnn::train {

struct LoaderOptions {
  int64_t batch_size = 128;
  bool shuffle = true;
  bool augment = false;  // random crop (pad 4) + horizontal flip
  uint64_t seed = 0;
  // Data-parallel shard: rank `rank` of `ranks` gets its contiguous share of every global batch (the
  // same seeded order on every rank). A last batch with fewer images than ranks is left out.
  int rank = 0;
  int ranks = 1;
};

class BatchLoader {
 public:
  BatchLoader(const data::Split& split, std::vector<double> mean, std::vector<double> std, LoaderOptions options);

  // Starts an epoch (a new seeded order when shuffling).
  void start_epoch(int64_t epoch);
  // Fills the next batch (this rank's share of it); false at the end of the epoch.
  bool next(torch::Tensor& images, torch::Tensor& labels);
  // Images in the last global batch next() formed, over every rank.
  int64_t global_batch_size() const { return global_batch_; }
  int64_t batches_per_epoch() const { return (split_.n + options_.batch_size - 1) / options_.batch_size; }
  int64_t size() const { return split_.n; }

 private:
  const data::Split& split_;
  torch::Tensor mean_, std_;
  LoaderOptions options_;
  std::vector<int64_t> order_;
  int64_t cursor_ = 0;
  int64_t global_batch_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace axnn::train
