#include "multipliers/families.h"

#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"

namespace axnn::mult {
namespace {

// Cell costs of the power proxy.
constexpr double kAnd = 1, kFullAdder = 4, kMux2 = 2, kLeadingOne = 8;

// Partial-product masks: bit (i, j) is a_i & w_j, weight 2^(i+j).
using PpMask = bool (*)(const FamilyMember&, int i, int j);

bool keep_all(const FamilyMember&, int, int) { return true; }
bool keep_truncated(const FamilyMember& m, int i, int j) { return i + j >= m.k; }
bool keep_broken_array(const FamilyMember& m, int i, int j) { return i + j >= m.vbl && j >= m.hbl; }
bool keep_operand_truncated(const FamilyMember& m, int i, int j) { return i >= m.k && j >= m.k; }

int32_t pp_product(const FamilyMember& m, PpMask keep, int x, int y) {
  int32_t p = 0;
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 8; ++j)
      if (((x >> i) & 1) && ((y >> j) & 1) && keep(m, i, j)) p += int32_t{1} << (i + j);
  // 128 (from |-128|) has only bit 7; 8 bits cover every magnitude used.
  return p;
}

// Cost of a partial-product array: one AND per kept bit; reducing n bits in c columns to one row
// takes about n - c full adders (each removes one bit), which also covers the final adder.
double pp_array_cost(int bits, int columns) { return bits * kAnd + std::max(0, bits - columns) * kFullAdder; }

double pp_mask_cost(const FamilyMember& m, PpMask keep) {
  int bits = 0;
  bool column_used[15] = {};
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 8; ++j)
      if (keep(m, i, j)) {
        ++bits;
        column_used[i + j] = true;
      }
  int columns = 0;
  for (bool c : column_used) columns += c;
  return pp_array_cost(bits, columns);
}

int leading_one(int x) { return 31 - __builtin_clz(static_cast<unsigned>(x)); }

// DRUM (Hashemi et al., 2015): keep k bits from the leading one, set the lowest kept bit to 1.
int drum_operand(int x, int k) {
  if (x < (1 << k)) return x;
  int shift = leading_one(x) - k + 1;
  return ((x >> shift) | 1) << shift;
}

// Mitchell's logarithmic multiplier (1962): log2 x ~ t + f with x = 2^t (1 + f).
int32_t mitchell(int x, int y) {
  if (x == 0 || y == 0) return 0;
  int tx = leading_one(x), ty = leading_one(y);
  int64_t fx = x - (1 << tx), fy = y - (1 << ty);  // fractions scaled by 2^tx, 2^ty
  int64_t cross = (fx << ty) + (fy << tx);         // 2^(tx+ty) (f_x + f_y)
  int64_t base = int64_t{1} << (tx + ty);
  return static_cast<int32_t>(cross < base ? base + cross : 2 * cross);
}

double ceil_log2(int n) { return n <= 1 ? 0 : std::ceil(std::log2(static_cast<double>(n))); }

void check_range(const FamilyMember& m, const char* param, int value, int lo, int hi) {
  if (value < lo || value > hi)
    throw ConfigError(fmt::format("multiplier family '{}': {} must be in {}..{}, got {}", m.family, param, lo, hi, value));
}

// DRUM's cost: a k x k core, two leading-one detectors, two k-bit window selectors over 8 bits, and an
// output shifter of the 2k-bit product by 0..2(8-k).
double drum_cost(const FamilyMember& m) {
  double core = pp_array_cost(m.k * m.k, 2 * m.k - 1);
  double select = 2 * m.k * (8 - m.k) * kMux2;
  double out_shift = 16 * ceil_log2(2 * (8 - m.k) + 1) * kMux2;
  return core + 2 * kLeadingOne + select + out_shift;
}

