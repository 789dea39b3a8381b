// axnn-mult: make, import, compose, list and show libraries of approximate 8-bit multipliers.
// The subcommands live in programs/mult/ (one class each, one registry).
#include <algorithm>

#include "cli/program.h"
#include "programs/mult/commands.h"

int main(int argc, char** argv) {
  axnn::cli::Program program(
      "axnn-mult",
      "Libraries of approximate 8-bit multipliers: build the built-in families, import EvoApproxLib C models or "
      "single tables, compose a library from several sources, merge, filter, list and show them. A library is an "
      "HDF5 artifact (axnn_kind = multipliers) holding each multiplier's 256x256 table lut[a+128][w+128] "
      "(row = activation) with its power and error metrics.");
  program.app().require_subcommand(1);
  program.add_seed_option();  // recorded in provenance; the built-in families are deterministic

  auto commands = axnn::mult_cli::commands();
  for (auto& c : commands) c->attach(program.app());
  return program.run(argc, argv, [&] {
    auto chosen = std::find_if(commands.begin(), commands.end(), [](const auto& c) { return c->parsed(); });
    (*chosen)->run(program);  // require_subcommand(1): exactly one was parsed
  });
}
