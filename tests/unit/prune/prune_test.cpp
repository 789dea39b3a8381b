// Filter pruning against oracles: the physically smaller model computes what the dense model computes
// with the removed filters zeroed; MAC counts against the pruned network's own counts; the ranking's
// selection at a target; LeGR's reproducibility; the bad inputs.
#include "prune/structure.h"

#include <gtest/gtest.h>

#include <random>

#include "core/error.h"
#include "nn/approx_layer.h"
#include "prune/legr.h"
#include "../method/method_fixtures.h"
#include "../test_util.h"

namespace axnn::prune {
namespace {

struct Arch {
  std::string name;
  int64_t channels, size;
};
// Every architecture of the zoo (models/zoo.h).
const Arch kZoo[] = {{"lenet5", 1, 28},  {"resnet8", 1, 28}, {"resnet14", 3, 32},    {"resnet20", 3, 32}, {"resnet32", 3, 32},
                     {"vgg11", 3, 32},   {"vgg16", 3, 32},   {"mobilenetv2", 3, 32}, {"alexnet", 3, 32}};

TEST(Prune, TheListCoversTheZoo) {
  std::vector<std::string> names;
  for (const Arch& a : kZoo) names.push_back(a.name);
  EXPECT_EQ(names, models::architectures().names());
}

// A zoo model with random weights and random BatchNorm statistics (so zeroed channels are not trivially
// zero after BatchNorm), in eval mode.
models::Checkpoint random_model(const Arch& a, uint64_t seed) {
  torch::manual_seed(seed);
  models::ModelOptions o;
  o.in_channels = a.channels;
  o.image_size = a.size;
  models::Checkpoint c{a.name, o, models::build_model(a.name, o)};
  torch::NoGradGuard no_grad;
  for (auto& b : c.model->named_buffers())
    if (b.key().find("running_") != std::string::npos) b.value().copy_(torch::rand_like(b.value()) + 0.5);
  for (auto& p : c.model->named_parameters())
    if (p.key().find("bn") != std::string::npos || p.value().dim() == 1) p.value().copy_(torch::randn_like(p.value()));
  c.model->eval();
  return c;
}

// Keeps a seeded random subset (at least one) of every prunable layer's filters.
Keep random_keep(models::Checkpoint& c, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Keep keep;
  const MacModel macs(c);
  for (const auto& [layer, width] : macs.widths()) {
    std::vector<int64_t> all(static_cast<size_t>(width));
    for (int64_t i = 0; i < width; ++i) all[static_cast<size_t>(i)] = i;
    std::shuffle(all.begin(), all.end(), rng);
    all.resize(static_cast<size_t>(std::max<int64_t>(1, width / 2 - 1)));
    std::sort(all.begin(), all.end());
    keep[layer] = all;
  }
  return keep;
}

// The oracle: the dense model with every removed filter zeroed in its layer and in the modules that
// follow its channels (BatchNorm affine, depthwise filters); the consumers are left as they are.
void zero_removed(models::Checkpoint& c, const Keep& keep) {
  torch::NoGradGuard no_grad;
  auto params = c.model->named_parameters();
  for (const auto& g : c.model->prune_groups()) {
    const int64_t width = params[g.layer + ".weight"].size(0);
    std::vector<bool> kept(static_cast<size_t>(width), false);
    for (int64_t k : keep.at(g.layer)) kept[static_cast<size_t>(k)] = true;
    std::vector<std::string> modules = g.followers;
    modules.push_back(g.layer);
    for (const auto& m : modules)
      for (const char* leaf : {"weight", "bias"}) {
        torch::Tensor* t = params.find(m + "." + leaf);
        if (!t || t->size(0) != width) continue;
        for (int64_t f = 0; f < width; ++f)
          if (!kept[static_cast<size_t>(f)]) (*t)[f].zero_();
      }
  }
}

TEST(Prune, PrunedModelEqualsDenseModelWithFiltersZeroedForEveryZooModel) {
  for (const Arch& a : kZoo) {
    models::Checkpoint c = random_model(a, 1);
    const Keep keep = random_keep(c, 2);
    models::Checkpoint p = prune_model(c, keep);
    p.model->eval();
    zero_removed(c, keep);
    torch::Tensor x = torch::randn({3, a.channels, a.size, a.size});
    torch::NoGradGuard no_grad;
    torch::Tensor want = c.model->forward(x), got = p.model->forward(x);
    EXPECT_TRUE(torch::allclose(got, want, 1e-4, 1e-4)) << a.name << ": max diff " << (got - want).abs().max().item<double>();
    EXPECT_LT(models::parameter_count(*p.model), models::parameter_count(*c.model)) << a.name;
  }
}

TEST(Prune, MacCountsMatchThePrunedNetworksOwnCountPerLayer) {
  for (const Arch& a : kZoo) {
    models::Checkpoint c = random_model(a, 3);
    const MacModel macs(c);
    const Keep keep = random_keep(c, 4);
    const Widths w = widths_of(keep);
    models::Checkpoint p = prune_model(c, keep);
    models::measure_opcounts(*p.model, p.options);
    const auto predicted = macs.per_layer(w);
    int64_t total = 0;
    for (auto& [name, layer] : nn::approx_layers(*p.model)) {
      // Brute force: output elements x products per output, from the layer's own shapes.
      auto* conv = dynamic_cast<nn::ApproxConv2dImpl*>(layer.get());
      const int64_t counted = conv ? layer->opcount() : layer->fan_in() * layer->named_parameters(false)["weight"].size(0);
      if (conv) {
        const auto& o = conv->options;
        const int64_t per_output = o.in_channels() / o.groups() * o.kernel_size()->at(0) * o.kernel_size()->at(1);
        EXPECT_EQ(counted % (o.out_channels() * per_output), 0) << a.name << " " << name;
      }
      EXPECT_EQ(predicted.at(name), counted) << a.name << " " << name;
      total += counted;
    }
    EXPECT_EQ(macs.macs(w), total) << a.name;
  }
}

Ranking plain_ranking(models::Model& m) {
  Ranking r;
  for (const auto& g : m.prune_groups()) {
    r.layers.push_back(g.layer);
    r.alpha.push_back(1);
    r.kappa.push_back(0);
  }
  return r;
}

TEST(Prune, SelectionMeetsTheTargetAndRemovesTheLowestScoresFirst) {
  models::Checkpoint c = random_model(kZoo[1], 5);
  const MacModel macs(c);
  const auto norms = filter_norms(*c.model);
  Ranking r = plain_ranking(*c.model);
  for (double target : {1.0, 0.7, 0.5, 0.3}) {
    const Keep keep = select_filters(norms, r, macs, target);
    const Widths w = widths_of(keep);
    EXPECT_LE(static_cast<double>(macs.macs(w)), target * static_cast<double>(macs.total())) << target;
    if (target == 1.0) {
      EXPECT_EQ(w, macs.widths());
    }
  }
  // A large kappa on one layer protects all its filters.
  r.kappa[0] = 100;
  const Keep keep = select_filters(norms, r, macs, 0.5);
  EXPECT_EQ(static_cast<int64_t>(keep.at(r.layers[0]).size()), macs.widths().at(r.layers[0]));
  // Within a layer the kept filters are its largest norms.
  const auto& n = norms.at(r.layers[1]);
  const auto& k = keep.at(r.layers[1]);
  double lowest_kept = 1e9, highest_removed = -1;
  for (size_t f = 0; f < n.size(); ++f) {
    if (std::find(k.begin(), k.end(), static_cast<int64_t>(f)) != k.end()) lowest_kept = std::min(lowest_kept, n[f]);
    else highest_removed = std::max(highest_removed, n[f]);
  }
  EXPECT_LE(highest_removed, lowest_kept);
}

TEST(Prune, TargetBelowTheConstraintsIsAnErrorNamingTheTarget) {
  models::Checkpoint c = random_model(kZoo[1], 6);  // ResNet-8: the stem, block outputs and classifier stay
  const MacModel macs(c);
  const Ranking r = plain_ranking(*c.model);
  try {
    select_filters(filter_norms(*c.model), r, macs, 0.01);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("target: 0.01"), std::string::npos) << e.what();
  }
  EXPECT_THROW(select_filters(filter_norms(*c.model), r, macs, 0.0), ConfigError);
  EXPECT_THROW(select_filters(filter_norms(*c.model), r, macs, 1.5), ConfigError);
}

TEST(Prune, PrunedModelsSaveAndLoadWithTheirWidths) {
  test::TempDir dir;
  for (const Arch& a : kZoo) {
    models::Checkpoint c = random_model(a, 7);
    models::Checkpoint p = prune_model(c, random_keep(c, 8));
    p.pruning = {{"macs_dense", 1}};
    p.model->eval();
    models::save_checkpoint(dir.file(a.name + ".h5"), p, Provenance{});
    models::Checkpoint back = models::load_checkpoint(dir.file(a.name + ".h5"));
    back.model->eval();
    EXPECT_EQ(back.options.widths, p.options.widths) << a.name;
    EXPECT_EQ(back.pruning, p.pruning) << a.name;
    torch::Tensor x = torch::randn({2, a.channels, a.size, a.size});
    torch::NoGradGuard no_grad;
    EXPECT_TRUE(torch::equal(back.model->forward(x), p.model->forward(x))) << a.name;
  }
}

TEST(Prune, DeployedNoiseAndUnprunableModelsAreNamedErrors) {
  models::Checkpoint c = method::test::quant_lenet(9);
  EXPECT_NO_THROW(check_prunable(c, "m.h5"));
  auto layers = nn::approx_layers(*c.model);
  layers[2].second->set_mode(nn::Mode::Noise);
  EXPECT_THROW(check_prunable(c, "m.h5"), InputError);
  layers[2].second->set_mode(nn::Mode::Approx);
  layers[2].second->set_lut(torch::zeros({256, 256}, torch::kInt32), "zero");
  try {
    check_prunable(c, "m.h5");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("fc1 is deployed"), std::string::npos) << e.what();
  }
  models::ModelOptions o = c.options;
  o.widths = {{"conv1", 1}, {"conv2", 1}, {"fc1", 1}, {"fc2", 1}};
  models::Checkpoint thin{"lenet5", o, models::build_model("lenet5", o)};
  EXPECT_THROW(check_prunable(thin, "thin.h5"), InputError);
  o.widths = {{"fc3", 5}};
  EXPECT_THROW(models::build_model("lenet5", o), UsageError);
  o.widths = {{"conv1", 7}};
  EXPECT_THROW(models::build_model("lenet5", o), UsageError);
}

