#include "multipliers/evoapprox.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <exception>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <regex>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <tbb/parallel_for.h>

#include "core/child_process.h"
#include "core/error.h"
#include "core/files.h"
#include "core/hash.h"

namespace fs = std::filesystem;

namespace axnn::mult {
namespace {

// Comments replaced by a space. A plain scan: libstdc++'s std::regex recurses per character and
// overflows the stack on long comments.
std::string strip_comments(const std::string& code) {
  std::string out;
  out.reserve(code.size());
  for (size_t i = 0; i < code.size();) {
    if (code.compare(i, 2, "/*") == 0) {
      const size_t end = code.find("*/", i + 2);
      i = end == std::string::npos ? code.size() : end + 2;
      out += ' ';
    } else if (code.compare(i, 2, "//") == 0) {
      const size_t end = code.find('\n', i);
      i = end == std::string::npos ? code.size() : end;
      out += ' ';
    } else {
      out += code[i++];
    }
  }
  return out;
}

// A C program that includes the model and writes its 65,536 results as int32, row = operand A.
std::string harness_source(const std::string& model_path, const EvoSignature& sig) {
  std::string value = sig.semantic_signed ? "(int32_t)(int16_t)(uint16_t)r" : "(int32_t)(uint16_t)r";
  int lo = sig.semantic_signed ? -128 : 0;
  return fmt::format(R"(#include "{model}"
#include <stdio.h>
int main(int argc, char** argv) {{
  static int32_t out[65536];
  int n = 0;
  for (int a = {lo}; a < {lo} + 256; ++a)
    for (int b = {lo}; b < {lo} + 256; ++b) {{
      {ret} r = {fn}(({ta})a, ({tb})b);
      out[n++] = {value};
    }}
  FILE* f = fopen(argv[1], "wb");
  if (!f || fwrite(out, sizeof out, 1, f) != 1) return 3;
  return fclose(f) != 0;
}}
)",
                     fmt::arg("model", model_path), fmt::arg("lo", lo), fmt::arg("ret", sig.result_type),
                     fmt::arg("fn", sig.function), fmt::arg("ta", sig.a_type), fmt::arg("tb", sig.b_type),
                     fmt::arg("value", value));
}

// The compiler command split on spaces ("ccache gcc" works; no shell is involved).
std::vector<std::string> compiler_argv(const std::string& compiler) {
  std::vector<std::string> out;
  std::istringstream words(compiler);
  for (std::string w; words >> w;) out.push_back(w);
  if (out.empty()) throw UsageError("the C compiler command is empty");
  return out;
}

bool disk_full(const std::string& log) { return log.find("No space left on device") != std::string::npos; }

// Compiles the model with the harness in a scratch folder and runs it, each under `timeout_s`; the
// folder, the compiler's and the harness's processes are gone when this returns or the program is
// stopped by a signal.
std::vector<int32_t> evaluate(const std::string& path, const EvoSignature& sig, const EvoImportOptions& options) {
  if (path.find_first_of("\"\\\n") != std::string::npos)
    throw InputError(fmt::format("{}: the path holds a quote, backslash or line break, which a C #include cannot carry",
                                 path));
  std::unique_ptr<ScratchDir> scratch;
  try {
    scratch = std::make_unique<ScratchDir>("axnn-evo");
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", path, e.what()));
  }
  ScratchDir& tmp = *scratch;
  const std::string src = tmp.file("harness.c"), exe = tmp.file("harness"), out = tmp.file("table.bin");
  {
    std::ofstream f(src);
    f << harness_source(fs::absolute(path).string(), sig);
    f.close();
    if (!f)
      throw Error(fmt::format("{}: cannot write the harness {} (is {} full?)", path, src, fs::temp_directory_path().string()));
  }
  std::vector<std::string> cc = compiler_argv(options.compiler);
  cc.insert(cc.end(), {"-O1", "-w", "-o", exe, src});
  const ChildResult built = run_child(cc, options.timeout_s);
  if (built.timed_out)
    throw InputError(fmt::format("{}: did not compile within {} s (stopped)", path, options.timeout_s));
  if (!built.ok()) {
    if (disk_full(built.output))
      throw Error(fmt::format("{}: compiling failed: no space left on device in {}", path, fs::temp_directory_path().string()));
    throw InputError(fmt::format("{}: does not compile with '{}' (exit {}):\n{}", path, options.compiler, built.exit_code,
                                 built.output.substr(0, 600)));
  }
  const ChildResult ran = run_child({exe, out}, options.timeout_s);
  if (ran.timed_out)
    throw InputError(fmt::format("{}: the compiled model did not finish within {} s (stopped; does its function "
                                 "return?)", path, options.timeout_s));
  if (!ran.ok()) {
    if (ran.exit_code == 3 || disk_full(ran.output))  // the harness's own exit code when it cannot write its table
      throw Error(fmt::format("{}: the compiled model could not write its table to {} (disk full?)", path, out));
    throw InputError(fmt::format("{}: the compiled model failed to run ({}): {}", path,
                                 ran.signal ? fmt::format("signal {}", ran.signal) : fmt::format("exit {}", ran.exit_code),
                                 ran.output.substr(0, 600)));
  }
  std::vector<int32_t> table(kTableSize);
  std::ifstream in(out, std::ios::binary);
  in.read(reinterpret_cast<char*>(table.data()), kTableSize * sizeof(int32_t));
  if (in.gcount() != static_cast<std::streamsize>(kTableSize * sizeof(int32_t)))
    throw Error(fmt::format("{}: the compiled model wrote an incomplete table (disk full?)", path));
  return table;
}

// The metrics an EvoApproxLib header prints, as computed from the table in the model's own domain.
// (Its MAE% and WCE% are left out: they are derived from already rounded values, e.g. mul8s_1KV8's
// "MAE = 1.2" for 1.25 and "MAE% = 0.0018" for 1.25 / 2^16 = 0.0019 %.)
std::vector<std::pair<const char*, double>> header_metrics(const ErrorMetrics& e) {
  return {{"MAE", e.mae}, {"WCE", e.wce}, {"MSE", e.mse}, {"EP%", e.ep}};
}

void check_metrics(const std::string& path, const std::map<std::string, EvoHeaderValue>& header, const ErrorMetrics& e,
                   std::vector<std::string>& warnings) {
  for (const auto& [key, computed] : header_metrics(e)) {
    auto it = header.find(key);
    if (it == header.end()) {
      if (std::string(key) == "MAE" || std::string(key) == "WCE")
        warnings.push_back(fmt::format("{}: header has no {} to verify", path, key));
      continue;
    }
    if (!std::isfinite(it->second.value))
      throw InputError(fmt::format("{}: the header's {} is '{}', not a number", path, key, it->second.text));
    if (!agrees_with_header(computed, it->second))
      warnings.push_back(fmt::format("{}: computed {} = {:.{}f} differs from the header's {} = {:.{}f}", path, key,
                                     computed, it->second.decimals + 2, key, it->second.value, it->second.decimals));
  }
}

std::optional<EvoHeaderValue> header_value(const std::map<std::string, EvoHeaderValue>& header, const char* key) {
  auto it = header.find(key);
  return it == header.end() ? std::nullopt : std::optional<EvoHeaderValue>(it->second);
}

// A header quantity that must be a finite number >= 0 when present.
std::optional<double> physical(const std::string& path, const std::map<std::string, EvoHeaderValue>& header,
                               const char* key, const char* default_unit, std::string& unit) {
  auto v = header_value(header, key);
  if (!v) return std::nullopt;
  if (!std::isfinite(v->value) || v->value < 0)
    throw InputError(fmt::format("{}: {} is '{}', not a finite number >= 0", path, key, v->text));
  unit = v->unit.empty() ? default_unit : v->unit;
  return v->value;
}

nlohmann::json header_json(const std::map<std::string, EvoHeaderValue>& header) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : header) out[k] = v.value;
  return out;
}

