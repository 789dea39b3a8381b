#include "train/loader.h"

#include <numeric>

namespace axnn::train {

BatchLoader::BatchLoader(const data::Split& split, std::vector<double> mean, std::vector<double> stdev, LoaderOptions o)
    : split_(split), options_(o), order_(static_cast<size_t>(split.n)) {
  mean_ = torch::tensor(std::vector<float>(mean.begin(), mean.end())).reshape({1, -1, 1, 1});
  std_ = torch::tensor(std::vector<float>(stdev.begin(), stdev.end())).reshape({1, -1, 1, 1});
  std::iota(order_.begin(), order_.end(), 0);
}

void BatchLoader::start_epoch(int64_t epoch) {
  cursor_ = 0;
  rng_.seed(options_.seed * 1000003ULL + static_cast<uint64_t>(epoch));
  std::iota(order_.begin(), order_.end(), 0);
  if (options_.shuffle)  // Fisher-Yates with mt19937_64: the same order on every platform
    for (size_t i = order_.size(); i > 1; --i) std::swap(order_[i - 1], order_[rng_() % i]);
}

bool BatchLoader::next(torch::Tensor& images, torch::Tensor& labels) {
  if (cursor_ >= split_.n) return false;
  const int64_t b = std::min(options_.batch_size, split_.n - cursor_);
  const int64_t c = split_.c, h = split_.h, w = split_.w, image = c * h * w;
  torch::Tensor raw = torch::empty({b, c, h, w}, torch::kUInt8);
  labels = torch::empty({b}, torch::kInt64);
  uint8_t* dst = raw.data_ptr<uint8_t>();
  int64_t* lab = labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < b; ++i) {
    const int64_t src = order_[static_cast<size_t>(cursor_ + i)];
    const uint8_t* from = split_.images.data() + src * image;
    uint8_t* to = dst + i * image;
    if (!options_.augment) {
      std::copy(from, from + image, to);
    } else {
      // Random crop of the 4-pixel zero-padded image, then a random horizontal flip.
      const int64_t dy = static_cast<int64_t>(rng_() % 9) - 4, dx = static_cast<int64_t>(rng_() % 9) - 4;
      const bool flip = rng_() & 1;
      for (int64_t ch = 0; ch < c; ++ch)
        for (int64_t y = 0; y < h; ++y)
          for (int64_t x = 0; x < w; ++x) {
            const int64_t sy = y + dy, sx = (flip ? w - 1 - x : x) + dx;
            to[(ch * h + y) * w + x] = (sy < 0 || sy >= h || sx < 0 || sx >= w) ? 0 : from[(ch * h + sy) * w + sx];
          }
    }
    lab[i] = split_.labels[static_cast<size_t>(src)];
  }
  cursor_ += b;
  images = (raw.to(torch::kFloat) / 255.0 - mean_) / std_;
  return true;
}

}  // namespace axnn::train
