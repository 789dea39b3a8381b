#include "cli/program.h"

#include <memory>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <H5Cpp.h>
#include <tbb/global_control.h>

#include "cli/checks.h"
#include "core/build_info.h"
#include "core/error.h"
#include "core/log.h"
#include "core/temp_files.h"

namespace axnn::cli {

std::string version_text(const std::string& program) {
  return fmt::format("{} {} (git {}, {}, {})", program, build_version(), build_git_revision(), build_compiler(),
                     build_type());
}

Program::Program(std::string name, std::string description) : name_(std::move(name)), app_(std::move(description), name_) {
  app_.set_version_flag("--version", version_text(name_));
  app_.fallthrough();  // common options may follow a subcommand: axnn-mult build --seed 3 ...
  app_.add_option("--log-level", log_level_, "Log verbosity: trace, debug, info, warn, error, off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app_.add_option("--threads", threads_, "Worker threads (0: one per core)")->capture_default_str()->check(number_range(0, 1024));
}

void Program::add_seed_option(uint64_t default_seed) {
  seed_ = default_seed;
  app_.add_option("--seed", seed_, "Random seed, 0 or more; the same inputs, config, seed and thread count give "
                                   "the same artifact on CPU")
      ->capture_default_str()
      ->check(at_least(0));
}

void Program::add_config_option(const config::Spec& spec) {
  add_config_option([&spec]() -> const config::Spec& { return spec; });
}

void Program::add_config_option(std::function<const config::Spec&()> spec_after_parsing) {
  spec_ = std::move(spec_after_parsing);
  auto* g = app_.add_option_group("Config", "The step's settings; every key and its default: axnn-schema, workflows/schemas/");
  g->add_option("-c,--config", config_path_, "Step config (YAML)")->check(CLI::ExistingFile);
  g->add_option("--set", config_sets_, "Override one key: --set optimizer.lr=0.01 (repeatable; the value is YAML)");
}

void Program::resolve_config() { config_ = config::load_config(spec_(), config_path_, config_sets_); }

Provenance Program::provenance(nlohmann::json config, std::vector<InputRef> inputs) const {
  Provenance p;
  p.program = name_;
  p.command_line = command_line_;
  p.config = std::move(config);
  p.inputs = std::move(inputs);
  p.seed = seed_;
  p.threads = threads_;
  p.world_size = world_size_;
  return p;
}

int Program::run(int argc, char** argv, const std::function<void()>& body) {
  for (int i = 0; i < argc; ++i) {
    arguments_.emplace_back(argv[i]);
    command_line_ += (i ? " " : "") + arguments_.back();
  }
  require_finite_numbers(app_);
  try {
    app_.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app_.exit(e);
  } catch (const CLI::ParseError& e) {
    app_.exit(e);
    return kExitUserError;
  }
  const int code = run_body(body);
  for (auto& hook : exit_hooks_) hook(code);
  return code;
}

int Program::run_body(const std::function<void()>& body) {
  try {
    init_logging(name_, log_level_);
    install_temp_file_cleanup();
    int n = threads_ > 0 ? threads_ : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    tbb::global_control tbb_threads(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(n));
    threads_ = n;
    if (spec_) resolve_config();
    for (auto& hook : start_hooks_) hook();
    body();
    return kExitOk;
  } catch (const UserError& e) {
    spdlog::error("{}", e.what());
    return kExitUserError;
  } catch (const std::bad_alloc&) {
    spdlog::error("out of memory: the machine (or a memory limit) gave less than this input needs");
    return kExitFailure;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return kExitFailure;
  } catch (const H5::Exception& e) {  // not a std::exception: an HDF5 failure no reader turned into one
    spdlog::error("HDF5 error in {}: {} (is the disk full, or the file damaged?)", e.getFuncName(), e.getDetailMsg());
    return kExitFailure;
  }
}

}  // namespace axnn::cli