// EvoApproxLib ships a circuit in every Pareto subset it belongs to (pareto_pwr_mae/, pareto_pwr_ep/,
// ...), in files that differ only in a comment. One model per name, listing every file it came from.
std::vector<Multiplier> merge_subsets(std::vector<Multiplier> models, const std::vector<std::string>& files) {
  std::vector<Multiplier> out;
  std::map<std::string, size_t> first;  // name -> index in out
  for (size_t i = 0; i < models.size(); ++i) {
    Multiplier& m = models[i];
    auto it = first.find(m.name);
    if (it == first.end()) {
      first.emplace(m.name, out.size());
      m.source["files"] = nlohmann::json::array({files[i]});
      out.push_back(std::move(m));
      continue;
    }
    Multiplier& kept = out[it->second];
    const std::string kept_file = kept.source["files"][0];
    if (kept.lut != m.lut)
      throw InputError(fmt::format("{} and {}: two circuits named '{}' with different tables", kept_file, files[i], m.name));
    if (kept.power != m.power)
      throw InputError(fmt::format("{} and {}: circuit '{}' has PDK45_PWR {} and {}", kept_file, files[i], m.name,
                                   kept.power, m.power));
    kept.source["files"].push_back(files[i]);
  }
  for (const auto& m : out)
    if (m.source["files"].size() > 1)
      spdlog::debug("{}: found in {} subsets, imported once", m.name, m.source["files"].size());
  return out;
}

}  // namespace

