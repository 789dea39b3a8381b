#include "prune/legr.h"

#include <chrono>
#include <deque>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/progress.h"
#include "nn/approx_layer.h"
#include "prune/structure.h"
#include "train/loader.h"

namespace axnn::prune {

RankSettings RankSettings::from(const nlohmann::json& j) {
  RankSettings s;
  s.target = j.at("target");
  s.population = j.at("population");
  s.generations = j.at("generations");
  s.sample = j.at("sample");
  s.mutation = j.at("mutation");
  s.steps = j.at("steps");
  s.batch_size = j.at("batch_size");
  s.lr = j.at("lr");
  s.val_images = j.at("val_images");
  return s;
}

namespace {

struct Candidate {
  Ranking ranking;
  double fitness = 0;
  double macs = 0;  // fraction of the model's MACs the pruned candidate keeps
  int64_t index = 0, parent = -1;
};

// Everything a candidate's evaluation needs, fixed for the whole search.
class Evaluator {
 public:
  Evaluator(models::Checkpoint& c, const data::Dataset& d, const RankSettings& s, uint64_t seed, const torch::Device& device)
      : c_(c), d_(d), s_(s), seed_(seed), device_(device), macs_(c), norms_(filter_norms(*c.model)) {}

  const MacModel& macs() const { return macs_; }

  void score(Candidate& k) {
    Keep keep = select_filters(norms_, k.ranking, macs_, s_.target);
    models::Checkpoint p = prune_model(c_, keep);
    k.macs = static_cast<double>(macs_.macs(widths_of(keep))) / static_cast<double>(macs_.total());
    p.model->to(device_);
    torch::manual_seed(seed_);  // every candidate sees the same batches and draws
    fine_tune(*p.model);
    k.fitness = accuracy(*p.model);
  }

 private:
  void fine_tune(models::Model& m) {
    if (s_.steps == 0) return;
    std::vector<torch::Tensor> params;
    for (auto& p : m.parameters())
      if (p.requires_grad()) params.push_back(p);
    torch::optim::SGD opt(params, torch::optim::SGDOptions(s_.lr).momentum(0.9));
    train::LoaderOptions o;
    o.batch_size = s_.batch_size;
    o.seed = seed_;
    train::BatchLoader loader(d_.train, d_.mean, d_.std, o);
    m.train();
    torch::Tensor x, y;
    for (int64_t step = 0, epoch = 0; step < s_.steps; ++epoch) {
      loader.start_epoch(epoch);
      while (step < s_.steps && loader.next(x, y)) {
        torch::Tensor loss = torch::nn::functional::cross_entropy(m.forward(x.to(device_)), y.to(device_));
        opt.zero_grad();
        loss.backward();
        opt.step();
        ++step;
      }
    }
  }

  // Top-1 accuracy (%) on the first val_images images of the val split.
  double accuracy(models::Model& m) {
    torch::NoGradGuard no_grad;
    m.eval();
    const data::Split& split = d_.val;
    train::LoaderOptions o;
    o.batch_size = 256;
    o.shuffle = false;
    train::BatchLoader loader(split, d_.mean, d_.std, o);
    loader.start_epoch(0);
    int64_t hits = 0, seen = 0;
    torch::Tensor x, y;
    while (seen < s_.val_images && loader.next(x, y)) {
      const int64_t take = std::min<int64_t>(y.size(0), s_.val_images - seen);
      torch::Tensor pred = m.forward(x.narrow(0, 0, take).to(device_)).argmax(1).cpu();
      hits += pred.eq(y.narrow(0, 0, take)).sum().item<int64_t>();
      seen += take;
    }
    return seen ? 100.0 * static_cast<double>(hits) / static_cast<double>(seen) : 0.0;
  }

  models::Checkpoint& c_;
  const data::Dataset& d_;
  const RankSettings& s_;
  uint64_t seed_;
  torch::Device device_;
  MacModel macs_;
  std::map<std::string, std::vector<double>> norms_;
};

Ranking mutate(const Ranking& r, double sd, std::mt19937_64& rng) {
  Ranking out = r;
  std::normal_distribution<double> step(0.0, sd);
  for (size_t l = 0; l < out.layers.size(); ++l) {
    out.alpha[l] *= std::exp(step(rng));
    out.kappa[l] += step(rng);
  }
  return out;
}

nlohmann::json history_row(const Candidate& k, double seconds) {
  return {{"candidate", k.index}, {"parent", k.parent}, {"fitness", k.fitness}, {"macs", k.macs}, {"seconds", seconds}};
}

}  // namespace

RankingRecord learn_ranking(models::Checkpoint& c, const data::Dataset& d, const RankSettings& s, uint64_t seed,
                            const torch::Device& device) {
  Evaluator eval(c, d, s, seed, device);
  std::mt19937_64 rng(seed);
  Ranking identity;
  for (const auto& g : c.model->prune_groups()) {
    identity.layers.push_back(g.layer);
    identity.alpha.push_back(1.0);
    identity.kappa.push_back(0.0);
  }
  RankingRecord record;
  std::deque<Candidate> population;
  Candidate best;
  best.fitness = -1;
  const int64_t total = s.population + s.generations;
  Progress progress("LeGR candidates", total);
  auto evaluate = [&](Candidate k) {
    k.index = static_cast<int64_t>(record.history.size());
    const auto t0 = std::chrono::steady_clock::now();
    eval.score(k);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    record.history.push_back(history_row(k, seconds));
    spdlog::info("candidate {}/{}: val accuracy {:.2f} % at {:.3f} of the MACs ({:.1f} s)", k.index + 1, total,
                 k.fitness, k.macs, seconds);
    if (k.fitness > best.fitness) best = k;
    progress.advance(1, fmt::format("best {:.2f} %", best.fitness));
    population.push_back(std::move(k));
  };
  evaluate({identity});
  while (static_cast<int64_t>(population.size()) < s.population) evaluate({mutate(identity, s.mutation, rng), 0, 0, 0, 0});
  std::uniform_int_distribution<size_t> pick(0, population.size() - 1);
  for (int64_t g = 0; g < s.generations; ++g) {
    const Candidate* parent = nullptr;
    for (int64_t i = 0; i < s.sample; ++i) {
      const Candidate& m = population[pick(rng)];
      if (!parent || m.fitness > parent->fitness) parent = &m;
    }
    Candidate child{mutate(parent->ranking, s.mutation, rng), 0, 0, 0, parent->index};
    population.pop_front();  // regularized evolution: the oldest leaves, however good
    evaluate(std::move(child));
  }
  progress.finish();
  record.ranking = best.ranking;
  record.fitness = best.fitness;
  record.architecture = c.arch;
  record.model_options = models::to_json(c.options);
  record.filters = eval.macs().widths();
  record.macs = eval.macs().total();
  record.target = s.target;
  return record;
}

}  // namespace axnn::prune
