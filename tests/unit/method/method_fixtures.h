// Fixtures of the method's torch tests: a seeded LeNet-5 in quant mode and random 28x28 images.
#pragma once

#include <random>
#include <string>

#include "data/dataset.h"
#include "models/checkpoint.h"
#include "nn/approx_layer.h"

namespace axnn::method::test {

// LeNet-5 for 1x28x28 inputs, weights drawn with `seed`, every approximate layer in quant mode.
inline models::Checkpoint quant_lenet(uint64_t seed) {
  torch::manual_seed(seed);
  models::ModelOptions o;
  o.in_channels = 1;
  o.image_size = 28;
  models::Checkpoint c{"lenet5", o, models::build_model("lenet5", o)};
  for (auto& [name, layer] : nn::approx_layers(*c.model)) layer->set_mode(nn::Mode::Quant);
  return c;
}

// `n` training images of uniform random bytes (drawn with `seed`), labels i % 10, mean 0.5, std 0.3.
inline data::Dataset random_dataset(int64_t n, uint64_t seed) {
  data::Dataset d;
  d.name = "random";
  for (int i = 0; i < 10; ++i) d.classes.push_back(std::to_string(i));
  d.train.n = n, d.train.c = 1, d.train.h = d.train.w = 28;
  std::mt19937_64 rng(seed);
  for (int64_t i = 0; i < n * 28 * 28; ++i) d.train.images.push_back(static_cast<uint8_t>(rng() % 256));
  for (int64_t i = 0; i < n; ++i) d.train.labels.push_back(static_cast<int32_t>(i % 10));
  d.mean = {0.5};
  d.std = {0.3};
  return d;
}

}  // namespace axnn::method::test
