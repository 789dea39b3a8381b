#include <cmath>
#include <cstdlib>
#include <regex>

#include <fmt/format.h>

#include "core/error.h"
#include "multipliers/multiplier.h"

namespace axnn::mult {
namespace {

// Accumulates over (exact, approx) pairs; sums in integers/long double so results do not depend
// on the order of pairs.
ErrorMetrics metrics_over(int lo, int hi, const std::function<int64_t(int, int)>& approx) {
  long double sum_abs = 0, sum_sq = 0, sum_rel = 0, sum = 0;
  int64_t worst = 0, wrong = 0, nonzero = 0, n = 0;
  for (int a = lo; a <= hi; ++a) {
    for (int w = lo; w <= hi; ++w) {
      int64_t exact = int64_t{a} * w;
      int64_t e = approx(a, w) - exact;
      sum += e;
      sum_abs += std::llabs(e);
      sum_sq += static_cast<long double>(e) * e;
      worst = std::max<int64_t>(worst, std::llabs(e));
      wrong += e != 0;
      if (exact != 0) {
        sum_rel += static_cast<long double>(std::llabs(e)) / std::llabs(exact);
        ++nonzero;
      }
      ++n;
    }
  }
  ErrorMetrics m;
  m.mae = static_cast<double>(sum_abs / n);
  m.wce = static_cast<double>(worst);
  m.mre = static_cast<double>(100.0L * sum_rel / nonzero);
  m.ep = static_cast<double>(100.0L * wrong / n);
  m.mse = static_cast<double>(sum_sq / n);
  m.error_mean = static_cast<double>(sum / n);
  long double var = sum_sq / n - (sum / n) * (sum / n);
  m.error_std = static_cast<double>(std::sqrt(std::max(var, 0.0L)));
  return m;
}

}  // namespace

ErrorMetrics compute_metrics(const std::vector<int32_t>& lut) {
  if (lut.size() != kTableSize) throw InputError(fmt::format("table has {} entries, expected 65536", lut.size()));
  return metrics_over(-128, 127, [&](int a, int w) { return lut[(a + 128) * 256 + (w + 128)]; });
}

ErrorMetrics compute_metrics_unsigned(const std::vector<int32_t>& table_u) {
  if (table_u.size() != kTableSize) throw InputError(fmt::format("table has {} entries, expected 65536", table_u.size()));
  return metrics_over(0, 255, [&](int a, int w) { return table_u[a * 256 + w]; });
}

std::vector<int32_t> table_from(const std::function<int32_t(int, int)>& m) {
  std::vector<int32_t> lut(kTableSize);
  for (int a = -128; a < 128; ++a)
    for (int w = -128; w < 128; ++w) lut[(a + 128) * 256 + (w + 128)] = m(a, w);
  return lut;
}

std::vector<int32_t> sign_magnitude(const std::vector<int32_t>& table_u) {
  return table_from([&](int a, int w) {
    int32_t p = table_u[std::abs(a) * 256 + std::abs(w)];
    return (a < 0) != (w < 0) ? -p : p;
  });
}

std::vector<int32_t> exact_table() {
  return table_from([](int a, int w) { return a * w; });
}

const Multiplier* Library::find(const std::string& n) const {
  for (const auto& m : multipliers)
    if (m.name == n) return &m;
  return nullptr;
}

const Multiplier& Library::exact() const {
  const Multiplier* m = find("exact");
  if (!m) throw InputError(fmt::format("library '{}' has no multiplier named 'exact'", name));
  if (m->lut != exact_table()) throw InputError(fmt::format("library '{}': multiplier 'exact' is not exact", name));
  return *m;
}

double Library::relative_power(const Multiplier& m) const { return m.power / exact().power; }

void check_table_range(const std::vector<int32_t>& lut, const std::string& what, const std::string& where) {
  for (size_t i = 0; i < lut.size(); ++i)
    if (lut[i] < -kMaxTableMagnitude || lut[i] > kMaxTableMagnitude)
      throw InputError(fmt::format("{}: {}: entry [{}][{}] (a = {}, w = {}) is {}, outside [-{}, {}]", what, where,
                                   i / 256, i % 256, static_cast<int>(i / 256) - 128, static_cast<int>(i % 256) - 128,
                                   lut[i], kMaxTableMagnitude, kMaxTableMagnitude));
}

void Library::validate(const std::string& what) const {
  static const std::regex safe_name("[A-Za-z0-9_][A-Za-z0-9_.+-]*");
  std::vector<std::string> seen;
  for (const auto& m : multipliers) {
    if (!std::regex_match(m.name, safe_name))
      throw InputError(fmt::format("{}: multiplier name '{}' may hold only letters, digits and _ . + - (and not "
                                   "start with . + -)", what, m.name));
    if (std::find(seen.begin(), seen.end(), m.name) != seen.end())
      throw InputError(fmt::format("{}: multiplier name '{}' appears twice", what, m.name));
    seen.push_back(m.name);
    if (m.lut.size() != kTableSize)
      throw InputError(fmt::format("{}: multiplier '{}' has {} table entries, expected 256x256", what, m.name, m.lut.size()));
    check_table_range(m.lut, what, fmt::format("multiplier '{}'", m.name));
    if (!std::isfinite(m.power) || m.power < 0)
      throw InputError(fmt::format("{}: multiplier '{}' has power {}, expected a finite number >= 0", what, m.name, m.power));
  }
  const Multiplier& e = exact();
  if (!(e.power > 0)) throw InputError(fmt::format("{}: the exact multiplier's power must be > 0", what));
  for (const auto& m : multipliers)
    if (m.power_unit != e.power_unit)
      throw InputError(fmt::format("{}: multiplier '{}' has power in '{}', the exact one in '{}'", what, m.name,
                                   m.power_unit, e.power_unit));
}

}  // namespace axnn::mult