// Mitchell's cost: two leading-one detectors, two 7-bit fraction shifters (3 levels), a 10-bit adder
// for exponent and fraction, and a 16-bit antilog shifter (4 levels).
double mitchell_cost(const FamilyMember&) { return 2 * kLeadingOne + 2 * 7 * 3 * kMux2 + 10 * kFullAdder + 16 * 4 * kMux2; }

struct Param {
  const char* name;
  int FamilyMember::*member;
  int lo, hi;
};

// A built-in family: its parameters and ranges, how a member is named, and either a partial-product
// mask (product and cost follow from it) or its own product and cost.
struct Family {
  const char* name;
  const char* meaning;
  std::vector<Param> params;
  std::string (*name_of)(const FamilyMember&);
  PpMask mask = nullptr;
  int32_t (*product)(const FamilyMember&, int x, int y) = nullptr;
  double (*cost)(const FamilyMember&) = nullptr;
};

// Every built-in family, once: the config schema's enum, the checks, the names, products and costs.
const std::vector<Family>& families() {
  static const std::vector<Family> f = {
      {"exact", "the exact product", {}, [](const FamilyMember&) { return std::string("exact"); }, keep_all},
      {"truncated", "partial-product columns below k dropped", {{"k", &FamilyMember::k, 0, 14}},
       [](const FamilyMember& m) { return fmt::format("trunc{}", m.k); }, keep_truncated},
      {"broken_array", "broken-array multiplier: hbl rows and vbl columns of partial products dropped",
       {{"hbl", &FamilyMember::hbl, 0, 7}, {"vbl", &FamilyMember::vbl, 0, 14}},
       [](const FamilyMember& m) { return fmt::format("bam_h{}_v{}", m.hbl, m.vbl); }, keep_broken_array},
      {"drum", "DRUM: k bits kept from each operand's leading one", {{"k", &FamilyMember::k, 2, 8}},
       [](const FamilyMember& m) { return fmt::format("drum{}", m.k); }, nullptr,
       [](const FamilyMember& m, int x, int y) { return drum_operand(x, m.k) * drum_operand(y, m.k); }, drum_cost},
      {"mitchell", "Mitchell's logarithmic multiplier", {}, [](const FamilyMember&) { return std::string("mitchell"); },
       nullptr, [](const FamilyMember&, int x, int y) { return mitchell(x, y); }, mitchell_cost},
      {"operand_truncation", "k low bits of each operand dropped", {{"k", &FamilyMember::k, 0, 7}},
       [](const FamilyMember& m) { return fmt::format("otrunc{}", m.k); }, keep_operand_truncated}};
  return f;
}

const Family& family_of(const FamilyMember& m) {
  for (const Family& f : families())
    if (m.family == f.name) return f;
  std::vector<std::string> names;
  for (const Family& f : families()) names.push_back(f.name);
  throw ConfigError(fmt::format("unknown multiplier family '{}' (expected one of {})", m.family, fmt::join(names, ", ")));
}

// Checks the member's parameters against its family's ranges; returns the family.
const Family& checked_family(const FamilyMember& m) {
  const Family& f = family_of(m);
  for (const Param& p : f.params) check_range(m, p.name, m.*p.member, p.lo, p.hi);
  return f;
}

}  // namespace

int32_t core_product(const FamilyMember& m, int x, int y) {
  const Family& f = family_of(m);
  return f.mask ? pp_product(m, f.mask, x, y) : f.product(m, x, y);
}

double member_power(const FamilyMember& m) {
  static const double exact_cost = pp_mask_cost({}, keep_all);
  const Family& f = family_of(m);
  return (f.mask ? pp_mask_cost(m, f.mask) : f.cost(m)) / exact_cost;
}

std::string member_name(const FamilyMember& m) { return family_of(m).name_of(m); }

std::vector<std::string> family_names() {
  std::vector<std::string> out;
  for (const Family& f : families()) out.push_back(f.name);
  return out;
}

