// axnn-mult's subcommands: one registry, so --help, the dispatch and the docs see the same list.
// Each subcommand declares its options on the app and runs on its own options struct.
#pragma once

#include <memory>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/program.h"
#include "multipliers/multiplier.h"

namespace axnn::mult_cli {

class Command {
 public:
  virtual ~Command() = default;
  // Adds the subcommand and its options to `app`; remembers it for parsed().
  void attach(CLI::App& app) { sub_ = declare(app); }
  bool parsed() const { return sub_ && sub_->parsed(); }
  virtual void run(cli::Program& program) = 0;

 protected:
  virtual CLI::App* declare(CLI::App& app) = 0;

 private:
  CLI::App* sub_ = nullptr;
};

// Every subcommand, in --help order: build, import-evoapprox, import, compose (library_sources.cpp);
// list, show, merge, filter (library_views.cpp).
std::vector<std::unique_ptr<Command>> commands();
std::vector<std::unique_ptr<Command>> source_commands();
std::vector<std::unique_ptr<Command>> library_commands();

// Shared by the subcommands that write a library: write it with provenance and log it.
void write_and_report(cli::Program& program, const std::string& out, const mult::Library& lib,
                      const nlohmann::json& config, const std::vector<std::string>& inputs);

}  // namespace axnn::mult_cli