EvoSignature parse_evo_signature(const std::string& code, const std::string& stem, const std::string& file) {
  static const std::regex fn_re(
      R"(((?:unsigned\s+|signed\s+)?(?:u?int(?:8|16|32|64)_t|int|short|long|char))\s+(\w+)\s*\(\s*((?:const\s+)?(?:u?int(?:8|16|32|64)_t|int|short|char|unsigned\s+char|signed\s+char))\s+\w+\s*,\s*((?:const\s+)?(?:u?int(?:8|16|32|64)_t|int|short|char|unsigned\s+char|signed\s+char))\s+\w+\s*\)\s*\{)");
  std::string clean = strip_comments(code);
  std::vector<EvoSignature> found;
  for (auto it = std::sregex_iterator(clean.begin(), clean.end(), fn_re); it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    found.push_back({m[2].str(), m[1].str(), m[3].str(), m[4].str(), false});
  }
  if (found.empty())
    throw InputError(fmt::format("{}: no multiplier function of the form 'T name(T8 A, T8 B) {{' found", file));
  EvoSignature sig = found.front();
  for (const auto& s : found)
    if (s.function == stem) sig = s;
  if (sig.function.find("mul8s") != std::string::npos || stem.find("mul8s") != std::string::npos)
    sig.semantic_signed = true;
  else if (sig.function.find("mul8u") != std::string::npos || stem.find("mul8u") != std::string::npos)
    sig.semantic_signed = false;
  else
    sig.semantic_signed = sig.a_type.find("uint") == std::string::npos && sig.a_type.find("unsigned") == std::string::npos;
  return sig;
}

std::map<std::string, EvoHeaderValue> parse_evo_header(const std::string& code) {
  // "// MAE = 33 ", "// PDK45_PWR = 0.363 mW", "//  EP% = 74.80 %  // note" ...
  static const std::regex kv(
      R"(^\s*//\s*([A-Za-z0-9_%]+)\s*=\s*([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)[ \t]*([A-Za-z%][A-Za-z0-9%/]*)?)");
  // "// PDK45_PWR = nan": the key is there, its value is not a number (kept, so the error says so).
  static const std::regex key_only(R"(^\s*//\s*([A-Z][A-Za-z0-9_%]*)\s*=\s*(\S{1,40}))");
  std::map<std::string, EvoHeaderValue> out;
  std::istringstream in(code);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (line.size() > 256) continue;  // header lines are short
    if (!std::regex_search(line, m, kv)) {
      if (std::regex_search(line, m, key_only))
        out.emplace(m[1].str(), EvoHeaderValue{std::nan(""), 0, "", m[2].str()});
      continue;
    }
    const std::string number = m[2].str();
    EvoHeaderValue v;
    v.text = number;
    try {
      v.value = std::stod(number);
    } catch (const std::out_of_range&) {
      v.value = std::nan("");  // 1e999: present, but no number a check could use
      out.emplace(m[1].str(), v);
      continue;
    }
    const auto dot = number.find('.');
    const auto exp = number.find_first_of("eE");
    if (dot != std::string::npos) v.decimals = static_cast<int>((exp == std::string::npos ? number.size() : exp) - dot - 1);
    if (exp != std::string::npos) v.decimals -= std::stoi(number.substr(exp + 1));
    v.unit = m[3].matched ? m[3].str() : "";
    out.emplace(m[1].str(), v);
  }
  return out;
}

bool agrees_with_header(double computed, const EvoHeaderValue& printed) {
  const double unit = std::pow(10.0, -printed.decimals);
  return std::fabs(computed - printed.value) < unit * (1 + 1e-9);
}

