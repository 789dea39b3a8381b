// The error predictor of the matching step (docs/method.md, section 5). For a layer with fan-in K,
// N populations (activation rows drawn with replacement, histogram p_i each), the weight histogram
// p_w and a multiplier's error map e(a, w) = M(a, w) - a*w:
//   mu_i    = sum e * p_i * p_w
//   sigma_i = sqrt(sum (e - mu_i)^2 * p_i * p_w) / sqrt(K)
//   sigma_agg = sqrt((sum_i (mu_i^2 + sigma_i^2) - (sum_i mu_i)^2 / N) / N)
//   predicted output error std = sigma_agg * K
// i.e. the std of a sum of K independent errors, mixed over the populations.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "method/refs.h"

namespace axnn::method {

using Distribution = std::array<double, 256>;  // probabilities of -128..127, index v + 128

// Indices of `n` rows drawn with replacement from `kept` rows, seeded.
std::vector<int64_t> draw_rows(int64_t kept, int n, uint64_t seed);

// The weight histogram as probabilities (all zero for an empty histogram).
Distribution normalize(const Histogram& h);

// The error map's first two moments against the weights, per activation value a:
//   m1[a] = sum_w e(a, w) p_w(w),  m2[a] = sum_w e(a, w)^2 p_w(w).
// They turn each population's sums into O(K) work: mu_i = mean_k m1[a_k].
struct ErrorMoments {
  Distribution m1{}, m2{};
};
ErrorMoments error_moments(const int32_t* lut, const Distribution& p_w);

// Predicted output error std of one layer for one multiplier: the formula above with p_i the
// histogram of row `draws[i]` of `rows` ([*, fan_in]).
double predict_std(const std::vector<int8_t>& rows, int64_t fan_in, const std::vector<int64_t>& draws,
                   const ErrorMoments& moments);

// The same formula with each output channel's own weights (estimator `channel`): for every drawn row
// i and channel c of its group, mu_ic and sigma_ic from p_i and the channel's weight histogram p_c,
// giving an output error of mean K * mu_ic and variance K^2 * sigma_ic^2; the predicted std is that of
// the mixture over all (i, c). A multiplier's mean error differs between channels (each has its own
// weights) and adds up linearly over the K products, which the whole layer's p_w averages away.
double predict_channel_std(const LayerRefs& layer, const std::vector<int64_t>& draws, const int32_t* lut);

// The output error of a table measured on the sampled operands: every kept row against every weight
// row of its group, e = sum_k M(a_k, w_k) - a_k * w_k, over all (row, channel) results.
struct SampledError {
  double mean = 0;       // the bias: mean error
  double std = 0;        // population std
  double std_error = 0;  // uncertainty of `std`: the std of its bootstrap over rows (rows are the
                         // independent units; a fully connected layer has one per image)
};
SampledError sampled_error(const LayerRefs& layer, const int32_t* lut, uint64_t seed = 0);

// sampled_error(...).std
double measured_std(const LayerRefs& layer, const int32_t* lut);

// The mean error per output channel on the sampled operands (over the kept rows of the channel's
// group): what bias compensation takes out of each channel's accumulator.
std::vector<double> channel_mean_error(const LayerRefs& layer, const int32_t* lut);

}  // namespace axnn::method
