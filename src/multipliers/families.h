// Built-in multiplier families, generated (no external files). Each core is an unsigned 8x8
// multiplier used sign-magnitude. Power is a relative cell-count proxy (docs/multipliers.md):
// AND gate 1, full adder 4, 2:1 mux 2, leading-one detector 8 per operand; exact 8x8 array = 1.0.
#pragma once

#include <string>
#include <vector>

#include "config/spec.h"
#include "multipliers/multiplier.h"

namespace axnn::mult {

// One member of a family, as named in a library config.
struct FamilyMember {
  std::string family;  // exact | truncated | broken_array | drum | mitchell | operand_truncation
  int k = 0;           // truncated: dropped columns; drum: kept bits; operand_truncation: dropped LSBs
  int hbl = 0;         // broken_array: horizontal break level (dropped partial-product rows)
  int vbl = 0;         // broken_array: vertical break level (dropped columns)
};

Multiplier make_multiplier(const FamilyMember& member);

// Name of a member, e.g. "trunc6", "bam_h2_v6", "drum4", "mitchell", "otrunc3", "exact".
std::string member_name(const FamilyMember& member);

// The unsigned core of a member, x, y in 0..255.
int32_t core_product(const FamilyMember& member, int x, int y);

// The default library, builtin-8s: 17 multipliers from exact to very cheap.
std::vector<FamilyMember> default_members();
Library build_library(const std::string& name, const std::vector<FamilyMember>& members);

// Config of `axnn-mult build` (workflows/schemas/library.schema.json is generated from it).
const config::Spec& library_spec();
std::vector<FamilyMember> members_from_config(const nlohmann::json& resolved, const std::string& source);
// The library a resolved library_spec() config describes: its name and members.
Library library_from_config(const nlohmann::json& resolved, const std::string& source);

// The built-in families' names, from their one registry (families.cpp).
std::vector<std::string> family_names();

// The relative power proxy of a member (exact = 1.0).
double member_power(const FamilyMember& member);

}  // namespace axnn::mult
