// docs/artifacts.md is held to the declarations in the code: every kind has its section with the
// declared schema version, every declared field's name appears there, and so do the keys of the
// matching's `assignment` record. A field added in the code without a word in the docs fails here.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "data/dataset.h"
#include "io/fields.h"
#include "method/assign.h"
#include "method/matching.h"
#include "method/refs.h"
#include "method/sensitivity.h"
#include "models/model_artifact.h"
#include "multipliers/library_io.h"
#include "prune/ranking.h"
#include "train/metrics.h"

namespace axnn {
namespace {

std::string artifacts_doc() {
  std::ifstream in(std::string(AXNN_SOURCE_DIR) + "/docs/artifacts.md");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The text from "## Kind `<kind>` (schema version N" to the next "## " heading; empty when absent.
std::string section(const std::string& doc, const KindFields& k) {
  const std::string head = "## Kind `" + k.kind + "` (schema version " + std::to_string(k.schema_version);
  const size_t start = doc.find(head);
  if (start == std::string::npos) return "";
  return doc.substr(start, doc.find("\n## ", start + 1) - start);
}

// The name a reader looks for: the last path part that is not '*' ("layers/*/lut" -> "lut").
std::string field_name(const std::string& path) {
  std::string name, part;
  std::stringstream ss(path);
  while (std::getline(ss, part, '/'))
    if (part != "*") name = part;
  return name;
}

const std::vector<const KindFields*>& all_kinds() {
  static const std::vector<const KindFields*> kinds = {
      &mult::library_fields(),   &data::dataset_fields(),       &models::model_fields(),         &method::refs_fields(),
      &method::matching_fields(), &method::sensitivity_fields(), &prune::ranking_fields(), &train::metrics_fields()};
  return kinds;
}

TEST(ArtifactsDoc, EveryKindAndDeclaredFieldIsDocumented) {
  const std::string doc = artifacts_doc();
  ASSERT_FALSE(doc.empty());
  const std::string kinds_row = doc.substr(doc.find("| `axnn_kind` |"), doc.find('\n', doc.find("| `axnn_kind` |")) -
                                                                          doc.find("| `axnn_kind` |"));
  for (const KindFields* k : all_kinds()) {
    EXPECT_NE(kinds_row.find("`" + k->kind + "`"), std::string::npos) << k->kind << " missing from the axnn_kind row";
    const std::string text = section(doc, *k);
    ASSERT_FALSE(text.empty()) << "no section '## Kind `" << k->kind << "` (schema version " << k->schema_version << "'";
    for (const Field& f : k->fields)
      EXPECT_NE(text.find(field_name(f.path)), std::string::npos) << k->kind << ": field " << f.path << " undocumented";
  }
  for (const Field& f : common_fields())
    EXPECT_NE(doc.find("`" + f.path + "`"), std::string::npos) << "root attribute " << f.path << " undocumented";
}

TEST(ArtifactsDoc, TheAssignmentRecordsKeysAreDocumented) {
  const std::string text = section(artifacts_doc(), method::matching_fields());
  for (const auto& [key, _] : method::assignment_record_spec().properties())
    EXPECT_NE(text.find(key), std::string::npos) << "assignment." << key << " undocumented";
}

}  // namespace
}  // namespace axnn