Multiplier make_multiplier(const FamilyMember& member) {
  const Family& family = checked_family(member);
  std::vector<int32_t> core(kTableSize);
  for (int x = 0; x < 256; ++x)
    for (int y = 0; y < 256; ++y) core[x * 256 + y] = core_product(member, x, y);
  Multiplier m;
  m.name = member_name(member);
  m.lut = member.family == "exact" ? exact_table() : sign_magnitude(core);
  m.is_signed = member.family == "exact";
  m.power = member_power(member);
  m.power_unit = "relative";
  m.power_source = "axnn cell-count proxy (docs/multipliers.md): AND 1, full adder 4, mux2 2, LOD 8; exact = 1";
  m.source = {{"family", member.family}};
  for (const Param& p : family.params) m.source[p.name] = member.*p.member;
  m.description = member.family == "exact" ? "exact signed 8x8 product"
                                           : fmt::format("{} (unsigned core, sign-magnitude)", m.source.dump());
  m.metrics = compute_metrics(m.lut);
  return m;
}

std::vector<FamilyMember> default_members() {
  return {{"exact"},
          {"truncated", 2},
          {"truncated", 4},
          {"truncated", 6},
          {"truncated", 8},
          {"truncated", 10},
          {"broken_array", 0, 1, 4},
          {"broken_array", 0, 2, 6},
          {"broken_array", 0, 3, 8},
          {"drum", 3},
          {"drum", 4},
          {"drum", 5},
          {"mitchell"},
          {"operand_truncation", 1},
          {"operand_truncation", 2},
          {"operand_truncation", 3},
          {"operand_truncation", 4}};
}

Library build_library(const std::string& name, const std::vector<FamilyMember>& members) {
  Library lib;
  lib.name = name;
  bool has_exact = false;
  for (const auto& m : members) has_exact |= m.family == "exact";
  if (!has_exact) lib.multipliers.push_back(make_multiplier({"exact"}));  // always present
  for (const auto& m : members) lib.multipliers.push_back(make_multiplier(m));
  lib.validate(fmt::format("library '{}'", name));
  return lib;
}

namespace {

nlohmann::json default_members_json() {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& m : default_members()) out.push_back({{"family", m.family}, {"k", m.k}, {"hbl", m.hbl}, {"vbl", m.vbl}});
  return out;
}

}  // namespace

const config::Spec& library_spec() {
  using namespace config;
  static const Spec spec = object(
      "A library of built-in approximate multipliers (axnn-mult build --config)",
      {{"name", string("Library name, stored in the artifact").def("builtin-8s")},
       {"multipliers",
        array_of("Family members to generate; 'exact' is always added",
                 object("One family member",
                        {{"family", string("Multiplier family")
                                        .one_of(family_names())
                                        .required()},
                         {"k", integer("truncated: partial-product columns dropped (0-14); drum: bits kept (2-8); "
                                       "operand_truncation: operand LSBs dropped (0-7)")
                                   .def(0)
                                   .min(0)},
                         {"hbl", integer("broken_array: horizontal break level, rows dropped (0-7)").def(0).min(0)},
                         {"vbl", integer("broken_array: vertical break level, columns dropped (0-14)").def(0).min(0)}}))
            .def(default_members_json())}});
  return spec;
}

Library library_from_config(const nlohmann::json& resolved, const std::string& source) {
  return build_library(resolved.at("name"), members_from_config(resolved, source));
}

std::vector<FamilyMember> members_from_config(const nlohmann::json& resolved, const std::string& source) {
  std::vector<FamilyMember> out;
  for (size_t i = 0; i < resolved["multipliers"].size(); ++i) {
    const auto& j = resolved["multipliers"][i];
    FamilyMember m{j["family"], j["k"], j["hbl"], j["vbl"]};
    try {
      checked_family(m);
    } catch (const ConfigError& e) {
      throw ConfigError(fmt::format("{}: multipliers[{}]: {}", source, i, e.what()));
    }
    out.push_back(m);
  }
  return out;
}

}  // namespace axnn::mult
