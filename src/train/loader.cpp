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
  const int64_t b = std::min(options_.batch_size, split_.n - cursor_);
  if (b <= 0 || b < options_.ranks) return false;
  // This rank's rows of the global batch; the augmentation draws of every row are made on every rank,
  // so that a row is cropped and flipped the same however many ranks there are.
  const int64_t first = b * options_.rank / options_.ranks, last = b * (options_.rank + 1) / options_.ranks;
  const int64_t c = split_.c, h = split_.h, w = split_.w, image = c * h * w;
  torch::Tensor raw = torch::empty({last - first, c, h, w}, torch::kUInt8);
  labels = torch::empty({last - first}, torch::kInt64);
  uint8_t* dst = raw.data_ptr<uint8_t>();
  int64_t* lab = labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < b; ++i) {
    int64_t dy = 0, dx = 0;
    bool flip = false;
    if (options_.augment) {  // random crop of the 4-pixel zero-padded image, then a random horizontal flip
      dy = static_cast<int64_t>(rng_() % 9) - 4;
      dx = static_cast<int64_t>(rng_() % 9) - 4;
      flip = rng_() & 1;
    }
    if (i < first || i >= last) continue;
    const int64_t src = order_[static_cast<size_t>(cursor_ + i)];
    const uint8_t* from = split_.images.data() + src * image;
    uint8_t* to = dst + (i - first) * image;
    if (!options_.augment) {
      std::copy(from, from + image, to);
    } else {
      for (int64_t ch = 0; ch < c; ++ch)
        for (int64_t y = 0; y < h; ++y)
          for (int64_t x = 0; x < w; ++x) {
            const int64_t sy = y + dy, sx = (flip ? w - 1 - x : x) + dx;
            to[(ch * h + y) * w + x] = (sy < 0 || sy >= h || sx < 0 || sx >= w) ? 0 : from[(ch * h + sy) * w + sx];
          }
    }
    lab[i - first] = split_.labels[static_cast<size_t>(src)];
  }
  cursor_ += b;
  global_batch_ = b;
  images = (raw.to(torch::kFloat) / 255.0 - mean_) / std_;
  return true;
}

}  // namespace axnn::train
