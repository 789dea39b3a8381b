#include "config/spec.h"

#include <cmath>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include "core/error.h"
#include "core/files.h"

namespace axnn::config {

using nlohmann::json;

Spec object(std::string description, std::vector<std::pair<std::string, Spec>> properties) {
  Spec s(Type::Object, std::move(description));
  s.properties_ = std::move(properties);
  return s;
}
Spec map_of(std::string description, Spec values) {
  Spec s(Type::Map, std::move(description));
  s.items_ = std::make_shared<Spec>(std::move(values));
  return s;
}
Spec array_of(std::string description, Spec items) {
  Spec s(Type::Array, std::move(description));
  s.items_ = std::make_shared<Spec>(std::move(items));
  return s;
}
Spec number(std::string description) { return Spec(Type::Number, std::move(description)); }
Spec integer(std::string description) { return Spec(Type::Integer, std::move(description)); }
Spec string(std::string description) { return Spec(Type::String, std::move(description)); }
Spec boolean(std::string description) { return Spec(Type::Boolean, std::move(description)); }
Spec any_value(std::string description) { return Spec(Type::Any, std::move(description)); }

namespace {

const char* type_word(Type t) {
  switch (t) {
    case Type::Object:
    case Type::Map: return "a mapping";
    case Type::Array: return "a list";
    case Type::Number: return "a number";
    case Type::Integer: return "an integer";
    case Type::String: return "a string";
    case Type::Boolean: return "true or false";
    case Type::Any: return "a value";
  }
  return "?";
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

std::string shown(const json& v) {
  // YAML may carry bytes that are not UTF-8: show them replaced rather than fail while reporting.
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

bool is_integral(const json& v) {
  return v.is_number_integer() || (v.is_number_float() && std::isfinite(v.get<double>()) &&
                                   std::floor(v.get<double>()) == v.get<double>() &&
                                   std::fabs(v.get<double>()) < 9.0e15);
}

}  // namespace

class Resolver {
 public:
  explicit Resolver(std::string source) : source_(std::move(source)) {}

  json run(const Spec& spec, const json& value, const std::string& path) {
    switch (spec.type_) {
      case Type::Object: return object(spec, value, path);
      case Type::Map: return map(spec, value, path);
      case Type::Array: return array(spec, value, path);
      default: return scalar(spec, value, path);
    }
  }

 private:
  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    std::string where = path.empty() ? "(top level)" : path;
    throw ConfigError(fmt::format("{}: {}: {}", source_, where, what));
  }
  void expect(bool ok, const Spec& spec, const json& value, const std::string& path) const {
    if (!ok) fail(path, fmt::format("expected {}, got {}", type_word(spec.type_), shown(value)));
  }
  static std::string child(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  json object(const Spec& spec, const json& value, const std::string& path) {
    json in = value.is_null() ? json::object() : value;
    expect(in.is_object(), spec, value, path);
    std::vector<std::string> known;
    for (const auto& [key, _] : spec.properties_) known.push_back(key);
    for (const auto& [key, _] : in.items()) {
      if (std::find(known.begin(), known.end(), key) == known.end())
        fail(child(path, key), fmt::format("unknown key (allowed here: {})", join(known, ", ")));
    }
    json out = json::object();
    for (const auto& [key, sub] : spec.properties_) {
      if (in.contains(key)) {
        out[key] = run(sub, in[key], child(path, key));
      } else if (sub.default_) {
        out[key] = run(sub, *sub.default_, child(path, key));
      } else if (sub.type_ == Type::Object || sub.type_ == Type::Map) {
        out[key] = run(sub, json::object(), child(path, key));
      } else if (sub.required_) {
        fail(child(path, key), fmt::format("missing required key ({})", sub.description_));
      }
    }
    return out;
  }

  json map(const Spec& spec, const json& value, const std::string& path) {
    json in = value.is_null() ? json::object() : value;
    expect(in.is_object(), spec, value, path);
    json out = json::object();
    for (const auto& [key, v] : in.items()) out[key] = run(*spec.items_, v, child(path, key));
    return out;
  }

  json array(const Spec& spec, const json& value, const std::string& path) {
    expect(value.is_array(), spec, value, path);
    json out = json::array();
    for (size_t i = 0; i < value.size(); ++i) out.push_back(run(*spec.items_, value[i], fmt::format("{}[{}]", path, i)));
    return out;
  }

  json scalar(const Spec& spec, const json& value, const std::string& path) {
    json out = value;
    switch (spec.type_) {
      case Type::Number: expect(value.is_number(), spec, value, path); break;
      case Type::Integer:
        expect(value.is_number() && is_integral(value), spec, value, path);
        out = static_cast<int64_t>(value.get<double>());
        if (value.is_number_integer()) out = value;
        break;
      case Type::String: expect(value.is_string(), spec, value, path); break;
      case Type::Boolean: expect(value.is_boolean(), spec, value, path); break;
      default: break;
    }
    if (out.is_number()) {
      double v = out.get<double>();
      if (!std::isfinite(v)) fail(path, fmt::format("expected a finite number, got {}", shown(value)));
      if (spec.minimum_ && spec.exclusive_minimum_ && v <= *spec.minimum_)
        fail(path, fmt::format("must be > {}, got {}", *spec.minimum_, shown(value)));
      if (spec.minimum_ && v < *spec.minimum_) fail(path, fmt::format("must be ≥ {}, got {}", *spec.minimum_, shown(value)));
      if (spec.maximum_ && v > *spec.maximum_) fail(path, fmt::format("must be ≤ {}, got {}", *spec.maximum_, shown(value)));
    }
    if (!spec.enum_.empty() && std::find(spec.enum_.begin(), spec.enum_.end(), out.get<std::string>()) == spec.enum_.end())
      fail(path, fmt::format("expected one of {}; got {}", join(spec.enum_, ", "), shown(value)));
    return out;
  }

  std::string source_;
};

json resolve(const Spec& spec, const json& value, const std::string& source) {
  return Resolver(source).run(spec, value, "");
}

class SchemaWriter {
 public:
  static json run(const Spec& spec) {
    json s = json::object();
    if (!spec.description_.empty()) s["description"] = spec.description_;
    switch (spec.type_) {
      case Type::Object: {
        s["type"] = "object";
        s["properties"] = json::object();
        json required = json::array();
        for (const auto& [key, sub] : spec.properties_) {
          s["properties"][key] = run(sub);
          if (sub.required_) required.push_back(key);
        }
        if (!required.empty()) s["required"] = required;
        s["additionalProperties"] = false;
        // Objects without a default are filled from their members' defaults.
        if (!spec.default_ && !spec.required_) s["default"] = json::object();
        break;
      }
      case Type::Map:
        s["type"] = "object";
        s["additionalProperties"] = run(*spec.items_);
        if (!spec.default_ && !spec.required_) s["default"] = json::object();
        break;
      case Type::Array:
        s["type"] = "array";
        s["items"] = run(*spec.items_);
        break;
      case Type::Number: s["type"] = "number"; break;
      case Type::Integer: s["type"] = "integer"; break;
      case Type::String: s["type"] = "string"; break;
      case Type::Boolean: s["type"] = "boolean"; break;
      case Type::Any: break;
    }
    if (spec.default_) s["default"] = *spec.default_;
    if (spec.minimum_) s[spec.exclusive_minimum_ ? "exclusiveMinimum" : "minimum"] = *spec.minimum_;
    if (spec.maximum_) s["maximum"] = *spec.maximum_;
    if (!spec.enum_.empty()) s["enum"] = spec.enum_;
    return s;
  }
};

json to_json_schema(const Spec& spec, const std::string& title) {
  json s = SchemaWriter::run(spec);
  json out = {{"$schema", "https://json-schema.org/draft/2020-12/schema"}, {"title", title}};
  out.update(s);
  out.erase("default");
  return out;
}

namespace {

// A value YAML parses but a config cannot hold, at a place in the text.
struct BadValue {
  YAML::Mark mark;
  std::string what;
};

// Bounds on what a config may grow to. A small file can name a node many times through aliases
// ("&a [*b, *b, ...]"), so the values are counted as they are expanded, not as they are written.
constexpr size_t kMaxConfigBytes = 1u << 20;
constexpr size_t kMaxValues = 100000;
constexpr int kMaxDepth = 64;
constexpr size_t kMaxScalarBytes = 65536;

struct Budget {
  size_t values = 0;
  void take(const YAML::Node& node, int depth) {
    if (++values > kMaxValues)
      throw BadValue{node.Mark(), fmt::format("the config expands to more than {} values (aliases of aliases?); "
                                              "a config is far smaller", kMaxValues)};
    if (depth > kMaxDepth) throw BadValue{node.Mark(), fmt::format("nested more than {} levels deep", kMaxDepth)};
  }
};

double to_double(const YAML::Node& node) {
  try {
    return std::stod(node.Scalar());
  } catch (const std::out_of_range&) {
    const std::string& v = node.Scalar();
    throw BadValue{node.Mark(), fmt::format("{}{} is out of the range of a double", v.substr(0, 40), v.size() > 40 ? "..." : "")};
  }
}

bool valid_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    i += n;
  }
  return true;
}

// YAML 1.2 core schema for plain scalars.
// YAML 1.2 core-schema scalars, by plain scanning (libstdc++'s std::regex recurses once per character,
// so a long scalar could overflow the stack).
bool one_of_words(const std::string& s, std::initializer_list<const char*> words) {
  for (const char* w : words)
    if (s == w) return true;
  return false;
}

size_t skip_digits(const std::string& s, size_t i) {
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  return i;
}

size_t skip_sign(const std::string& s, size_t i) { return i < s.size() && (s[i] == '-' || s[i] == '+') ? i + 1 : i; }

bool is_yaml_int(const std::string& s) {  // [-+]?[0-9]+
  const size_t start = skip_sign(s, 0), end = skip_digits(s, start);
  return end > start && end == s.size();
}

bool is_yaml_float(const std::string& s) {  // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
  size_t i = skip_sign(s, 0);
  if (i < s.size() && s[i] == '.') {
    const size_t end = skip_digits(s, i + 1);
    if (end == i + 1) return false;
    i = end;
  } else {
    const size_t end = skip_digits(s, i);
    if (end == i) return false;
    i = end;
    if (i < s.size() && s[i] == '.') i = skip_digits(s, i + 1);
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    const size_t start = skip_sign(s, i + 1), end = skip_digits(s, start);
    if (end == start) return false;
    i = end;
  }
  return i == s.size();
}

json scalar_to_json(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (s.size() > kMaxScalarBytes)
    throw BadValue{node.Mark(), fmt::format("a value of {} bytes; at most {} are allowed", s.size(), kMaxScalarBytes)};
  if (!valid_utf8(s)) throw BadValue{node.Mark(), "the value is not valid UTF-8"};
  if (node.Tag() == "!") return s;  // quoted
  if (one_of_words(s, {"~", "null", "Null", "NULL", ""})) return nullptr;
  if (one_of_words(s, {"true", "True", "TRUE"})) return true;
  if (one_of_words(s, {"false", "False", "FALSE"})) return false;
  if (is_yaml_int(s)) {
    try {
      return std::stoll(s);
    } catch (const std::out_of_range&) {
      return to_double(node);
    }
  }
  if (is_yaml_float(s)) return to_double(node);
  if (one_of_words(s, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN",
                       ".NAN"}))
    return node.as<double>();
  return s;
}

json yaml_to_json(const YAML::Node& node, Budget& budget, int depth) {
  budget.take(node, depth);
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return nullptr;
    case YAML::NodeType::Scalar: return scalar_to_json(node);
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) out.push_back(yaml_to_json(item, budget, depth + 1));
      return out;
    }
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) throw BadValue{kv.first.Mark(), "a key is not a plain name"};
        const std::string key = kv.first.as<std::string>();
        if (key.size() > 256) throw BadValue{kv.first.Mark(), fmt::format("a key of {} bytes; at most 256", key.size())};
        if (!valid_utf8(key)) throw BadValue{kv.first.Mark(), "a key is not valid UTF-8"};
        if (out.contains(key)) throw BadValue{kv.first.Mark(), fmt::format("key '{}' is given twice", key)};
        out[key] = yaml_to_json(kv.second, budget, depth + 1);
      }
      return out;
    }
  }
  return nullptr;
}

}  // namespace

