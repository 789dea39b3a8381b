// A named choice (an architecture, a layer mode, an estimator, a criterion...): its names, the value
// each stands for and what it means, in one list. The parser, the config schema's enum, the error
// message, --help and the docs all take the names from it, so adding a choice is one line.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "config/spec.h"
#include "core/error.h"

namespace axnn::config {

template <class T>
class Choice {
 public:
  struct Option {
    std::string name;
    T value;
    std::string meaning;
  };

  // `what`: the choice's name in messages ("layer mode", "architecture").
  Choice(std::string what, std::vector<Option> options) : what_(std::move(what)), options_(std::move(options)) {}

  const std::string& what() const { return what_; }
  const std::vector<Option>& options() const { return options_; }

  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& o : options_) out.push_back(o.name);
    return out;
  }

  // "a, b or c" for messages and help texts.
  std::string listed() const {
    std::string out;
    for (size_t i = 0; i < options_.size(); ++i)
      out += (i == 0 ? "" : i + 1 == options_.size() ? " or " : ", ") + options_[i].name;
    return out;
  }

  // "a: meaning; b: meaning" for a schema description.
  std::string explained() const {
    std::string out;
    for (const auto& o : options_) out += (out.empty() ? "" : "; ") + o.name + ": " + o.meaning;
    return out;
  }

  // The value named `name`; an unknown name throws E ("<where>: unknown <what> 'x' (expected a, b or c)").
  template <class E = ConfigError>
  const T& parse(const std::string& name, const std::string& where = "") const {
    if (const Option* o = find(name)) return o->value;
    throw E(fmt::format("{}unknown {} '{}' (expected {})", where.empty() ? "" : where + ": ", what_, name, listed()));
  }

  const std::string& name_of(const T& value) const {
    for (const auto& o : options_)
      if (o.value == value) return o.name;
    throw std::logic_error("Choice::name_of: a value without a name in " + what_);
  }

  // A string setting restricted to these names (the schema's enum).
  Spec spec(const std::string& description) const { return string(description).one_of(names()); }

 private:
  std::string what_;
  std::vector<Option> options_;

  const Option* find(const std::string& name) const {
    for (const auto& o : options_)
      if (o.name == name) return &o;
    return nullptr;
  }
};

}  // namespace axnn::config
