#include "io/fields.h"

#include <cmath>
#include <map>

#include <fmt/format.h>

#include "core/error.h"
#include "io/h5.h"

namespace axnn {
namespace {

using nlohmann::json;

const char* type_word(FieldType t) {
  switch (t) {
    case FieldType::String: return "string";
    case FieldType::Json: return "JSON text";
    case FieldType::Int: return "integer";
    case FieldType::Float: return "float64";
    case FieldType::Int8: return "int8";
    case FieldType::UInt8: return "uint8";
    case FieldType::Int32: return "int32";
    case FieldType::Int64: return "int64";
    case FieldType::Float32: return "float32";
    case FieldType::Float64: return "float64";
    case FieldType::Numeric: return "number";
  }
  return "?";
}

// The concrete paths a declared path stands for in this file ('*' expanded over group members).
void expand(const H5::Group& g, const std::vector<std::string>& parts, size_t i, const std::string& prefix,
            std::vector<std::string>& out, bool last_is_attribute) {
  if (i + 1 == parts.size()) {
    if (parts[i] != "*" || last_is_attribute) {
      out.push_back(prefix + parts[i]);
      return;
    }
    for (hsize_t k = 0; k < g.getNumObjs(); ++k)  // every dataset of the group
      if (g.childObjType(k) == H5O_TYPE_DATASET) out.push_back(prefix + g.getObjnameByIdx(k));
    return;
  }
  std::vector<std::string> names;
  if (parts[i] == "*") {
    for (hsize_t k = 0; k < g.getNumObjs(); ++k)
      if (g.childObjType(k) == H5O_TYPE_GROUP) names.push_back(g.getObjnameByIdx(k));
  } else if (h5::exists(g, parts[i])) {
    names.push_back(parts[i]);
  } else {
    out.push_back(prefix + parts[i] + "/" + parts.back());  // reported missing
    return;
  }
  for (const auto& n : names) expand(g.openGroup(n), parts, i + 1, prefix + n + "/", out, last_is_attribute);
}

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t slash; (slash = path.find('/', start)) != std::string::npos; start = slash + 1)
    parts.push_back(path.substr(start, slash - start));
  parts.push_back(path.substr(start));
  return parts;
}

void check_attribute(const H5::Group& root, const Field& f, const std::string& path) {
  const auto slash = path.rfind('/');
  const std::string owner = slash == std::string::npos ? "/" : path.substr(0, slash);
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (owner != "/" && !h5::exists(root, owner)) {
    if (!f.optional) throw InputError(fmt::format("missing group '{}'", owner));
    return;
  }
  H5::Group g = owner == "/" ? root : root.openGroup(owner);
  if (!h5::has_attr(g, name)) {
    if (!f.optional) throw InputError(fmt::format("missing attribute '{}'", path));
    return;
  }
  const H5T_class_t cls = g.openAttribute(name).getTypeClass();
  auto expect = [&](bool ok) {
    if (!ok) throw InputError(fmt::format("attribute '{}' is {}, expected {}", path, h5::type_name(g.openAttribute(name).getDataType()), type_word(f.type)));
  };
  switch (f.type) {
    case FieldType::String: expect(cls == H5T_STRING); return;
    case FieldType::Json: {
      expect(cls == H5T_STRING);
      const json j = json::parse(h5::read_string_attr(g, name), nullptr, false);
      if (j.is_discarded()) throw InputError(fmt::format("attribute '{}' is not valid JSON", path));
      if ((f.json_kind == "object" && !j.is_object()) || (f.json_kind == "array" && !j.is_array()))
        throw InputError(fmt::format("attribute '{}' must hold a JSON {}", path, f.json_kind));
      return;
    }
    case FieldType::Int: {
      expect(cls == H5T_INTEGER);
      const auto v = static_cast<double>(h5::read_int_attr(g, name));
      if ((f.min && v < *f.min) || (f.max && v > *f.max))
        throw InputError(fmt::format("attribute '{}' is {}, outside [{}, {}]", path, v, f.min.value_or(-INFINITY), f.max.value_or(INFINITY)));
      return;
    }
    default: {
      expect(cls == H5T_FLOAT || cls == H5T_INTEGER);
      const double v = h5::read_double_attr(g, name);
      if (!std::isfinite(v)) throw InputError(fmt::format("attribute '{}' is {}, expected a finite number", path, v));
      if ((f.min && v < *f.min) || (f.max && v > *f.max))
        throw InputError(fmt::format("attribute '{}' is {}, outside [{}, {}]", path, v, f.min.value_or(-INFINITY), f.max.value_or(INFINITY)));
    }
  }
}