json parse_yaml(const std::string& text, const std::string& source) {
  if (text.size() > kMaxConfigBytes)
    throw ConfigError(fmt::format("{}: {} bytes; a config is at most {} bytes", source, text.size(), kMaxConfigBytes));
  try {
    Budget budget;
    return yaml_to_json(YAML::Load(text), budget, 0);
  } catch (const YAML::DeepRecursion& e) {
    throw ConfigError(fmt::format("{}: line {}, column {}: nested more than {} levels deep", source,
                                  e.mark.line + 1, e.mark.column + 1, kMaxDepth));
  } catch (const YAML::Exception& e) {
    throw ConfigError(fmt::format("{}: line {}, column {}: {}", source, e.mark.line + 1, e.mark.column + 1, e.msg));
  } catch (const BadValue& e) {
    throw ConfigError(fmt::format("{}: line {}, column {}: {}", source, e.mark.line + 1, e.mark.column + 1, e.what));
  }
}

json load_yaml_file(const std::string& path) { return parse_yaml(read_file(path, kMaxConfigBytes), path); }

nlohmann::json load_config(const Spec& spec, const std::string& path, const std::vector<std::string>& sets) {
  nlohmann::json raw = path.empty() ? nlohmann::json::object() : load_yaml_file(path);
  std::string source = path.empty() ? "(defaults)" : path;
  for (const std::string& set : sets) {
    const auto eq = set.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError(fmt::format("--set '{}': expected KEY=VALUE", set));
    const std::string key = set.substr(0, eq);
    nlohmann::json value = parse_yaml(set.substr(eq + 1), "--set " + key);
    nlohmann::json* node = &raw;
    size_t start = 0;
    for (size_t dot = key.find('.');; dot = key.find('.', start)) {
      const std::string part = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (node->is_null()) *node = nlohmann::json::object();
      if (!node->is_object()) throw ConfigError(fmt::format("--set {}: '{}' is not a section", key, part));
      node = &(*node)[part];
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    *node = value;
    source = path.empty() ? "--set" : path + " with --set";
  }
  return resolve(spec, raw, source);
}

}  // namespace axnn::config
