// Value checks for command-line options, with messages that say what is wanted. Program::run adds
// finite_number() to every floating-point option, so NaN and infinity never get in.
#pragma once

#include <CLI/CLI.hpp>

namespace axnn::cli {

// A number, not NaN or +-infinity (a value that is not a number at all is left to the option's parser).
CLI::Validator finite_number();
// A number from `lo` to `hi` inclusive (hi omitted: no upper bound).
CLI::Validator number_range(double lo, double hi);
CLI::Validator at_least(double lo);

// Adds finite_number() to every option of `app`, its option groups and subcommands whose type is a
// floating-point number (CLI11 type name FLOAT).
void require_finite_numbers(CLI::App& app);

}  // namespace axnn::cli
