#include "method/predictor.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "core/error.h"
#include "method/matching.h"
#include "multipliers/families.h"
#include "../test_util.h"

namespace axnn::method {
namespace {

// A layer with random operands: activations mostly small and positive (like ReLU outputs, with
// padding zeros), weights centred on zero; -128 and 127 included.
LayerRefs random_layer(int64_t fan_in, int64_t rows, int64_t out_channels, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> w_dist(0, 30);
  std::geometric_distribution<int> a_dist(0.05);
  LayerRefs l;
  l.name = "layer";
  l.kind = "linear";
  l.fan_in = fan_in, l.out_channels = out_channels, l.opcount = fan_in * out_channels;
  for (int64_t i = 0; i < rows * fan_in; ++i) l.rows.push_back(static_cast<int8_t>(std::min(127, a_dist(rng))));
  for (int64_t i = 0; i < out_channels * fan_in; ++i)
    l.weights.push_back(static_cast<int8_t>(std::clamp(static_cast<int>(std::lround(w_dist(rng))), -128, 127)));
  l.rows[0] = 127, l.rows[1] = -128, l.weights[0] = -128, l.weights[1] = 127;
  l.weight_hist = histogram(l.weights.data(), l.weights.size());
  l.act_hist = histogram(l.rows.data(), l.rows.size());
  l.rows_seen = rows;
  return l;
}

// A hand-made error map: structured (depends on both operands, asymmetric) with both signs.
std::vector<int32_t> hand_made_table() {
  return mult::table_from([](int a, int w) { return a * w + ((a & 7) - 3) * (w % 5) + (a > 100 ? 40 : 0); });
}

// docs/method.md section 5, literally: histograms p_i and p_w, double sums over the 256 x 256 error map.
double direct_formula(const LayerRefs& l, const std::vector<int64_t>& draws, const std::vector<int32_t>& lut) {
  const double k = static_cast<double>(l.fan_in), n = static_cast<double>(draws.size());
  Distribution p_w = normalize(l.weight_hist);
  double sum_mu = 0, sum_sq = 0;
  for (int64_t r : draws) {
    Distribution p_i = normalize(histogram(l.rows.data() + r * l.fan_in, static_cast<size_t>(l.fan_in)));
    double mu = 0;
    for (int a = 0; a < 256; ++a)
      for (int w = 0; w < 256; ++w) mu += (lut[static_cast<size_t>(a * 256 + w)] - (a - 128) * (w - 128)) * p_i[a] * p_w[w];
    double ss = 0;
    for (int a = 0; a < 256; ++a)
      for (int w = 0; w < 256; ++w) {
        const double e = lut[static_cast<size_t>(a * 256 + w)] - (a - 128) * (w - 128) - mu;
        ss += e * e * p_i[a] * p_w[w];
      }
    const double sigma = std::sqrt(ss) / std::sqrt(k);
    sum_mu += mu;
    sum_sq += mu * mu + sigma * sigma;
  }
  return std::sqrt((sum_sq - sum_mu * sum_mu / n) / n) * k;
}

TEST(Predictor, EqualsTheFormulaComputedDirectly) {
  for (int64_t fan_in : {1, 25, 150}) {
    const LayerRefs l = random_layer(fan_in, 300, 7, static_cast<uint64_t>(fan_in));
    const auto draws = draw_rows(l.kept(), 64, 11);
    for (const auto& lut : {hand_made_table(), mult::make_multiplier({"truncated", 6}).lut}) {
      const double fast = predict_std(l.rows, l.fan_in, draws, error_moments(lut.data(), normalize(l.weight_hist)));
      const double direct = direct_formula(l, draws, lut);
      EXPECT_GT(direct, 0);
      EXPECT_NEAR(fast, direct, 1e-9 * direct) << "fan_in " << fan_in;
    }
  }
}

TEST(Predictor, ExactMultiplierPredictsZeroAndMeasuresZero) {
  const LayerRefs l = random_layer(33, 100, 5, 2);
  const auto exact = mult::exact_table();
  const auto draws = draw_rows(l.kept(), 512, 0);
  EXPECT_EQ(predict_std(l.rows, l.fan_in, draws, error_moments(exact.data(), normalize(l.weight_hist))), 0.0);
  EXPECT_EQ(measured_std(l, exact.data()), 0.0);
}

TEST(Predictor, MeasuredStdEqualsABruteForceSum) {
  LayerRefs l = random_layer(9, 40, 6, 5);
  l.groups = 2;  // rows of group g meet weights 3g..3g+2
  for (int64_t r = 0; r < l.kept(); ++r) l.row_group.push_back(static_cast<int32_t>(r % 2));
  const auto lut = hand_made_table();
  std::vector<double> errors;
  for (int64_t r = 0; r < l.kept(); ++r)
    for (int64_t c = 3 * l.row_group[static_cast<size_t>(r)]; c < 3 * l.row_group[static_cast<size_t>(r)] + 3; ++c) {
      double e = 0;
      for (int64_t j = 0; j < 9; ++j) {
        const int a = l.rows[static_cast<size_t>(r * 9 + j)], w = l.weights[static_cast<size_t>(c * 9 + j)];
        e += lut[static_cast<size_t>((a + 128) * 256 + w + 128)] - a * w;
      }
      errors.push_back(e);
    }
  double mean = 0, var = 0;
  for (double e : errors) mean += e / static_cast<double>(errors.size());
  for (double e : errors) var += (e - mean) * (e - mean) / static_cast<double>(errors.size());
  EXPECT_NEAR(measured_std(l, lut.data()), std::sqrt(var), 1e-9 * std::sqrt(var));
  // Per channel: the mean over the rows of the channel's group.
  const std::vector<double> per_channel = channel_mean_error(l, lut.data());
  ASSERT_EQ(per_channel.size(), 6u);
  for (int64_t c = 0; c < 6; ++c) {
    double sum = 0, count = 0;
    for (int64_t r = 0; r < l.kept(); ++r) {
      if (l.row_group[static_cast<size_t>(r)] != c / 3) continue;
      for (int64_t j = 0; j < 9; ++j) {
        const int a = l.rows[static_cast<size_t>(r * 9 + j)], w = l.weights[static_cast<size_t>(c * 9 + j)];
        sum += lut[static_cast<size_t>((a + 128) * 256 + w + 128)] - a * w;
      }
      ++count;
    }
    EXPECT_NEAR(per_channel[static_cast<size_t>(c)], sum / count, 1e-9) << c;
  }
  const SampledError e = sampled_error(l, lut.data(), 3);
  EXPECT_NEAR(e.mean, mean, 1e-9 * std::abs(mean) + 1e-12);
  EXPECT_GT(e.std_error, 0.0);  // 40 rows: the bootstrap spread is not zero
  EXPECT_LT(e.std_error, e.std);
}

TEST(Selection, PicksTheCheapestEligible) {
  const std::vector<double> power = {1.0, 0.4, 0.2, 0.6, 0.2};
  const std::vector<double> predicted = {0.0, 3.0, 9.0, 1.0, 5.0};
  EXPECT_EQ(select_cheapest(predicted, power, 10.0), 4);  // 0.2 twice: the smaller error wins
  EXPECT_EQ(select_cheapest(predicted, power, 9.5), 4);
  EXPECT_EQ(select_cheapest({0.0, 3.0, 9.0, 1.0, 50.0}, power, 9.5), 2);
  EXPECT_EQ(select_cheapest(predicted, power, 3.0), 1);
  EXPECT_EQ(select_cheapest(predicted, power, 0.5), 0);
  EXPECT_EQ(select_cheapest(predicted, power, 0.0), 0);  // the exact one always qualifies
  EXPECT_EQ(select_cheapest({1.0, 2.0}, {0.5, 0.3}, 0.5), -1);
}

Refs two_layer_refs(double sigma) {
  Refs refs;
  refs.model_hash = "sha256:abc";
  refs.images = 4;
  for (int i = 0; i < 2; ++i) {
    LayerRefs l = random_layer(20 + 10 * i, 200, 4, static_cast<uint64_t>(7 + i));
    l.name = "layer" + std::to_string(i);
    l.opcount = 1000 * (i + 1);
    l.sigma = sigma;
    l.output_std = 2000;
    refs.layers.push_back(std::move(l));
  }
  return refs;
}

TEST(Matching, ZeroToleranceGivesAnAllExactNetworkOfRelativeEnergyOne) {
  const mult::Library lib = mult::build_library("builtin-8s", mult::default_members());
  const Matching m = match(two_layer_refs(0.0), lib, {});
  for (const auto& l : m.layers) EXPECT_EQ(m.multipliers[static_cast<size_t>(l.chosen)], "exact");
  EXPECT_DOUBLE_EQ(m.relative_energy, 1.0);
}

TEST(Matching, ChoosesCheaperMultipliersWithinTolerance) {
  const mult::Library lib = mult::build_library("builtin-8s", mult::default_members());
  const Matching m = match(two_layer_refs(0.3), lib, {});
  EXPECT_LT(m.relative_energy, 1.0);
  double energy = 0;
  for (const auto& l : m.layers) {
    const auto c = static_cast<size_t>(l.chosen);
    EXPECT_LE(l.predicted[c], l.max_std);
    EXPECT_DOUBLE_EQ(l.max_std, 600.0);
    ASSERT_TRUE(l.measured.has_value());
    for (size_t j = 0; j < l.predicted.size(); ++j) {  // nothing cheaper fits
      if (m.relative_power[j] < m.relative_power[c]) {
        EXPECT_GT(l.predicted[j], l.max_std) << m.multipliers[j];
      }
    }
    energy += l.ops_share * m.relative_power[c];
  }
  EXPECT_NEAR(m.relative_energy, energy, 1e-12);
}

TEST(Matching, LibraryWithoutExactMultiplierFailsClearly) {
  mult::Library lib;
  lib.name = "no-exact";
  lib.multipliers.push_back(mult::make_multiplier({"truncated", 4}));
  try {
    match(two_layer_refs(0.1), lib, {});
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("exact"), std::string::npos) << e.what();
  }
}

TEST(Matching, SameSeedSameResultAndArtifactsRoundTrip) {
  test::TempDir dir;
  const mult::Library lib = mult::build_library("builtin-8s", mult::default_members());
  const Refs refs = two_layer_refs(0.2);
  MatchOptions o;
  o.seed = 9;
  const Matching a = match(refs, lib, o), b = match(refs, lib, o);
  EXPECT_EQ(a.layers[1].predicted, b.layers[1].predicted);

  write_refs(dir.file("refs.h5"), refs, Provenance{});
  const Refs r = read_refs(dir.file("refs.h5"));
  ASSERT_EQ(r.layers.size(), 2u);
  EXPECT_EQ(r.layers[1].rows, refs.layers[1].rows);
  EXPECT_EQ(r.layers[1].weight_hist, refs.layers[1].weight_hist);
  EXPECT_EQ(r.model_hash, "sha256:abc");

  write_matching(dir.file("m.h5"), a, Provenance{});
  const Matching back = read_matching(dir.file("m.h5"));
  EXPECT_EQ(back.multipliers, a.multipliers);
  EXPECT_EQ(back.layers[0].predicted, a.layers[0].predicted);
  EXPECT_EQ(back.layers[1].chosen, a.layers[1].chosen);
  EXPECT_DOUBLE_EQ(back.relative_energy, a.relative_energy);
  EXPECT_THROW(read_refs(dir.file("m.h5")), InputError);  // a matching is not a refs artifact
}

}  // namespace
TEST(Matching, EveryEstimatorIsRecordedAndTheSampledOneChoosesWithinItsMeasure) {
  const mult::Library lib = mult::build_library("builtin-8s", mult::default_members());
  MatchOptions o;
  o.estimator = "sampled";
  const Matching m = match(two_layer_refs(0.3), lib, o);
  EXPECT_EQ(m.estimator, "sampled");
  for (const auto& l : m.layers) {
    const auto c = static_cast<size_t>(l.chosen);
    ASSERT_EQ(l.sampled_std.size(), m.multipliers.size());
    EXPECT_EQ(l.predicted, l.sampled_std);
    EXPECT_LE(l.sampled_std[c], l.max_std);
    EXPECT_DOUBLE_EQ(*l.measured, l.sampled_std[c]);
    for (size_t j = 0; j < m.multipliers.size(); ++j) {
      EXPECT_GE(l.sampled_std_error[j], 0.0);
      if (m.multipliers[j] == "exact") {
        EXPECT_EQ(l.sampled_std[j], 0.0);
      }
    }
  }
  EXPECT_EQ(m.estimators["sampled"]["violations"], 0);
  ASSERT_TRUE(m.estimators.contains("agn"));
  // The agn choice's violations are counted against the measured errors of its own choices.
  int violations = 0;
  for (size_t i = 0; i < m.layers.size(); ++i) {
    const auto c = m.estimators["agn"]["choices"][i].get<size_t>();
    violations += m.layers[i].sampled_std[c] > m.layers[i].max_std;
  }
  EXPECT_EQ(m.estimators["agn"]["violations"], violations);
  MatchOptions bad;
  bad.estimator = "guess";
  EXPECT_THROW(match(two_layer_refs(0.3), lib, bad), ConfigError);
}

