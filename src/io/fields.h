// The fields of an artifact kind, declared once: where each lives (attribute or dataset, '*' for
// every member of a group), its type, its shape, and the values it may hold. The writer checks what
// it wrote against the declaration before the file is committed (so writer and reader cannot drift
// apart unnoticed), Artifact::open() checks a file before any reader looks at it (naming the file and
// the field), and `axnn-inspect --fields` lists it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <H5Cpp.h>
#include <nlohmann/json.hpp>

namespace axnn {

enum class FieldType {
  String,  // attribute: UTF-8 text
  Json,    // attribute: text holding JSON of json_kind
  Int,     // attribute: any integer type
  Float,   // attribute: float64, finite
  Int8, UInt8, Int32, Int64, Float32, Float64,  // datasets: exactly this element type
  Numeric  // datasets: any integer or float type (model tensors)
};

struct Field {
  std::string path;  // relative to the root; '*' stands for every member of that group
  bool dataset = false;
  FieldType type = FieldType::String;
  std::vector<long long> shape;  // datasets: the dimensions, -1 for any size; empty: any shape
  std::optional<double> min, max;  // numeric attributes (and integer datasets): allowed range
  bool optional = false;
  std::string json_kind;  // Json: "object", "array" or "" (any)
  std::string description;
  std::string unit;
};

struct KindFields {
  std::string kind;
  int schema_version = 1;
  std::vector<Field> fields;
};

// Builders that keep declarations short: attr("seed", FieldType::Int, "the seed").min(0) ...
struct FieldBuilder {
  Field f;
  FieldBuilder& min(double v) { f.min = v; return *this; }
  FieldBuilder& max(double v) { f.max = v; return *this; }
  FieldBuilder& optional() { f.optional = true; return *this; }
  FieldBuilder& unit(std::string u) { f.unit = std::move(u); return *this; }
  FieldBuilder& json(std::string kind) { f.json_kind = std::move(kind); return *this; }
  operator Field() const { return f; }
};
FieldBuilder attr(std::string path, FieldType type, std::string description);
FieldBuilder dataset(std::string path, FieldType type, std::vector<long long> shape, std::string description);

// The root attributes every artifact has (axnn_kind, schema_version, created_by, config, inputs, seed).
const std::vector<Field>& common_fields();

// Throws InputError "<file>: <path>: <what is wrong>" for the first field the file breaks.
void check_fields(const H5::Group& root, const KindFields& kind, const std::string& file);

// Stores each declared dataset's description and unit as its "description" and "unit" attributes:
// the text in the file is the declaration's, never a second spelling in the writer. ArtifactWriter
// calls it on commit.
void describe_datasets(H5::Group& root, const KindFields& kind);

// Every kind whose declaration was registered (axnn-inspect --fields), and its rows for a table.
void register_fields(const KindFields& kind);
const KindFields* registered_fields(const std::string& kind);
nlohmann::json fields_table(const KindFields& kind);

}  // namespace axnn
