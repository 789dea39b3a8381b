// What axnn-inspect shows: an artifact's kind, provenance and content, as JSON or as text.
// Each kind adds its own per-layer tables through register_view() (io/views.h).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace axnn::inspect {

// Everything about the artifact at `path`: root attributes, and the tree of groups and datasets
// (shape, dtype, description, unit). Throws InputError for a missing, non-HDF5 or non-axnn file.
nlohmann::json describe(const std::string& path);

// Human-readable rendering of describe()'s result.
std::string render_text(const nlohmann::json& description);

// Text of a list of {title, columns, rows} tables.
std::string render_tables(const nlohmann::json& tables);

}  // namespace axnn::inspect
