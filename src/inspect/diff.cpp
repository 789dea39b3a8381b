#include "inspect/diff.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include <H5Cpp.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "io/artifact.h"
#include "io/h5.h"

namespace axnn::inspect {
namespace {

using nlohmann::json;

class Differ {
 public:
  Differ(const DiffOptions& o, size_t limit) : o_(o), limit_(limit) {}

  void group(const H5::Group& a, const H5::Group& b, const std::string& path) {
    attributes(a, b, path);
    const auto ma = members(a), mb = members(b);
    for (const auto& [name, type] : ma) {
      const std::string p = path == "/" ? "/" + name : path + "/" + name;
      auto it = mb.find(name);
      if (it == mb.end()) {
        add(fmt::format("{}: only in the first", p));
      } else if (it->second != type) {
        add(fmt::format("{}: a group in one, a dataset in the other", p));
      } else if (type == H5O_TYPE_GROUP) {
        group(a.openGroup(name), b.openGroup(name), p);
      } else {
        dataset(a.openDataSet(name), b.openDataSet(name), p);
      }
    }
    for (const auto& [name, type] : mb)
      if (!ma.count(name)) add(fmt::format("{}: only in the second", path == "/" ? "/" + name : path + "/" + name));
  }

  std::vector<std::string> lines;

 private:
  const DiffOptions& o_;
  size_t limit_;

  void add(std::string line) {
    if (lines.size() < limit_) lines.push_back(std::move(line));
    else if (lines.size() == limit_) lines.push_back("... (more differences)");
  }

  static std::map<std::string, H5O_type_t> members(const H5::Group& g) {
    std::map<std::string, H5O_type_t> out;
    for (hsize_t i = 0; i < g.getNumObjs(); ++i) out[g.getObjnameByIdx(i)] = g.childObjType(i);
    return out;
  }

  json strip(json j) const {
    if (j.is_object()) {
      for (const auto& k : o_.ignored_keys) j.erase(k);
      for (auto& [k, v] : j.items()) v = strip(v);
    } else if (j.is_array()) {
      for (auto& v : j) v = strip(v);
    }
    return j;
  }

  void attributes(const H5::H5Object& a, const H5::H5Object& b, const std::string& path) {
    json ja = h5::read_attrs(a), jb = h5::read_attrs(b);
    if (path == "/")
      for (const auto& k : o_.ignored_root_attributes) ja.erase(k), jb.erase(k);
    for (json* j : {&ja, &jb})
      for (auto it = j->begin(); it != j->end();) {
        const std::string& k = it.key();
        const std::string& sfx = o_.ignored_attribute_suffix;
        if (!sfx.empty() && k.size() >= sfx.size() && k.compare(k.size() - sfx.size(), sfx.size(), sfx) == 0)
          it = j->erase(it);
        else
          ++it;
      }
    for (auto& [k, v] : ja.items()) {
      if (!jb.contains(k)) {
        add(fmt::format("{} @{}: only in the first", path, k));
      } else if (strip(v) != strip(jb[k])) {
        std::string sa = strip(v).dump(-1, ' ', false, json::error_handler_t::replace);
        std::string sb = strip(jb[k]).dump(-1, ' ', false, json::error_handler_t::replace);
        if (sa.size() > 80) sa = sa.substr(0, 77) + "...";
        if (sb.size() > 80) sb = sb.substr(0, 77) + "...";
        add(fmt::format("{} @{}: {} vs {}", path, k, sa, sb));
      }
    }
    for (auto& [k, v] : jb.items())
      if (!ja.contains(k)) add(fmt::format("{} @{}: only in the second", path, k));
  }

