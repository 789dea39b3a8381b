// axnn-mult's subcommands that read a library: list, show, merge, filter; and the registry.
#include <iostream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/checks.h"
#include "core/error.h"
#include "inspect/inspect.h"
#include "kernels/separable.h"
#include "multipliers/error_map.h"
#include "multipliers/library_io.h"
#include "multipliers/sources.h"
#include "multipliers/table_import.h"
#include "programs/mult/commands.h"

namespace axnn::mult_cli {
namespace {

using nlohmann::json;

class List : public Command {
  std::string library_;

  CLI::App* declare(CLI::App& app) override {
    CLI::App* c = app.add_subcommand("list", "List a library's multipliers, cheapest first");
    c->add_option("library", library_, "Library file")->required()->check(CLI::ExistingFile);
    return c;
  }

  void run(cli::Program&) override {
    std::cout << inspect::render_tables(json::array({mult::library_table(mult::read_library(library_))}));
  }
};

class Show : public Command {
  std::string library_, name_, png_;

  CLI::App* declare(CLI::App& app) override {
    CLI::App* c = app.add_subcommand("show", "Show one multiplier: metrics and an error heat map");
    c->add_option("library", library_, "Library file")->required()->check(CLI::ExistingFile);
    c->add_option("name", name_, "Multiplier name")->required();
    c->add_option("--png", png_, "Also write the error map as a PNG image");
    return c;
  }

  static void print_summary(const mult::Library& lib, const mult::Multiplier& m) {
    const auto& e = m.metrics;
    std::cout << fmt::format("{} — {}\n  power {:.4g} {} (relative {:.3f}; {})\n  signed: {}, source: {}\n", m.name,
                             m.description, m.power, m.power_unit, lib.relative_power(m), m.power_source,
                             m.is_signed ? "native" : "sign-magnitude", m.source.dump());
    if (m.area) std::cout << fmt::format("  area {:.4g} {}", *m.area, m.area_unit);
    if (m.delay) std::cout << fmt::format("  delay {:.4g} {}", *m.delay, m.delay_unit);
    if (m.area || m.delay) std::cout << "\n";
    std::cout << fmt::format("  MAE {:.3f}  WCE {:.0f}  MRE {:.3f}%  EP {:.2f}%  MSE {:.1f}  mean {:.3f}  std {:.3f}\n",
                             e.mae, e.wce, e.mre, e.ep, e.mse, e.error_mean, e.error_std);
    const auto sep = kernels::find_separable(m.lut.data());
    std::cout << (sep ? fmt::format("  separable: lut = fa(a) * fw(w), |fa| * |fw| <= {}; on the CPU a layer runs it "
                                    "as a float (or double) op on the mapped operands, no table lookups\n\n",
                                    sep->max_abs_product())
                      : std::string("  not separable: the table kernels run it\n\n"));
  }

  void run(cli::Program&) override {
    auto lib = mult::read_library(library_);
    const mult::Multiplier* m = lib.find(name_);
    if (!m) throw UsageError(fmt::format("{}: no multiplier named '{}'", library_, name_));
    print_summary(lib, *m);
    std::cout << mult::ascii_error_map(*m);
    if (!png_.empty()) {
      mult::write_error_png(*m, png_);
      spdlog::info("wrote {}", png_);
    }
  }
};

class Merge : public Command {
  std::vector<std::string> libraries_;
  std::string out_, name_;

  CLI::App* declare(CLI::App& app) override {
    CLI::App* c = app.add_subcommand("merge", "Merge libraries into one");
    c->add_option("libraries", libraries_, "Library files")->required()->check(CLI::ExistingFile);
    c->add_option("-o,--output", out_, "Library file to write")->required();
    c->add_option("--name", name_, "Name of the merged library (default: the first's)");
    return c;
  }

  void run(cli::Program& program) override {
    std::vector<mult::LabelledLibrary> libs;
    for (const auto& p : libraries_) libs.push_back({p, mult::read_library(p)});
    write_and_report(program, out_, mult::merge_libraries(libs, name_), {{"name", name_}}, libraries_);
  }
};

class Filter : public Command {
  std::string library_, out_, names_ = ".*", exclude_;
  bool only_signed_ = false, only_unsigned_ = false;
  std::optional<double> max_mae_, max_wce_, max_error_std_;

  CLI::App* declare(CLI::App& app) override {
    CLI::App* c = app.add_subcommand("filter", "Keep a subset of a library ('exact' always stays)");
    c->add_option("library", library_, "Library file")->required()->check(CLI::ExistingFile);
    c->add_option("-o,--output", out_, "Library file to write")->required();
    c->add_option("--name", names_, "Keep names matching this regular expression")->capture_default_str();
    c->add_option("--exclude", exclude_, "Drop names matching this regular expression");
    auto* s = c->add_flag("--signed", only_signed_, "Keep natively signed multipliers only");
    c->add_flag("--unsigned", only_unsigned_, "Keep unsigned (sign-magnitude) multipliers only")->excludes(s);
    c->add_option("--max-mae", max_mae_, "Keep multipliers with MAE at most this")->check(cli::at_least(0));
    c->add_option("--max-wce", max_wce_, "Keep multipliers with WCE at most this")->check(cli::at_least(0));
    c->add_option("--max-error-std", max_error_std_, "Keep multipliers with error std at most this")
        ->check(cli::at_least(0));
    return c;
  }

  void run(cli::Program& program) override {
    mult::LibraryFilter f;
    f.names = names_;
    f.exclude = exclude_;
    if (only_signed_) f.is_signed = true;
    if (only_unsigned_) f.is_signed = false;
    f.max_mae = max_mae_, f.max_wce = max_wce_, f.max_error_std = max_error_std_;
    auto lib = mult::filter_library(mult::read_library(library_), f);
    json cfg = {{"names", f.names}, {"exclude", f.exclude}, {"signed", f.is_signed ? json(*f.is_signed) : json()}};
    write_and_report(program, out_, lib, cfg, {library_});
  }
};

}  // namespace

std::vector<std::unique_ptr<Command>> library_commands() {
  std::vector<std::unique_ptr<Command>> out;
  out.push_back(std::make_unique<List>());
  out.push_back(std::make_unique<Show>());
  out.push_back(std::make_unique<Merge>());
  out.push_back(std::make_unique<Filter>());
  return out;
}

std::vector<std::unique_ptr<Command>> commands() {
  auto out = source_commands();
  for (auto& c : library_commands()) out.push_back(std::move(c));
  return out;
}

void write_and_report(cli::Program& program, const std::string& out, const mult::Library& lib, const json& config,
                      const std::vector<std::string>& inputs) {
  std::vector<InputRef> refs;
  for (const auto& p : inputs) refs.push_back(input_ref(p));
  mult::write_library(out, lib, program.provenance(config, refs));
  spdlog::info("wrote {} ({} multipliers)", out, lib.multipliers.size());
}

}  // namespace axnn::mult_cli
