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

// A library and what messages call it (its file, or a config key).
struct LabelledLibrary {
  std::string label;
  Library library;
};

// Merges libraries in order (the first one's name unless `name` is given). A name given twice must
// have the same table, and the first one is kept (so 'exact' comes from the first library that has
// it); otherwise an InputError names both labels. The result is not validated: callers do (it may
// still lack 'exact', or mix power units, until they finish it).
Library merge_libraries(std::vector<LabelledLibrary> libraries, const std::string& name);

}  // namespace axnn::mult
