// Approximate 8-bit multipliers as 256x256 product tables, their error metrics, and libraries.
// Table convention (every table axnn stores or uses): lut[(a + 128) * 256 + (w + 128)] = M(a, w)
// for signed operands a (activation, row) and w (weight, column) in -128..127.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace axnn::mult {

constexpr int kTableSize = 256 * 256;
// Largest |M(a, w)| a table may hold: an 8x8 multiplier's product needs 17 bits (sign-magnitude use
// of an unsigned one reaches ±65025), and the int32 accumulation of up to 32767 such products cannot
// overflow.
constexpr int32_t kMaxTableMagnitude = 65536;

// Throws InputError "<what>: <where>: ..." when an entry is out of range. `where` names the table.
void check_table_range(const std::vector<int32_t>& lut, const std::string& what, const std::string& where);

// Error statistics of a table against the exact product a*w over all 65,536 signed operand pairs.
struct ErrorMetrics {
  double mae = 0;         // mean |e|
  double wce = 0;         // max |e|
  double mre = 0;         // mean |e| / |a*w| over pairs with a*w != 0, in percent
  double ep = 0;          // share of pairs with e != 0, in percent
  double mse = 0;         // mean e^2
  double error_mean = 0;  // mean e
  double error_std = 0;   // population standard deviation of e
};

struct Multiplier {
  std::string name;
  std::vector<int32_t> lut;  // kTableSize entries, signed-index convention above
  // Whether the hardware multiplier is natively signed; unsigned ones are used sign-magnitude
  // (M(|a|,|w|) with the product's sign applied), which is what `lut` then holds.
  bool is_signed = false;
  double power = 0;  // in power_unit
  std::string power_unit = "relative";
  std::string power_source;
  std::optional<double> area, delay;  // with units area_unit, delay_unit
  std::string area_unit, delay_unit;
  nlohmann::json source = nlohmann::json::object();  // family + parameters, or file + hash
  std::string description;
  ErrorMetrics metrics;  // filled by compute_metrics()
};

// Metrics of a signed-index table.
ErrorMetrics compute_metrics(const std::vector<int32_t>& lut);

// Metrics of an unsigned model over its own domain 0..255 x 0..255 (as EvoApproxLib reports them).
ErrorMetrics compute_metrics_unsigned(const std::vector<int32_t>& table_u);

// Signed-index table from a function of signed operands.
std::vector<int32_t> table_from(const std::function<int32_t(int a, int w)>& m);

// Sign-magnitude use of an unsigned model: table_u[x * 256 + y] = M_u(x, y), x, y in 0..255.
std::vector<int32_t> sign_magnitude(const std::vector<int32_t>& table_u);

std::vector<int32_t> exact_table();

// A library: multipliers plus the name of the exact one, against which power is normalised.
struct Library {
  std::string name;
  std::vector<Multiplier> multipliers;
  // Where the multipliers came from (axnn-mult compose): kind, path, content hash, names given.
  nlohmann::json sources = nlohmann::json::array();

  const Multiplier* find(const std::string& name) const;
  // The exact multiplier (table a*w everywhere). Throws InputError when the library has none.
  const Multiplier& exact() const;
  // power / exact().power
  double relative_power(const Multiplier& m) const;
  // Checks names are safe and unique, tables are 256x256 and in range, powers finite and >= 0, and
  // an exact one exists.
  void validate(const std::string& what) const;
};

}  // namespace axnn::mult
