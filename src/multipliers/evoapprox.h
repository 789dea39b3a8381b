// Import of EvoApproxLib C models (e.g. multiplers/8x8_signed/*.c of a user's checkout): each model
// is compiled with the system C compiler into a small harness that evaluates all 65,536 operand pairs.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "multipliers/multiplier.h"

namespace axnn::mult {

// The model's C function, as declared in the file.
struct EvoSignature {
  std::string function;     // normally the file stem, e.g. mul8s_1KR6
  std::string result_type;  // e.g. int16_t, or uint16_t in files that use unsigned types for a signed model
  std::string a_type, b_type;
  bool semantic_signed = false;  // mul8s / int8_t operands: operands -128..127
};

// Finds the multiplier function in `code` (comments stripped first). Throws InputError naming `file`.
EvoSignature parse_evo_signature(const std::string& code, const std::string& stem, const std::string& file);

// One "// KEY = value unit" line of a header, with the precision it was printed at.
struct EvoHeaderValue {
  double value = 0;
  int decimals = 0;  // digits after the point as printed (a header's "MAE = 36" stands for 36.54)
  std::string unit;  // e.g. "mW", "um2", "ns", "%"; empty when none is printed
  std::string text;  // the value as printed (NaN in `value` when it is not a number: "nan", "n/a", 1e999)
};

// "// KEY = value unit" lines of the header (MAE, WCE, PDK45_PWR, PDK45_AREA, PDK45_DELAY, EP%, ...).
std::map<std::string, EvoHeaderValue> parse_evo_header(const std::string& code);

// Whether `computed` agrees with a header value at the precision the header printed it: within one
// unit of the last printed digit (EvoApproxLib both rounds and truncates).
bool agrees_with_header(double computed, const EvoHeaderValue& printed);

struct EvoImportOptions {
  std::string compiler = "cc";  // a command and its arguments, separated by spaces (no shell)
  double timeout_s = 60;        // per model, for compiling and for running it; then it is stopped
  std::optional<double> exact_power;  // mW; needed when no imported model is exact
};

// Imports one C file: its signed-index table (unsigned models used sign-magnitude), header metrics
// and power. Warnings (metric mismatches) are appended to `warnings`.
Multiplier import_evo_file(const std::string& path, const EvoImportOptions& options, std::vector<std::string>& warnings);

// Every *.c file under `folder` (recursively), sorted. A link loop or an unreadable entry named *.c is
// an InputError naming it.
std::vector<std::string> list_c_files(const std::string& folder);

// Imports every *.c under `paths` (files or folders, searched recursively; other files are ignored),
// in parallel, and adds the 'exact' multiplier. A circuit that EvoApproxLib ships in several Pareto
// subsets is imported once (its source lists every file); the same name with different tables is an
// InputError naming both files. Throws InputError naming the first file that fails.
Library import_evoapprox(const std::vector<std::string>& paths, const std::string& library_name,
                         const EvoImportOptions& options);

}  // namespace axnn::mult
