#include "method/predictor.h"

#include <cmath>
#include <random>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

namespace axnn::method {

std::vector<int64_t> draw_rows(int64_t kept, int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> out(static_cast<size_t>(n));
  for (auto& i : out) i = static_cast<int64_t>(rng() % static_cast<uint64_t>(kept));
  return out;
}

Distribution normalize(const Histogram& h) {
  Distribution p{};
  double total = 0;
  for (int64_t c : h) total += static_cast<double>(c);
  if (total > 0)
    for (size_t i = 0; i < 256; ++i) p[i] = static_cast<double>(h[i]) / total;
  return p;
}

ErrorMoments error_moments(const int32_t* lut, const Distribution& p_w) {
  ErrorMoments m;
  for (int a = -128; a < 128; ++a) {
    double s1 = 0, s2 = 0;
    for (int w = -128; w < 128; ++w) {
      const double e = static_cast<double>(lut[(a + 128) * 256 + (w + 128)]) - a * w;
      s1 += e * p_w[static_cast<size_t>(w + 128)];
      s2 += e * e * p_w[static_cast<size_t>(w + 128)];
    }
    m.m1[static_cast<size_t>(a + 128)] = s1;
    m.m2[static_cast<size_t>(a + 128)] = s2;
  }
  return m;
}

double predict_std(const std::vector<int8_t>& rows, int64_t fan_in, const std::vector<int64_t>& draws,
                   const ErrorMoments& moments) {
  const double k = static_cast<double>(fan_in), n = static_cast<double>(draws.size());
  double sum_mu = 0, sum_second = 0;
  for (int64_t r : draws) {
    const int8_t* row = rows.data() + r * fan_in;
    double e1 = 0, e2 = 0;  // sum over the row's histogram: p_i(a) = count(a) / K
    for (int64_t j = 0; j < fan_in; ++j) {
      e1 += moments.m1[static_cast<size_t>(row[j] + 128)];
      e2 += moments.m2[static_cast<size_t>(row[j] + 128)];
    }
    const double mu = e1 / k;
    const double var = std::max(0.0, e2 / k - mu * mu) / k;  // sigma_i^2 = (sum (e - mu)^2 p p) / K
    sum_mu += mu;
    sum_second += mu * mu + var;
  }
  const double agg = std::max(0.0, (sum_second - sum_mu * sum_mu / n) / n);
  return std::sqrt(agg) * k;
}

double predict_channel_std(const LayerRefs& l, const std::vector<int64_t>& draws, const int32_t* lut) {
  const int64_t k = l.fan_in, cout_g = l.out_channels / l.groups;
  const double kd = static_cast<double>(k);
  // Each drawn row's activation histogram, as (value index, count) pairs.
  std::vector<std::vector<std::pair<int, double>>> rows(draws.size());
  for (size_t i = 0; i < draws.size(); ++i) {
    const Histogram h = histogram(l.rows.data() + draws[i] * k, static_cast<size_t>(k));
    for (int a = 0; a < 256; ++a)
      if (h[static_cast<size_t>(a)]) rows[i].emplace_back(a, static_cast<double>(h[static_cast<size_t>(a)]));
  }
  double s1 = 0, s2 = 0, n = 0;
  for (int64_t c = 0; c < l.out_channels; ++c) {
    const ErrorMoments m = error_moments(lut, normalize(histogram(l.weights.data() + c * k, static_cast<size_t>(k))));
    const int64_t g = c / cout_g;
    for (size_t i = 0; i < draws.size(); ++i) {
      if (!l.row_group.empty() && l.row_group[static_cast<size_t>(draws[i])] != g) continue;
      double mu = 0, second = 0;
      for (const auto& [a, count] : rows[i]) mu += count * m.m1[static_cast<size_t>(a)], second += count * m.m2[static_cast<size_t>(a)];
      mu /= kd, second /= kd;
      const double mean = kd * mu, var = kd * std::max(0.0, second - mu * mu);
      s1 += mean, s2 += mean * mean + var, n += 1;
    }
  }
  if (n == 0) return 0;
  return std::sqrt(std::max(0.0, s2 / n - (s1 / n) * (s1 / n)));
}

namespace {

// Population std from sums over n values.
double std_of(double s, double s2, double n) {
  if (n <= 0) return 0;
  const double mean = s / n;
  return std::sqrt(std::max(0.0, s2 / n - mean * mean));
}

}  // namespace

SampledError sampled_error(const LayerRefs& l, const int32_t* lut, uint64_t seed) {
  const int64_t rows = l.kept(), k = l.fan_in, cout_g = l.out_channels / l.groups;
  // Per-row sums in parallel, then a fixed-order total: the same result for any thread count.
  std::vector<std::pair<double, double>> per_row(static_cast<size_t>(rows));
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, rows), [&](const tbb::blocked_range<int64_t>& range) {
    for (int64_t r = range.begin(); r < range.end(); ++r) {
      const int8_t* a = l.rows.data() + r * k;
      const int64_t g = l.row_group.empty() ? 0 : l.row_group[static_cast<size_t>(r)];
      double s = 0, s2 = 0;
      for (int64_t c = g * cout_g; c < (g + 1) * cout_g; ++c) {
        const int8_t* w = l.weights.data() + c * k;
        int64_t err = 0;
        for (int64_t j = 0; j < k; ++j) err += lut[(a[j] + 128) * 256 + (w[j] + 128)] - a[j] * w[j];
        s += static_cast<double>(err), s2 += static_cast<double>(err) * static_cast<double>(err);
      }
      per_row[static_cast<size_t>(r)] = {s, s2};
    }
  });
  const double per = static_cast<double>(cout_g), n = static_cast<double>(rows) * per;
  double s = 0, s2 = 0;
  for (const auto& [a, b] : per_row) s += a, s2 += b;
  SampledError out;
  if (n == 0) return out;
  out.mean = s / n;
  out.std = std_of(s, s2, n);
  // Bootstrap over rows: the spread of the std when the sampled rows are drawn again.
  constexpr int kResamples = 64;
  std::mt19937_64 rng(seed ^ 0x5bd1e995ULL);
  double b1 = 0, b2 = 0;
  for (int b = 0; b < kResamples; ++b) {
    double bs = 0, bs2 = 0;
    for (int64_t r = 0; r < rows; ++r) {
      const auto& [x, x2] = per_row[static_cast<size_t>(rng() % static_cast<uint64_t>(rows))];
      bs += x, bs2 += x2;
    }
    const double v = std_of(bs, bs2, n);
    b1 += v, b2 += v * v;
  }
  out.std_error = std_of(b1, b2, kResamples);
  return out;
}

double measured_std(const LayerRefs& l, const int32_t* lut) { return sampled_error(l, lut).std; }

std::vector<double> channel_mean_error(const LayerRefs& l, const int32_t* lut) {
  const int64_t rows = l.kept(), k = l.fan_in, cout_g = l.out_channels / l.groups;
  std::vector<double> out(static_cast<size_t>(l.out_channels), 0.0);
  // One channel per task, its rows in order, an exact integer sum: the same for any thread count.
  tbb::parallel_for(int64_t{0}, l.out_channels, [&](int64_t c) {
    const int8_t* w = l.weights.data() + c * k;
    const int64_t g = c / cout_g;
    int64_t sum = 0, count = 0;
    for (int64_t r = 0; r < rows; ++r) {
      if ((l.row_group.empty() ? 0 : l.row_group[static_cast<size_t>(r)]) != g) continue;
      const int8_t* a = l.rows.data() + r * k;
      for (int64_t j = 0; j < k; ++j) sum += lut[(a[j] + 128) * 256 + (w[j] + 128)] - a[j] * w[j];
      ++count;
    }
    out[static_cast<size_t>(c)] = count ? static_cast<double>(sum) / static_cast<double>(count) : 0.0;
  });
  return out;
}

}  // namespace axnn::method
