#include "method/matching.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include "io/h5.h"
#include "io/record.h"
#include "io/views.h"
#include "method/assign.h"
#include "method/predictor.h"

namespace axnn::method {

using nlohmann::json;

int select_cheapest(const std::vector<double>& predicted, const std::vector<double>& power, double max_std) {
  int best = -1;
  for (size_t m = 0; m < predicted.size(); ++m) {
    if (!(predicted[m] <= max_std)) continue;
    const auto b = static_cast<size_t>(best);
    if (best < 0 || power[m] < power[b] || (power[m] == power[b] && predicted[m] < predicted[b])) best = static_cast<int>(m);
  }
  return best;
}

double relative_energy(const std::vector<LayerMatch>& layers, const std::vector<double>& power) {
  double total = 0, energy = 0;
  for (const auto& l : layers) total += static_cast<double>(l.opcount);
  if (total == 0) return 1;
  for (const auto& l : layers) energy += static_cast<double>(l.opcount) / total * power[static_cast<size_t>(l.chosen)];
  return energy;
}

const config::Choice<Estimator>& estimators() {
  static const config::Choice<Estimator> choice(
      "estimator",
      {{"agn", Estimator::Agn,
        "the paper's: K independent product errors over the layer's whole weight histogram, mixed over activation "
        "populations"},
       {"channel", Estimator::Channel,
        "the same with each output channel's own weights, so a channel's mean error adds up over its K products"},
       {"sampled", Estimator::Sampled, "the error std of each table measured on the sampled operands"}});
  return choice;
}

namespace {

const std::vector<double>& estimates(const LayerMatch& l, Estimator e) {
  switch (e) {
    case Estimator::Agn: return l.agn_std;
    case Estimator::Channel: return l.channel_std;
    case Estimator::Sampled: return l.sampled_std;
  }
  throw std::logic_error("estimates: an estimator without values");
}

// The cheapest multiplier within tolerance by `values`; the exact one when none is (a max_std of 0).
int choose(const std::vector<double>& values, const std::vector<double>& power, double max_std, int exact) {
  const int c = select_cheapest(values, power, max_std);
  return c < 0 ? exact : c;
}

// Every estimator's choice, E_rel and tolerance violations (measured std > max_std).
nlohmann::json compare_estimators(std::vector<LayerMatch> layers, const std::vector<double>& power, int exact) {
  json out = json::object();
  for (const auto& e : estimators().options()) {
    json choices = json::array();
    int violations = 0;
    for (auto& l : layers) {
      l.chosen = choose(estimates(l, e.value), power, l.max_std, exact);
      choices.push_back(l.chosen);
      violations += l.sampled_std[static_cast<size_t>(l.chosen)] > l.max_std;
    }
    out[e.name] = {{"choices", choices}, {"relative_energy", relative_energy(layers, power)}, {"violations", violations}};
  }
  return out;
}

}  // namespace

MatchOptions MatchOptions::from(const nlohmann::json& c, uint64_t seed) {
  MatchOptions o;
  o.populations = c.at("populations");
  o.estimator = c.at("estimator");
  o.seed = seed;
  return o;
}

Matching match(const Refs& refs, const mult::Library& library, const MatchOptions& options) {
  const mult::Multiplier& exact = library.exact();  // throws when the library has none
  const int exact_index = static_cast<int>(&exact - library.multipliers.data());
  const Estimator estimator = estimators().parse(options.estimator, "estimator");
  Matching out;
  out.model_hash = refs.model_hash;
  out.estimator = options.estimator;
  for (const auto& m : library.multipliers) {
    out.multipliers.push_back(m.name);
    out.relative_power.push_back(library.relative_power(m));
  }
  double total_ops = 0;
  for (const auto& l : refs.layers) total_ops += static_cast<double>(l.opcount);
  const size_t n_layers = refs.layers.size(), n_mult = library.multipliers.size();
  std::vector<std::vector<int64_t>> draws(n_layers);
  for (size_t i = 0; i < n_layers; ++i) {
    const LayerRefs& r = refs.layers[i];
    if (r.kept() == 0) throw InputError(fmt::format("layer {}: the refs artifact holds no operand rows", r.name));
    draws[i] = draw_rows(r.kept(), options.populations, options.seed + 0x9e3779b97f4a7c15ULL * (i + 1));
    LayerMatch l;
    l.name = r.name, l.fan_in = r.fan_in, l.opcount = r.opcount, l.sigma = r.sigma, l.output_std = r.output_std;
    l.ops_share = total_ops > 0 ? static_cast<double>(r.opcount) / total_ops : 0;
    l.max_std = r.output_std * std::abs(r.sigma);
    for (auto* v : {&l.agn_std, &l.channel_std, &l.sampled_mean, &l.sampled_std, &l.sampled_std_error}) v->assign(n_mult, 0);
    l.channel_mean_error.assign(n_mult, {});
    out.layers.push_back(std::move(l));
  }
  tbb::parallel_for(size_t{0}, n_layers * n_mult, [&](size_t job) {
    const size_t i = job / n_mult, m = job % n_mult;
    const LayerRefs& r = refs.layers[i];
    const int32_t* lut = library.multipliers[m].lut.data();
    LayerMatch& l = out.layers[i];
    l.agn_std[m] = predict_std(r.rows, r.fan_in, draws[i], error_moments(lut, normalize(r.weight_hist)));
    l.channel_std[m] = predict_channel_std(r, draws[i], lut);
    const SampledError e = sampled_error(r, lut, options.seed + i);
    l.sampled_mean[m] = e.mean, l.sampled_std[m] = e.std, l.sampled_std_error[m] = e.std_error;
    l.channel_mean_error[m] = channel_mean_error(r, lut);
  });
  for (LayerMatch& l : out.layers) {
    l.predicted = estimates(l, estimator);
    l.chosen = choose(l.predicted, out.relative_power, l.max_std, exact_index);
    l.measured = l.sampled_std[static_cast<size_t>(l.chosen)];
  }
  out.estimators = compare_estimators(out.layers, out.relative_power, exact_index);
  out.relative_energy = relative_energy(out.layers, out.relative_power);
  return out;
}

namespace {

// The per-estimator matrices [layer, multiplier] beside predicted_std: where a LayerMatch holds them,
// what they mean, and whether they are non-negative (a std is; a mean error need not be).
struct EstimateMatrix {
  const char* name;
  std::vector<double> LayerMatch::*member;
  const char* meaning;
  bool non_negative;
};
const EstimateMatrix kEstimateMatrices[] = {
    {"agn_std", &LayerMatch::agn_std, "agn predicted error std [layer, multiplier]", true},
    {"channel_std", &LayerMatch::channel_std, "channel predicted error std [layer, multiplier]", true},
    {"sampled_std", &LayerMatch::sampled_std, "error std on the sampled operands [layer, multiplier]", true},
    {"sampled_mean", &LayerMatch::sampled_mean, "mean error on the sampled operands [layer, multiplier]", false},
    {"sampled_std_error", &LayerMatch::sampled_std_error, "bootstrap uncertainty of sampled_std", true}};

// A [layer, multiplier] matrix gathered from each layer's vector `member`. An optional one is written
// only when every layer has it in full (older matchings lack some) and read only when present.
Record<Matching>& bind_matrix(Record<Matching>& r, FieldBuilder decl, std::vector<double> LayerMatch::*member) {
  return r.custom(
      std::move(decl),
      [member](H5::Group& g, const Matching& m, const Field& f) {
        const bool full = !m.layers.empty() && std::all_of(m.layers.begin(), m.layers.end(), [&](const LayerMatch& l) {
          return (l.*member).size() == m.multipliers.size();
        });
        if (!full && f.optional) return;
        std::vector<double> flat;
        for (const LayerMatch& l : m.layers) flat.insert(flat.end(), (l.*member).begin(), (l.*member).end());
        h5::write_dataset(g, f.path, flat, {m.layers.size(), m.multipliers.size()});
      },
      [member](const H5::Group& g, Matching& m, const Field& f) {
        if (f.optional && !h5::exists(g, f.path)) return;
        h5::Shape shape;
        const auto flat = h5::read_dataset<double>(g, f.path, &shape);
        if (shape != h5::Shape{m.layers.size(), m.multipliers.size()})
          throw InputError(fmt::format("{}: its shape does not match the layer and multiplier names", f.path));
        for (size_t i = 0; i < m.layers.size(); ++i)
          (m.layers[i].*member).assign(flat.begin() + static_cast<std::ptrdiff_t>(i * shape[1]),
                                       flat.begin() + static_cast<std::ptrdiff_t>((i + 1) * shape[1]));
      });
}

// A layer's record; its channel_mean_error [multiplier, channel] (bias compensation) when computed.
Record<LayerMatch> layer_record() {
  using L = LayerMatch;
  return Record<L>()
      .attr(&L::fan_in, attr("fan_in", FieldType::Int, "products per output value").min(1))
      .attr(&L::opcount, attr("opcount", FieldType::Int, "multiplications per image").min(0))
      .attr(&L::ops_share, attr("ops_share", FieldType::Float, "share of the network's multiplications").min(0).max(1))
      .attr(&L::sigma, attr("sigma", FieldType::Float, "noise tolerance sigma_l"))
      .attr(&L::output_std, attr("output_std", FieldType::Float, "std of the exact integer outputs").min(0))
      .attr(&L::max_std, attr("max_std", FieldType::Float, "tolerance: output_std * |sigma_l|").min(0))
      .attr(&L::chosen, attr("multiplier_index", FieldType::Int, "the chosen multiplier's column").min(0))
      .attr(&L::measured, attr("measured_std", FieldType::Float, "its error std measured on the sampled operands")
                              .min(0)
                              .optional())
      .custom(dataset("channel_mean_error", FieldType::Float64, {-1, -1},
                      "mean error per output channel on the sampled operands [multiplier, channel]")
                  .optional(),
              [](H5::Group& g, const L& l, const Field& f) {
                if (l.channel_mean_error.empty() || l.channel_mean_error.front().empty()) return;
                std::vector<double> flat;
                for (const auto& row : l.channel_mean_error) {
                  if (row.size() != l.channel_mean_error.front().size())
                    throw Error(fmt::format("layer {}: channel_mean_error rows of different lengths", l.name));
                  flat.insert(flat.end(), row.begin(), row.end());
                }
                h5::write_dataset(g, f.path, flat, {l.channel_mean_error.size(), l.channel_mean_error.front().size()});
              },
              [](const H5::Group& g, L& l, const Field& f) {
                if (!h5::exists(g, f.path)) return;
                h5::Shape cs;
                const auto flat = h5::read_dataset<double>(g, f.path, &cs);
                if (cs.size() != 2 || cs[1] == 0 || !std::all_of(flat.begin(), flat.end(), [](double v) { return std::isfinite(v); }))
                  throw InputError(fmt::format("{}: expected one row of finite values per multiplier", f.path));
                for (size_t j = 0; j < cs[0]; ++j)
                  l.channel_mean_error.emplace_back(flat.begin() + static_cast<std::ptrdiff_t>(j * cs[1]),
                                                    flat.begin() + static_cast<std::ptrdiff_t>((j + 1) * cs[1]));
              });
}

// Every estimator entry names a valid multiplier per layer, and finite numbers.
void check_estimators(const Matching& m) {
  for (const auto& [name, e] : m.estimators.items()) {
    const auto& choices = e.contains("choices") ? e["choices"] : json();
    bool ok = choices.is_array() && choices.size() == m.layers.size() && e.contains("relative_energy") &&
              e["relative_energy"].is_number() && e.contains("violations") && e["violations"].is_number_integer();
    for (size_t i = 0; ok && i < choices.size(); ++i)
      ok = choices[i].is_number_integer() && choices[i].get<int64_t>() >= 0 &&
           choices[i].get<uint64_t>() < m.multipliers.size();
    if (!ok)
      throw InputError(fmt::format("estimators.{}: expected choices (one multiplier index per layer), relative_energy "
                                   "and violations",
                                   name));
  }
}


// The choices, matrices and records of a matching agree with its multiplier list.
void check_matching(const Matching& m) {
  if (m.relative_power.size() != m.multipliers.size())
    throw InputError("predicted_std / relative_power do not match the layer and multiplier names");
  for (const LayerMatch& l : m.layers) {
    if (l.chosen < 0 || static_cast<size_t>(l.chosen) >= m.multipliers.size())
      throw InputError(fmt::format("layers/{}: multiplier_index {} is out of range", l.name, l.chosen));
    if (!l.channel_mean_error.empty() && l.channel_mean_error.size() != m.multipliers.size())
      throw InputError(fmt::format("layers/{}/channel_mean_error: expected one row of finite values per multiplier", l.name));
  }
  check_estimators(m);
  if (!m.assignment.empty()) AssignmentRecord::from_json(m.assignment);  // held to its declaration
}

// Every field bound once: the declaration, the writer and the reader.
const Record<Matching>& matching_record() {
  static const Record<Matching> record = [] {
    using M = Matching;
    auto non_empty = [](auto member) { return [member](const M& m) { return !(m.*member).empty(); }; };
    Record<M> r;
    r.attr(&M::model_hash, attr("model_sha256", FieldType::String, "content hash of the sampled model"))
        .attr(&M::library_hash, attr("library_sha256", FieldType::String, "content hash of the library"))
        .attr(&M::strategy, attr("strategy", FieldType::String, "tolerance (axnn-match), budget (axnn-assign) or search (axnn-search)"))
        .attr(&M::relative_energy, attr("relative_energy", FieldType::Float, "E_rel = sum ops share * P / P_exact").min(0))
        .attr(&M::multipliers, attr("multipliers", FieldType::Json, "candidate names, in column order").json("array"))
        .attr(&M::assignment,
              attr("assignment", FieldType::Json,
                   "how the choice was made (axnn-assign, axnn-search): criterion, objective, budget, predicted_cost, "
                   "solver, front_size, search (method::assignment_record_spec)")
                  .json("object")
                  .optional(),
              non_empty(&M::assignment))
        .attr(&M::estimator, attr("estimator", FieldType::String, "the estimator that chose: " + estimators().listed()).optional())
        .attr(&M::estimators, attr("estimators", FieldType::Json, "per estimator: choices, relative_energy, violations")
                                  .json("object")
                                  .optional(),
              non_empty(&M::estimators))
        .data(&M::relative_power, dataset("relative_power", FieldType::Float64, {-1}, "P / P_exact per multiplier").min(0))
        .custom(dataset("front", FieldType::Float64, {-1, 2}, "predicted Pareto front: (E_rel, predicted cost) per row").optional(),
                [](H5::Group& g, const M& m, const Field& f) {
                  if (m.front.empty()) return;
                  std::vector<double> flat;
                  for (const auto& [e, c] : m.front) flat.push_back(e), flat.push_back(c);
                  h5::write_dataset(g, f.path, flat, {m.front.size(), 2});
                },
                [](const H5::Group& g, M& m, const Field& f) {
                  if (!h5::exists(g, f.path)) return;
                  const auto flat = h5::read_dataset<double>(g, f.path);
                  for (size_t i = 0; i + 1 < flat.size(); i += 2) m.front.emplace_back(flat[i], flat[i + 1]);
                })
        .each("layers", "layer_names", "the layers, in row order", &M::layers, &LayerMatch::name, layer_record());
    bind_matrix(r, dataset("predicted_std", FieldType::Float64, {-1, -1}, "predicted output error std [layer, multiplier]").min(0),
                &LayerMatch::predicted);
    for (const EstimateMatrix& e : kEstimateMatrices) {
      FieldBuilder decl = dataset(e.name, FieldType::Float64, {-1, -1}, e.meaning).optional();
      if (e.non_negative) decl.min(0);
      bind_matrix(r, decl, e.member);
    }
    // What each layer's choice means, written for the file's readers, not read back (the choice and
    // the matrices hold it).
    auto at_choice = [](const std::vector<double>& v, const LayerMatch& l) {
      return static_cast<size_t>(l.chosen) < v.size() ? std::optional<double>(v[static_cast<size_t>(l.chosen)]) : std::nullopt;
    };
    auto per_layer = [&r](FieldBuilder decl, auto value) {
      r.computed_each("layers", &M::layers, &LayerMatch::name, std::move(decl), value);
    };
    per_layer(attr("multiplier", FieldType::String, "the chosen multiplier"),
              [](const M& m, const LayerMatch& l) { return m.multipliers[static_cast<size_t>(l.chosen)]; });
    per_layer(attr("predicted_std", FieldType::Float, "its predicted error std").min(0),
              [at_choice](const M&, const LayerMatch& l) { return at_choice(l.predicted, l); });
    per_layer(attr("relative_power", FieldType::Float, "its P / P_exact").min(0),
              [at_choice](const M& m, const LayerMatch& l) { return at_choice(m.relative_power, l); });
    per_layer(attr("mean_error", FieldType::Float, "its mean error (bias) on the sampled operands").optional(),
              [at_choice](const M&, const LayerMatch& l) { return at_choice(l.sampled_mean, l); });
    r.check(check_matching);
    return r;
  }();
  return record;
}

}  // namespace

const KindFields& matching_fields() {
  static const KindFields fields{kMatchingKind, kMatchingSchemaVersion, matching_record().fields()};
  return fields;
}

void write_matching(const std::string& path, const Matching& m, const Provenance& provenance) {
  write_record(path, matching_fields(), matching_record(), m, provenance);
}

Matching read_matching(const std::string& path) { return read_record(path, matching_fields(), matching_record()); }

void register_matching_view() {
  register_view(kMatchingKind, [](H5::H5File& file, json& d) {
    const Matching m = read_matching(file.getFileName());
    json rows = json::array();
    auto cell = [](const std::vector<double>& v, size_t c, const char* format) {
      return c < v.size() ? fmt::format(fmt::runtime(format), v[c]) : std::string("-");
    };
    for (const LayerMatch& l : m.layers) {
      const auto c = static_cast<size_t>(l.chosen);
      rows.push_back({l.name, fmt::format("{:.3f}", l.ops_share), fmt::format("{:.4f}", l.sigma),
                      fmt::format("{:.2f}", l.max_std), m.multipliers[c], fmt::format("{:.2f}", l.predicted[c]),
                      cell(l.agn_std, c, "{:.2f}"), cell(l.channel_std, c, "{:.2f}"), l.measured ? fmt::format("{:.2f}", *l.measured) : "-",
                      cell(l.sampled_std_error, c, "{:.2f}"), cell(l.sampled_mean, c, "{:.2f}"),
                      fmt::format("{:.3f}", m.relative_power[c])});
    }
    d["tables"].push_back({{"title", fmt::format("choice per layer ({}, estimator {}; relative energy {:.4f})", m.strategy,
                                                 m.estimator, m.relative_energy)},
                           {"columns", {"layer", "ops_share", "sigma", "max_std", "multiplier", "predicted_std", "agn_std",
                                        "channel_std", "measured_std", "measured_std_error", "mean_error", "relative_power"}},
                           {"rows", rows}});
    json est = json::array();
    for (const auto& [name, e] : m.estimators.items()) {
      std::string choice;
      for (size_t i = 0; i < m.layers.size() && i < e["choices"].size(); ++i)
        choice += (i ? " " : "") + m.layers[i].name + ":" + m.multipliers[e["choices"][i].get<size_t>()];
      est.push_back({name, fmt::format("{:.4f}", e["relative_energy"].get<double>()), e["violations"].get<int>(), choice});
    }
    if (!est.empty())
      d["tables"].push_back({{"title", "every estimator's choice (violations: layers whose measured error std exceeds max_std)"},
                             {"columns", {"estimator", "relative_energy", "violations", "choice"}},
                             {"rows", est}});
  });
}

}  // namespace axnn::method