Multiplier import_evo_file(const std::string& path, const EvoImportOptions& options, std::vector<std::string>& warnings) {
  std::string code = read_file(path, 16u << 20);  // EvoApproxLib's C models are a few KiB to 1 MiB
  std::string stem = fs::path(path).stem().string();
  EvoSignature sig = parse_evo_signature(code, stem, path);
  auto header = parse_evo_header(code);
  std::vector<int32_t> raw = evaluate(path, sig, options);

  // Verify against the header in the model's own domain, as EvoApproxLib computed it.
  ErrorMetrics own = sig.semantic_signed ? compute_metrics(raw) : compute_metrics_unsigned(raw);
  check_metrics(path, header, own, warnings);

  Multiplier m;
  m.name = stem;
  m.is_signed = sig.semantic_signed;
  m.lut = sig.semantic_signed ? raw : sign_magnitude(raw);
  auto power = physical(path, header, "PDK45_PWR", "mW", m.power_unit);
  if (!power) throw InputError(fmt::format("{}: header has no '// PDK45_PWR = <value> mW' line", path));
  m.power = *power;
  m.power_source = "EvoApproxLib header PDK45_PWR (45 nm PDK)";
  m.area = physical(path, header, "PDK45_AREA", "um2", m.area_unit);
  m.delay = physical(path, header, "PDK45_DELAY", "ns", m.delay_unit);
  m.source = {{"family", "evoapprox"},
              {"file", fs::path(path).filename().string()},
              {"hash", sha256_bytes(code)},
              {"function", sig.function},
              {"types", fmt::format("{} {}({}, {})", sig.result_type, sig.function, sig.a_type, sig.b_type)},
              {"header", header_json(header)}};
  m.description = fmt::format("EvoApproxLib {} multiplier {}{}", sig.semantic_signed ? "signed" : "unsigned", stem,
                              sig.semantic_signed ? "" : " (used sign-magnitude)");
  m.metrics = compute_metrics(m.lut);
  return m;
}

std::vector<std::string> list_c_files(const std::string& folder) {
  std::vector<std::string> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(folder, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    const bool regular = it->is_regular_file(type_ec);
    if (type_ec && it->path().extension() == ".c")
      throw InputError(fmt::format("{}: {}", it->path().string(), type_ec.message()));
    if (regular && it->path().extension() == ".c") files.push_back(it->path().string());
  }
  if (ec) throw InputError(fmt::format("{}: cannot list the folder: {}", folder, ec.message()));
  std::sort(files.begin(), files.end());
  return files;
}

Library import_evoapprox(const std::vector<std::string>& paths, const std::string& library_name,
                         const EvoImportOptions& options) {
  std::vector<std::string> files;
  for (const auto& p : paths) {
    if (fs::is_directory(p)) {
      for (auto& f : list_c_files(p)) files.push_back(std::move(f));
    } else if (fs::is_regular_file(p)) {
      files.push_back(p);
    } else {
      throw InputError(fmt::format("{}: no such file or folder", p));
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw InputError("no .c files found in the given paths");

  std::vector<Multiplier> models(files.size());
  std::vector<std::vector<std::string>> warnings(files.size());
  std::vector<std::exception_ptr> errors(files.size());
  tbb::parallel_for(size_t{0}, files.size(), [&](size_t i) {
    try {
      models[i] = import_evo_file(files[i], options, warnings[i]);
    } catch (...) {
      errors[i] = std::current_exception();  // rethrown below as it was: a bad model and a full disk differ
    }
  });
  for (size_t i = 0; i < files.size(); ++i) {
    if (errors[i]) std::rethrow_exception(errors[i]);
    for (const auto& w : warnings[i]) spdlog::warn("{}", w);
  }
  models = merge_subsets(std::move(models), files);
  Library lib;
  lib.name = library_name;
  const std::vector<int32_t> exact = exact_table();
  const Multiplier* exact_model = nullptr;
  for (const auto& m : models)
    if (m.lut == exact && (!exact_model || m.power < exact_model->power)) exact_model = &m;
  Multiplier e;
  e.name = "exact";
  e.lut = exact;
  e.is_signed = true;
  e.power_unit = "mW";
  if (exact_model) {
    e.power = exact_model->power;
    e.area = exact_model->area, e.area_unit = exact_model->area_unit;
    e.delay = exact_model->delay, e.delay_unit = exact_model->delay_unit;
    e.power_source = fmt::format("power of the exact EvoApproxLib model {}", exact_model->name);
    e.source = {{"family", "exact"}, {"same_as", exact_model->name}};
  } else if (options.exact_power) {
    e.power = *options.exact_power;
    e.power_source = "given with --exact-power";
    e.source = {{"family", "exact"}};
  } else {
    throw UsageError(
        "no imported model is exact; pass --exact-power with the power of the exact 8x8 multiplier (mW) "
        "so relative power can be computed");
  }
  e.description = "exact signed 8x8 product";
  e.metrics = compute_metrics(e.lut);
  lib.multipliers.push_back(std::move(e));
  for (auto& m : models) lib.multipliers.push_back(std::move(m));
  lib.validate(fmt::format("library '{}'", library_name));
  return lib;
}

}  // namespace axnn::mult
