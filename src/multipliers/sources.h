// A library assembled from sources: built-in families, EvoApproxLib folders, existing library
// artifacts and single tables, merged in order, then filtered. This is the `library:` block of an
// experiment config and the config of `axnn-mult compose`; one spec serves both.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "config/spec.h"
#include "multipliers/multiplier.h"

namespace axnn::mult {

// The `library:` block (workflows/schemas/library-sources.schema.json is generated from it).
const config::Spec& library_sources_spec();

// Which multipliers of a library to keep; 'exact' always stays.
struct LibraryFilter {
  std::string names = ".*";  // keep names matching (regex search)
  std::string exclude;       // drop names matching (empty: none)
  std::optional<bool> is_signed;
  std::optional<double> max_mae, max_wce, max_error_std;
};

LibraryFilter filter_from_config(const nlohmann::json& resolved_filter);
Library filter_library(const Library& library, const LibraryFilter& filter);

// Builds the library a resolved `library:` block describes. Every source is recorded in the
// library's `sources` (kind, path, content hash, the multipliers it holds). Multipliers of the same name
// must have the same table; powers must share one unit unless a source converts its own
// (convert_power); 'exact' comes from the first source that has it, else (relative power) is added.
// Errors name `where` and the source's index.
Library compose_library(const nlohmann::json& resolved, const std::string& where);

// "sha256:..." over the sorted relative paths and contents of every *.c below `folder`.
std::string hash_c_files(const std::string& folder);

}  // namespace axnn::mult
