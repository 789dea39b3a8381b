#include "cli/checks.h"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include <fmt/format.h>

namespace axnn::cli {
namespace {

// The value as a double when the whole string is one (strtod also reads "nan", "inf", "infinity").
bool parse_double(const std::string& s, double& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

std::string range_text(double lo, double hi) {
  return hi == std::numeric_limits<double>::infinity() ? fmt::format("at least {}", lo)
                                                       : fmt::format("from {} to {}", lo, hi);
}

}  // namespace

CLI::Validator finite_number() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        double v = 0;
        if (parse_double(s, v) && !std::isfinite(v)) return fmt::format("'{}' is not a finite number", s);
        return {};
      },
      "FINITE", "finite_number");
}

CLI::Validator number_range(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string& s) -> std::string {
        double v = 0;
        if (!parse_double(s, v)) return fmt::format("'{}' is not a number", s);
        if (!std::isfinite(v) && !(v == hi && std::isinf(hi))) return fmt::format("'{}' is not a finite number", s);
        if (v < lo || v > hi) return fmt::format("{} is out of range: give a number {}", s, range_text(lo, hi));
        return {};
      },
      "NUMBER " + range_text(lo, hi), "number_range");
}

CLI::Validator at_least(double lo) { return number_range(lo, std::numeric_limits<double>::infinity()); }

void require_finite_numbers(CLI::App& app) {
  for (CLI::Option* opt : app.get_options())
    if (opt->get_type_name().find("FLOAT") != std::string::npos) opt->check(finite_number());
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) require_finite_numbers(*sub);
}

}  // namespace axnn::cli
