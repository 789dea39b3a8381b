// Import of single tables from .npy (int16/int32, 256x256) or CSV (256 rows of 256 integers), and
// library merging (filtering: multipliers/sources.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/spec.h"
#include "multipliers/multiplier.h"

namespace axnn::mult {

// Reads a 256x256 integer table. Signed tables follow the axnn convention lut[a+128][w+128];
// unsigned ones are M_u[x][y] for x, y in 0..255. Throws InputError naming the file.
std::vector<int32_t> read_npy_table(const std::string& path);
std::vector<int32_t> read_csv_table(const std::string& path);

// What a table does not say itself: from the command line or a YAML sidecar (see sidecar_spec()).
struct TableInfo {
  std::string name;
  std::optional<double> power;
  std::string power_unit = "relative";
  bool is_signed = true;
  std::optional<double> area, delay;
  std::string description;
};

const config::Spec& sidecar_spec();
// Fills the fields the sidecar sets; command-line values given before are overwritten.
void apply_sidecar(const std::string& path, TableInfo& info);

Multiplier import_table(const std::string& path, const TableInfo& info);

// Merges libraries (first one's name unless `name` is given). Multipliers of the same name must have
// the same table; powers must share a unit; the exact multiplier is taken from the first library.
Library merge_libraries(const std::vector<Library>& libraries, const std::string& name);

}  // namespace axnn::mult
