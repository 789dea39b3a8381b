#include "inspect/inspect.h"

#include <map>
#include <sstream>

#include <fmt/format.h>

#include "core/error.h"
#include "io/artifact.h"
#include "io/h5.h"
#include "io/views.h"

namespace axnn::inspect {
namespace {

using nlohmann::json;

herr_t visit(hid_t, const char* name, const H5O_info_t* info, void* data) {
  if (std::string(name) == ".") return 0;
  auto* out = static_cast<std::vector<std::pair<std::string, H5O_type_t>>*>(data);
  out->emplace_back(name, info->type);
  return 0;
}

json content_tree(H5::H5File& file) {
  std::vector<std::pair<std::string, H5O_type_t>> objects;
  H5Ovisit(file.getId(), H5_INDEX_NAME, H5_ITER_INC, visit, &objects);
  json out = json::array();
  for (const auto& [name, type] : objects) {
    json entry = {{"path", "/" + name}};
    if (type == H5O_TYPE_GROUP) {
      entry["type"] = "group";
      entry["attributes"] = h5::read_attrs(file.openGroup(name));
    } else if (type == H5O_TYPE_DATASET) {
      H5::DataSet ds = file.openDataSet(name);
      entry["type"] = "dataset";
      entry["shape"] = h5::dataset_shape(ds);
      entry["dtype"] = h5::type_name(ds.getDataType());
      entry["attributes"] = h5::read_attrs(ds);
    } else {
      entry["type"] = "other";
    }
    out.push_back(entry);
  }
  return out;
}

std::string shape_text(const json& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i].get<uint64_t>());
  return s + (shape.size() == 1 ? ",)" : ")");
}

std::string value_text(const json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump(-1, ' ', false, json::error_handler_t::replace);
}

void render_table(std::ostringstream& os, const json& table) {
  const json& columns = table["columns"];
  std::vector<size_t> width(columns.size());
  for (size_t c = 0; c < columns.size(); ++c) width[c] = value_text(columns[c]).size();
  for (const auto& row : table["rows"])
    for (size_t c = 0; c < row.size() && c < width.size(); ++c) width[c] = std::max(width[c], value_text(row[c]).size());
  auto line = [&](const json& cells) {
    os << " ";
    for (size_t c = 0; c < cells.size() && c < width.size(); ++c) os << fmt::format(" {:<{}}", value_text(cells[c]), width[c]);
    os << "\n";
  };
  os << "\n" << value_text(table["title"]) << "\n";
  line(columns);
  for (const auto& row : table["rows"]) line(row);
}

}  // namespace

json describe(const std::string& path) {
  ArtifactInfo info = probe_artifact(path);
  H5::H5File file(path, H5F_ACC_RDONLY);
  json d = {{"path", path},
            {"kind", info.kind},
            {"schema_version", info.schema_version},
            {"created_by", info.created_by},
            {"config", info.config},
            {"inputs", info.inputs},
            {"seed", info.seed},
            {"content", content_tree(file)},
            {"tables", json::array()}};
  if (const ArtifactView* view = find_view(info.kind)) {
    try {
      (*view)(file, d);
    } catch (const nlohmann::json::exception& e) {  // a JSON attribute of another shape than the view's
      throw InputError(fmt::format("{}: malformed {} artifact ({})", path, info.kind, e.what()));
    }
  }
  return d;
}

std::string render_text(const json& d) {
  std::ostringstream os;
  const json& by = d["created_by"];
  os << fmt::format("{}\n  kind: {} (schema version {})\n", d["path"].get<std::string>(), d["kind"].get<std::string>(),
                    d["schema_version"].get<int>());
  os << fmt::format("  made by: {} {} (git {}) on {}\n", value_text(by.value("program", "?")),
                    value_text(by.value("version", "?")), value_text(by.value("git_revision", "?")),
                    value_text(by.value("date", "?")));
  os << fmt::format("  command: {}\n", value_text(by.value("command_line", "")));
  if (by.contains("environment") && by["environment"].is_object()) {
    std::string env;
    for (const auto& [k, v] : by["environment"].items()) env += fmt::format("{}{}: {}", env.empty() ? "" : ", ", k, value_text(v));
    os << fmt::format("  environment: {} (compiler {}, {} threads)\n", env, value_text(by.value("compiler", "?")),
                      value_text(by.value("threads", 0)));
  }
  os << fmt::format("  seed: {}\n", d["seed"].get<uint64_t>());
  os << "  inputs:";
  if (d["inputs"].empty()) os << " none";
  os << "\n";
  for (const auto& in : d["inputs"])
    os << fmt::format("    {} ({}, {})\n", value_text(in.value("path", "?")), value_text(in.value("kind", "?")),
                      value_text(in.value("hash", "?")));
  os << "  config: " << d["config"].dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
  os << "\ncontent\n";
  for (const auto& e : d["content"]) {
    if (e["type"] == "dataset") {
      std::string extra;
      const json& a = e["attributes"];
      if (a.contains("description")) extra += "  " + value_text(a["description"]);
      if (a.contains("unit")) extra += " [" + value_text(a["unit"]) + "]";
      os << fmt::format("  {:<40} {:<8} {}{}\n", value_text(e["path"]), value_text(e["dtype"]), shape_text(e["shape"]), extra);
    } else {
      os << fmt::format("  {}/\n", value_text(e["path"]));
    }
  }
  os << render_tables(d["tables"]);
  return os.str();
}

std::string render_tables(const json& tables) {
  std::ostringstream os;
  for (const auto& t : tables) render_table(os, t);
  return os.str();
}

}  // namespace axnn::inspect