TEST(Legr, SameSeedGivesTheSameRankingAndTheBestCandidateIsKept) {
  data::Dataset d = method::test::random_dataset(96, 10);
  d.val = d.train;
  RankSettings s;
  s.population = 3;
  s.generations = 3;
  s.sample = 2;
  s.steps = 2;
  s.batch_size = 16;
  s.val_images = 48;
  auto run = [&](uint64_t seed) {
    models::Checkpoint c = method::test::quant_lenet(11);
    return learn_ranking(c, d, s, seed, torch::kCPU);
  };
  RankingRecord a = run(1), b = run(1), other = run(2);
  for (auto* r : {&a, &b, &other})
    for (auto& h : r->history) h.erase("seconds");  // wall time: the one thing that may differ
  EXPECT_EQ(a.ranking.alpha, b.ranking.alpha);
  EXPECT_EQ(a.ranking.kappa, b.ranking.kappa);
  EXPECT_EQ(a.history, b.history);
  EXPECT_NE(a.history, other.history);
  ASSERT_EQ(a.history.size(), 6u);
  double best = -1;
  for (const auto& h : a.history) {
    best = std::max(best, h["fitness"].get<double>());
    EXPECT_LE(h["macs"].get<double>(), 0.5 + 1e-12);
  }
  EXPECT_EQ(a.fitness, best);
  EXPECT_EQ(a.history[0]["parent"], -1);  // the plain norm ranking
  EXPECT_EQ(a.ranking.layers, (std::vector<std::string>{"conv1", "conv2", "fc1", "fc2"}));
}

}  // namespace
}  // namespace axnn::prune
