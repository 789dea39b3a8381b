// The multipliers artifact (axnn_kind = multipliers): /multipliers/<name>/lut int32 (256, 256) in
// the signed-index convention, with power, provenance and error metrics as attributes.
#pragma once

#include <string>

#include "io/artifact.h"
#include "multipliers/multiplier.h"

namespace axnn::mult {

constexpr const char* kLibraryKind = "multipliers";
constexpr int kLibrarySchemaVersion = 1;
// The kind's fields, declared once (io/fields.h): checked when written and when read.
const KindFields& library_fields();

// Validates and writes atomically.
void write_library(const std::string& path, const Library& library, const Provenance& provenance);

// Reads and validates (an exact multiplier must be present). Throws InputError naming the file.
Library read_library(const std::string& path);

// Registers the per-multiplier table of axnn-inspect for this kind.
void register_inspect_view();

// Rows of `axnn-mult list` / axnn-inspect: name, signed, power, relative power, MAE, WCE, error
// std, EP; sorted by relative power, cheapest first.
nlohmann::json library_table(const Library& library);

}  // namespace axnn::mult