  void dataset(const H5::DataSet& a, const H5::DataSet& b, const std::string& path) {
    attributes(a, b, path);
    const std::string ta = h5::type_name(a.getDataType()), tb = h5::type_name(b.getDataType());
    const h5::Shape sa = h5::dataset_shape(a), sb = h5::dataset_shape(b);
    if (ta != tb || sa != sb) {
      add(fmt::format("{}: {} ({}) vs {} ({})", path, ta, fmt::join(sa, ", "), tb, fmt::join(sb, ", ")));
      return;
    }
    // Both files are read whole: a dataset whose declared size exceeds the read bound is refused,
    // naming it, before anything is allocated.
    const size_t n = h5::checked_element_count(a, path, sizeof(double));
    h5::checked_element_count(b, path, sizeof(double));
    if (n == 0) return;
    const bool floating = a.getTypeClass() == H5T_FLOAT;
    if (floating) {
      std::vector<double> va(n), vb(n);
      a.read(va.data(), H5::PredType::NATIVE_DOUBLE);
      b.read(vb.data(), H5::PredType::NATIVE_DOUBLE);
      size_t count = 0, first = 0;
      double worst = 0;
      for (size_t i = 0; i < n; ++i) {
        const double d = std::fabs(va[i] - vb[i]);
        const bool same = (std::isnan(va[i]) && std::isnan(vb[i])) || d <= o_.rtol * std::max(std::fabs(va[i]), std::fabs(vb[i]));
        if (!same) {
          if (count++ == 0) first = i;
          worst = std::max(worst, d);
        }
      }
      if (count)
        add(fmt::format("{}: {} of {} values differ (first at flat index {}: {} vs {}; largest |difference| {:.3g})",
                        path, count, n, first, va[first], vb[first], worst));
      return;
    }
    const H5::DataType type = a.getDataType();
    if (type.getClass() == H5T_STRING || type.isVariableStr()) return;  // axnn stores no string datasets
    std::vector<unsigned char> ba(n * type.getSize()), bb(n * type.getSize());
    a.read(ba.data(), type);
    b.read(bb.data(), b.getDataType());
    if (std::memcmp(ba.data(), bb.data(), ba.size()) != 0) {
      size_t i = 0;
      const size_t w = type.getSize();
      while (i < n && std::memcmp(ba.data() + i * w, bb.data() + i * w, w) == 0) ++i;
      add(fmt::format("{}: values differ (first at flat index {})", path, i));
    }
  }
};

// The build and environment entries of created_by, flattened: "environment.libtorch" -> "2.15.0".
std::map<std::string, std::string> environment_of(const json& created_by) {
  std::map<std::string, std::string> out;
  for (const char* k : {"version", "git_revision", "compiler"})
    if (created_by.contains(k)) out[k] = created_by[k].is_string() ? created_by[k].get<std::string>() : created_by[k].dump();
  if (created_by.contains("environment") && created_by["environment"].is_object())
    for (const auto& [k, v] : created_by["environment"].items()) out["environment." + k] = v.is_string() ? v.get<std::string>() : v.dump();
  return out;
}

}  // namespace

std::vector<std::string> environment_differences(const std::string& a, const std::string& b) {
  const auto ea = environment_of(probe_artifact(a).created_by), eb = environment_of(probe_artifact(b).created_by);
  std::set<std::string> keys;
  for (const auto& [k, v] : ea) keys.insert(k);
  for (const auto& [k, v] : eb) keys.insert(k);
  std::vector<std::string> out;
  for (const auto& k : keys) {
    auto ia = ea.find(k), ib = eb.find(k);
    const std::string va = ia == ea.end() ? "(not recorded)" : ia->second, vb = ib == eb.end() ? "(not recorded)" : ib->second;
    if (va != vb) out.push_back(fmt::format("{}: {} vs {}", k, va, vb));
  }
  return out;
}

std::vector<std::string> diff_artifacts(const std::string& a, const std::string& b, const DiffOptions& options,
                                        size_t limit) {
  const ArtifactInfo ia = probe_artifact(a), ib = probe_artifact(b);
  Differ d(options, limit);
  if (ia.kind != ib.kind) {
    d.lines.push_back(fmt::format("kind: {} vs {}", ia.kind, ib.kind));
    return d.lines;
  }
  H5::H5File fa(a, H5F_ACC_RDONLY), fb(b, H5F_ACC_RDONLY);
  d.group(fa.openGroup("/"), fb.openGroup("/"), "/");
  return d.lines;
}

}  // namespace axnn::inspect
