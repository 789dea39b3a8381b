// The skeleton every axnn-<verb> program shares: CLI11 with the common option groups, logging,
// thread count, and one place that turns errors into messages and exit codes
// (0 success, 2 usage/config/input error, 1 runtime failure; never a stack trace).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "config/spec.h"
#include "io/artifact.h"

namespace axnn::cli {

class Program {
 public:
  Program(std::string name, std::string description);

  CLI::App& app() { return app_; }
  const std::string& name() const { return name_; }

  // Option groups a program opts into. --help, --version, --log-level and --threads are always there.
  void add_seed_option(uint64_t default_seed = 0);

  // The step config: -c/--config FILE (YAML) and repeatable --set KEY=VALUE (dotted key, YAML value),
  // resolved against `spec` after parsing (defaults filled, errors name the key). Read with config().
  void add_config_option(const config::Spec& spec);
  // The same, with the spec chosen after parsing (axnn-train: by --mode).
  void add_config_option(std::function<const config::Spec&()> spec_after_parsing);
  const nlohmann::json& config() const { return config_; }

  // Called after parsing, before the body (the torch layer uses this for --device).
  void on_start(std::function<void()> hook) { start_hooks_.push_back(std::move(hook)); }
  // Called once the body has run (or failed), with the exit code run() is about to return.
  void on_exit(std::function<void(int)> hook) { exit_hooks_.push_back(std::move(hook)); }

  // Parses, sets up logging and threads, runs `body`, maps exceptions to exit codes.
  int run(int argc, char** argv, const std::function<void()>& body);

  int threads() const { return threads_; }
  uint64_t seed() const { return seed_; }
  const std::string& command_line() const { return command_line_; }
  const std::vector<std::string>& arguments() const { return arguments_; }  // argv as given
  // Processes that run this program's work together (data-parallel ranks), recorded in provenance.
  void set_world_size(int n) { world_size_ = n; }

  // Provenance for an artifact this program writes.
  Provenance provenance(nlohmann::json config, std::vector<InputRef> inputs) const;

 private:
  std::string name_;
  CLI::App app_;
  std::string log_level_ = "info";
  int threads_ = 0;  // 0: all cores
  int world_size_ = 1;
  uint64_t seed_ = 0;
  std::string command_line_;
  std::vector<std::string> arguments_;
  std::vector<std::function<void()>> start_hooks_;
  std::vector<std::function<void(int)>> exit_hooks_;
  int run_body(const std::function<void()>& body);
  std::function<const config::Spec&()> spec_;
  std::string config_path_;
  std::vector<std::string> config_sets_;
  nlohmann::json config_;
  void resolve_config();
};

// Text of --version for every program.
std::string version_text(const std::string& program);

}  // namespace axnn::cli