TEST(Predictor, SampledErrorHasTheMeanAndStdOfTheErrorsAndAnUncertainty) {
  const LayerRefs l = random_layer(9, 40, 6, 5);
  // A table that adds +3 to every product: every output's error is 3 * fan_in exactly.
  std::vector<int32_t> lut(65536);
  for (int a = -128; a < 128; ++a)
    for (int w = -128; w < 128; ++w) lut[static_cast<size_t>((a + 128) * 256 + (w + 128))] = a * w + 3;
  const SampledError e = sampled_error(l, lut.data(), 1);
  EXPECT_DOUBLE_EQ(e.mean, 3.0 * static_cast<double>(l.fan_in));
  for (double c : channel_mean_error(l, lut.data())) EXPECT_DOUBLE_EQ(c, 3.0 * static_cast<double>(l.fan_in));
  EXPECT_NEAR(e.std, 0.0, 1e-9);
  EXPECT_NEAR(e.std_error, 0.0, 1e-9);
}

// An error that depends only on the weight's sign (+d for w > 0, -d for w < 0) on a layer whose
// channel 0 has all weights +1 and channel 1 all -1: every output of channel 0 is off by exactly K*d and
// of channel 1 by -K*d, so the measured std is K*d. The channel estimator gives that exactly; the
// paper's formula, which mixes both channels' weights into one histogram, sees zero-mean independent
// errors and predicts sqrt(K)*d.
TEST(Predictor, ChannelEstimatorAddsAChannelsMeanErrorOverItsProducts) {
  const int64_t k = 64, d = 5;
  LayerRefs l = random_layer(k, 40, 2, 9);
  for (int64_t j = 0; j < k; ++j) l.weights[static_cast<size_t>(j)] = 1, l.weights[static_cast<size_t>(k + j)] = -1;
  l.weight_hist = histogram(l.weights.data(), l.weights.size());
  const auto lut = mult::table_from([&](int a, int w) { return a * w + (w > 0 ? d : w < 0 ? -d : 0); });
  const auto draws = draw_rows(l.kept(), 256, 1);
  const double kd = static_cast<double>(k * d);
  EXPECT_NEAR(measured_std(l, lut.data()), kd, 1e-9);
  EXPECT_NEAR(predict_channel_std(l, draws, lut.data()), kd, 1e-9);
  EXPECT_NEAR(predict_std(l.rows, k, draws, error_moments(lut.data(), normalize(l.weight_hist))), std::sqrt(64.0) * 5, 1e-9);
}

// With one output channel, the channel estimator is the paper's formula (same histograms, same draws).
TEST(Predictor, ChannelEstimatorWithOneChannelIsTheFormula) {
  const LayerRefs l = random_layer(150, 60, 1, 4);
  const auto lut = hand_made_table();
  const auto draws = draw_rows(l.kept(), 128, 2);
  EXPECT_NEAR(predict_channel_std(l, draws, lut.data()),
              predict_std(l.rows, l.fan_in, draws, error_moments(lut.data(), normalize(l.weight_hist))), 1e-6);
}

}  // namespace axnn::method
