// axnn-diff: do two artifacts hold the same content, apart from provenance and timings?
#include <iostream>

#include <fmt/format.h>

#include "cli/checks.h"
#include "cli/program.h"
#include "core/error.h"
#include "inspect/diff.h"

int main(int argc, char** argv) {
  using namespace axnn;
  cli::Program program("axnn-diff",
                       "Compare two artifacts' content apart from provenance (created_by, inputs) and timings "
                       "(per-epoch time_s, dates): groups, datasets (type, shape, values) and attributes. Answers "
                       "'did my rerun reproduce?'. Exit 0: same content; 1: they differ (each difference printed); "
                       "2: a file is missing or not an axnn artifact.");
  std::string a, b;
  inspect::DiffOptions options;
  size_t limit = 50;
  program.app().add_option("first", a, "Artifact")->required()->check(CLI::ExistingFile);
  program.app().add_option("second", b, "Artifact")->required()->check(CLI::ExistingFile);
  program.app().add_option("--rtol", options.rtol, "Relative tolerance for floating-point values (default: bit-identical)")
      ->check(cli::at_least(0));
  program.app().add_option("--limit", limit, "Differences to print at most")->capture_default_str();
  return program.run(argc, argv, [&] {
    const auto lines = inspect::diff_artifacts(a, b, options, limit);
    for (const auto& l : lines) std::cout << l << "\n";
    if (!lines.empty()) {
      const auto env = inspect::environment_differences(a, b);
      if (!env.empty()) {
        std::cout << "they were also made in different environments (which may explain it):\n";
        for (const auto& l : env) std::cout << "  " << l << "\n";
      }
      throw Error(fmt::format("{} and {} differ", a, b));
    }
    std::cout << fmt::format("{} and {}: same content (provenance and timings aside)\n", a, b);
  });
}
