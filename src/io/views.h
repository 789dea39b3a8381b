// Kind-specific views of an artifact's content (the per-layer tables axnn-inspect prints). Each
// artifact kind registers its view where the kind is declared, so inspect/ (a layer above) knows
// no kind and the kinds never include inspect/.
#pragma once

#include <functional>
#include <string>

#include <H5Cpp.h>
#include <nlohmann/json.hpp>

namespace axnn {

// Fills description["tables"] (a list of {title, columns, rows}) from the open file.
using ArtifactView = std::function<void(H5::H5File& file, nlohmann::json& description)>;

void register_view(const std::string& kind, ArtifactView view);
// The view registered for `kind`, or nullptr.
const ArtifactView* find_view(const std::string& kind);

}  // namespace axnn
