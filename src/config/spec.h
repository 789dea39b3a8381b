// The config model: one declaration per step config, from which axnn both validates configs
// (defaults filled, unknown keys and wrong types rejected with the key's full path) and generates
// the JSON Schema the workflow validates with. One source, so the two cannot drift apart.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace axnn::config {

enum class Type { Object, Map, Array, Number, Integer, String, Boolean, Any };

// A node of a config spec. Build with the helpers below, e.g.
//   object("trainer settings", {{"lr", number("learning rate").def(0.1).min(0)}})
class Spec {
 public:
  Spec(Type type, std::string description) : type_(type), description_(std::move(description)) {}

  // Fluent setters.
  Spec& def(nlohmann::json value) { default_ = std::move(value); return *this; }
  Spec& min(double v) { minimum_ = v; return *this; }
  // The minimum itself is not allowed (a fraction in (0, 1]).
  Spec& above(double v) { minimum_ = v; exclusive_minimum_ = true; return *this; }
  Spec& max(double v) { maximum_ = v; return *this; }
  Spec& one_of(std::vector<std::string> values) { enum_ = std::move(values); return *this; }
  Spec& required() { required_ = true; return *this; }

  Type type() const { return type_; }
  const std::string& description() const { return description_; }
  const std::optional<nlohmann::json>& default_value() const { return default_; }
  bool is_required() const { return required_; }
  const std::vector<std::pair<std::string, Spec>>& properties() const { return properties_; }
  const Spec* items() const { return items_.get(); }

  friend Spec object(std::string description, std::vector<std::pair<std::string, Spec>> properties);
  friend Spec map_of(std::string description, Spec values);
  friend Spec array_of(std::string description, Spec items);
  friend nlohmann::json resolve(const Spec&, const nlohmann::json&, const std::string&);
  friend nlohmann::json to_json_schema(const Spec&, const std::string&);
  friend class Resolver;
  friend class SchemaWriter;

 private:
  Type type_;
  std::string description_;
  std::optional<nlohmann::json> default_;
  std::optional<double> minimum_;
  bool exclusive_minimum_ = false;
  std::optional<double> maximum_;
  std::vector<std::string> enum_;
  bool required_ = false;
  std::vector<std::pair<std::string, Spec>> properties_;  // Object: in declaration order
  std::shared_ptr<Spec> items_;                            // Array items / Map values
};

Spec object(std::string description, std::vector<std::pair<std::string, Spec>> properties);
Spec map_of(std::string description, Spec values);  // free keys, each value checked against `values`
Spec array_of(std::string description, Spec items);
Spec number(std::string description);
Spec integer(std::string description);
Spec string(std::string description);
Spec boolean(std::string description);
// Any value, checked elsewhere (e.g. a step's settings, checked against its kind's own spec).
Spec any_value(std::string description);

// Checks `value` against `spec` and returns it with every default filled in. Throws ConfigError
// "<source>: <key path>: <what is wrong>", e.g. "run.yaml: steps[2].trainer.lr: expected a number, got \"fast\"".
nlohmann::json resolve(const Spec& spec, const nlohmann::json& value, const std::string& source);

// The JSON Schema (draft 2020-12) of `spec`: descriptions, defaults, bounds, enums, no extra keys.
nlohmann::json to_json_schema(const Spec& spec, const std::string& title);

// Reads a YAML file into JSON (plain scalars typed as YAML 1.2 core: null, bool, int, float, else
// string; quoted scalars stay strings). Throws InputError naming the file and line on a parse error.
nlohmann::json load_yaml_file(const std::string& path);
nlohmann::json parse_yaml(const std::string& text, const std::string& source);

// A program's config: the YAML file `path` (none when empty), then every "dotted.key=YAML value" of
// `sets` applied over it, resolved against `spec`. Errors name the file or the --set key.
nlohmann::json load_config(const Spec& spec, const std::string& path, const std::vector<std::string>& sets);

}  // namespace axnn::config