void check_dataset(const H5::Group& root, const Field& f, const std::string& path) {
  if (!h5::exists(root, path)) {
    if (!f.optional) throw InputError(fmt::format("missing dataset '{}'", path));
    return;
  }
  H5::DataSet ds = root.openDataSet(path);
  const H5::DataType stored = ds.getDataType();
  if (f.type == FieldType::Numeric) {
    if (stored.getClass() != H5T_INTEGER && stored.getClass() != H5T_FLOAT)
      throw InputError(fmt::format("dataset '{}' is {}, expected numbers", path, h5::type_name(stored)));
  } else if (h5::type_name(stored) != type_word(f.type)) {
    throw InputError(fmt::format("dataset '{}' is {}, expected {}", path, h5::type_name(stored), type_word(f.type)));
  }
  const h5::Shape shape = h5::dataset_shape(ds);
  bool ok = f.shape.empty() || shape.size() == f.shape.size();
  for (size_t i = 0; ok && i < f.shape.size(); ++i) ok = f.shape[i] < 0 || static_cast<long long>(shape[i]) == f.shape[i];
  if (!ok) {
    std::vector<std::string> want;
    for (long long d : f.shape) want.push_back(d < 0 ? "any" : std::to_string(d));
    throw InputError(fmt::format("dataset '{}' has shape ({}), expected ({})", path, fmt::join(shape, ", "), fmt::join(want, ", ")));
  }
  const bool floating = stored.getClass() == H5T_FLOAT;
  if (!f.min && !f.max && !floating) return;
  const size_t n = h5::checked_element_count(ds, path, sizeof(double));
  if (n == 0) return;
  std::vector<double> v(n);
  ds.read(v.data(), H5::PredType::NATIVE_DOUBLE);
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(v[i]))
      throw InputError(fmt::format("dataset '{}' holds {} at flat index {}", path, v[i], i));
    if ((f.min && v[i] < *f.min) || (f.max && v[i] > *f.max))
      throw InputError(fmt::format("dataset '{}' holds {} at flat index {}, outside [{}, {}]", path, v[i], i,
                                   f.min.value_or(-INFINITY), f.max.value_or(INFINITY)));
  }
}

std::map<std::string, KindFields>& registry() {
  static std::map<std::string, KindFields> r;
  return r;
}

}  // namespace

FieldBuilder attr(std::string path, FieldType type, std::string description) {
  FieldBuilder b;
  b.f.path = std::move(path), b.f.type = type, b.f.description = std::move(description);
  return b;
}

FieldBuilder dataset(std::string path, FieldType type, std::vector<long long> shape, std::string description) {
  FieldBuilder b;
  b.f.path = std::move(path), b.f.dataset = true, b.f.type = type, b.f.shape = std::move(shape);
  b.f.description = std::move(description);
  return b;
}

const std::vector<Field>& common_fields() {
  static const std::vector<Field> fields = {
      attr("axnn_kind", FieldType::String, "what the artifact is"),
      attr("schema_version", FieldType::Int, "layout version of the kind").min(1),
      attr("created_by", FieldType::Json, "program, version, git revision, compiler, date, command line, threads, world size").json("object"),
      attr("config", FieldType::Json, "the step's resolved config"),
      attr("inputs", FieldType::Json, "the files it was made from: path, kind, sha256").json("array"),
      attr("seed", FieldType::Int, "the seed the program ran with")};
  return fields;
}

void check_fields(const H5::Group& root, const KindFields& kind, const std::string& file) {
  try {
    std::vector<Field> all = common_fields();
    all.insert(all.end(), kind.fields.begin(), kind.fields.end());
    for (const Field& f : all) {
      std::vector<std::string> paths;
      expand(root, split(f.path), 0, "", paths, !f.dataset);
      for (const auto& p : paths) f.dataset ? check_dataset(root, f, p) : check_attribute(root, f, p);
    }
  } catch (const H5::Exception& e) {
    throw InputError(fmt::format("{}: damaged {} artifact ({})", file, kind.kind, e.getDetailMsg()));
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", file, e.what()));
  }
}

void describe_datasets(H5::Group& root, const KindFields& kind) {
  for (const Field& f : kind.fields) {
    if (!f.dataset) continue;
    std::vector<std::string> paths;
    expand(root, split(f.path), 0, "", paths, false);
    for (const auto& p : paths) {
      if (!h5::exists(root, p)) continue;  // a missing optional one; check_fields judges the rest
      H5::DataSet ds = root.openDataSet(p);
      h5::write_attr(ds, "description", f.description);
      if (!f.unit.empty()) h5::write_attr(ds, "unit", f.unit);
      else if (ds.attrExists("unit")) ds.removeAttr("unit");
    }
  }
}

void register_fields(const KindFields& kind) { registry()[kind.kind] = kind; }

const KindFields* registered_fields(const std::string& kind) {
  auto it = registry().find(kind);
  return it == registry().end() ? nullptr : &it->second;
}

json fields_table(const KindFields& kind) {
  json rows = json::array();
  std::vector<Field> all = common_fields();
  all.insert(all.end(), kind.fields.begin(), kind.fields.end());
  for (const Field& f : all) {
    std::vector<std::string> dims;
    for (long long d : f.shape) dims.push_back(d < 0 ? "*" : std::to_string(d));
    std::string range;
    if (f.min || f.max)
      range = fmt::format("[{}, {}]", f.min ? fmt::format("{}", *f.min) : "", f.max ? fmt::format("{}", *f.max) : "");
    rows.push_back({f.path, f.dataset ? "dataset" : "attribute", type_word(f.type),
                    !f.dataset ? "" : dims.empty() ? "any" : fmt::format("({})", fmt::join(dims, ", ")), range, f.optional ? "yes" : "",
                    f.unit, f.description});
  }
  return {{"title", fmt::format("declared fields of kind {} (schema version {})", kind.kind, kind.schema_version)},
          {"columns", {"path", "where", "type", "shape", "range", "optional", "unit", "description"}},
          {"rows", rows}};
}

}  // namespace axnn
