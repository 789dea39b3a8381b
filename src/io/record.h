// An artifact kind's fields bound to the members of its C++ record, once: each binding holds the
// field's declaration (path, type, shape, range, meaning; io/fields.h) and how to write and read the
// member, so the declaration, the writer and the reader name a path in one place. Per-layer groups
// ("layers/<name>/...", in the order of a JSON list of names) are records of their own (each()).
//
//   static const Record<Sensitivity> r = Record<Sensitivity>()
//       .attr(&Sensitivity::samples, attr("samples", FieldType::Int, "training images").min(1))
//       .each("layers", "layer_names", "the layers, in order", &Sensitivity::layers, &LayerSensitivity::name,
//             Record<LayerSensitivity>().attr(&LayerSensitivity::sigma, attr("sigma", FieldType::Float, "...")));
//   KindFields{kind, version, r.fields()};  r.write(root, s);  r.read(root, s);
#pragma once

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"
#include "io/artifact.h"
#include "io/fields.h"
#include "io/h5.h"

namespace axnn {

namespace record_detail {

template <class M> struct is_optional : std::false_type {};
template <class M> struct is_optional<std::optional<M>> : std::true_type {};

// An attribute's value: strings and numbers natively (bool as an integer 0/1), anything else as JSON
// text (declare those FieldType::Json; the commit-time check holds the two to each other).
template <class M>
constexpr bool kNative = std::is_arithmetic_v<M> || std::is_same_v<M, std::string>;

template <class M>
void put(H5::Group& g, const Field& f, const M& v) {
  if constexpr (is_optional<M>::value) {
    if (v) put(g, f, *v);
  } else if constexpr (!kNative<M>) {
    h5::write_json_attr(g, f.path, nlohmann::json(v));
  } else if constexpr (std::is_integral_v<M> && !std::is_same_v<M, bool>) {
    h5::write_attr(g, f.path, static_cast<int64_t>(v));
  } else {
    h5::write_attr(g, f.path, v);
  }
}

template <class M>
void get(const H5::Group& g, const Field& f, M& v) {
  if constexpr (is_optional<M>::value) {
    v.reset();
    if (h5::has_attr(g, f.path)) get(g, f, v.emplace());
  } else if constexpr (!kNative<M>) {
    try {
      v = h5::read_json_attr(g, f.path).template get<M>();
    } catch (const nlohmann::json::exception& e) {  // e.g. class names that are numbers
      throw InputError(fmt::format("attribute '{}' holds JSON of another shape than declared ({})", f.path, e.what()));
    }
  } else if constexpr (std::is_same_v<M, bool>) {
    v = h5::read_int_attr(g, f.path) != 0;
  } else if constexpr (std::is_integral_v<M>) {
    v = static_cast<M>(h5::read_int_attr(g, f.path));
  } else if constexpr (std::is_floating_point_v<M>) {
    v = static_cast<M>(h5::read_double_attr(g, f.path));
  } else {
    v = h5::read_string_attr(g, f.path);
  }
}

}  // namespace record_detail

template <class T>
class Record {
 public:
  using ShapeOf = std::function<h5::Shape(const T&)>;

  using When = std::function<bool(const T&)>;

  // An attribute bound to a member. With `when`, it is written only when when(record) holds (declare
  // it optional; a reader leaves the member as it is when the attribute is absent).
  template <class M>
  Record& attr(M T::*member, FieldBuilder decl, When when = {}) {
    return attr_at([member](auto& v) -> auto& { return v.*member; }, std::move(decl), std::move(when));
  }

  // An attribute bound to what `at` returns (a nested member: [](auto& v) -> auto& { return v.a.b; }).
  template <class At>
  Record& attr_at(At at, FieldBuilder decl, When when = {}) {
    Field f = decl;
    bindings_.push_back({f,
                         [f, at, when](H5::Group& g, const T& v) {
                           if (!when || when(v)) record_detail::put(g, f, at(v));
                         },
                         [f, at](const H5::Group& g, T& v) {
                           if (f.optional && !h5::has_attr(g, f.path)) return;
                           record_detail::get(g, f, at(v));
                         }});
    return *this;
  }

  // An attribute the writer computes from the record (e.g. a derived quantity); readers ignore it.
  template <class Compute>
  Record& computed(FieldBuilder decl, Compute compute) {
    Field f = decl;
    bindings_.push_back({f, [f, compute](H5::Group& g, const T& v) { record_detail::put(g, f, compute(v)); },
                         [](const H5::Group&, T&) {}});
    return *this;
  }

  // A reader that takes (part of) the record from the stored shape (e.g. a split's N, C, H, W).
  using ShapeInto = std::function<void(T&, const h5::Shape&)>;

  // A dataset bound to a contiguous container member (std::vector or std::array), of shape
  // shape_of(record) (default: one dimension, its size). An optional one is written when not empty.
  template <class C>
  Record& data(C T::*member, FieldBuilder decl, ShapeOf shape_of = {}, ShapeInto shape_into = {}) {
    return data_at([member](auto& v) -> auto& { return v.*member; }, std::move(decl), std::move(shape_of),
                   std::move(shape_into));
  }

  template <class At>
  Record& data_at(At at, FieldBuilder decl, ShapeOf shape_of = {}, ShapeInto shape_into = {}) {
    Field f = decl;
    f.dataset = true;
    auto write = [f, at, shape_of](H5::Group& g, const T& v) {
      const auto& c = at(v);
      if (f.optional && c.size() == 0) return;
      const h5::Shape shape = shape_of ? shape_of(v) : h5::Shape{static_cast<hsize_t>(c.size())};
      hsize_t n = 1;
      for (hsize_t d : shape) n *= d;
      if (n != c.size())  // the record contradicts itself: a bug in its writer
        throw Error(fmt::format("dataset '{}': {} values for shape ({})", f.path, c.size(), fmt::join(shape, ", ")));
      h5::write_dataset(g, f.path, c.data(), shape);
    };
    auto read = [f, at, shape_of, shape_into](const H5::Group& g, T& v) {
      auto& c = at(v);
      using E = std::remove_cv_t<std::remove_reference_t<decltype(*c.data())>>;
      if (f.optional && !h5::exists(g, f.path)) return;
      h5::Shape stored;
      const std::vector<E> values = h5::read_dataset<E>(g, f.path, &stored);
      if constexpr (std::is_same_v<std::remove_reference_t<decltype(c)>, std::vector<E>>) {
        c = values;
      } else {
        if (values.size() != c.size())
          throw InputError(fmt::format("dataset '{}' holds {} values, expected {}", f.path, values.size(), c.size()));
        std::copy(values.begin(), values.end(), c.begin());
      }
      if (shape_into) shape_into(v, stored);
      // The shape the record implies (from the attributes read before, and the data itself).
      if (shape_of && shape_of(v) != stored)
        throw InputError(fmt::format("dataset '{}' has shape ({}), expected ({})", f.path, fmt::join(stored, ", "),
                                     fmt::join(shape_of(v), ", ")));
    };
    bindings_.push_back({f, write, read});
    return *this;
  }

  // A member that is a record of its own, in the group `name`.
  template <class At, class S>
  Record& group(const std::string& name, At at, const Record<S>& inner) {
    for (Field f : inner.fields()) {
      f.path = name + "/" + f.path;
      nested_.push_back(f);
    }
    bindings_.push_back({Field{},
                         [=](H5::Group& g, const T& v) {
                           H5::Group sub = h5::ensure_group(g, name);
                           inner.write(sub, at(v));
                         },
                         [=](const H5::Group& g, T& v) {
                           try {
                             inner.read(h5::open_group(g, name), at(v));
                           } catch (const UserError& e) {  // names the group: "train: ..."
                             throw InputError(fmt::format("{}: {}", name, e.what()));
                           }
                         }});
    return *this;
  }

  // Per-item groups: item i of `items` lives in group/<name_i>/ as `inner` declares it, and the
  // names, in order, in the JSON attribute `names_attr` beside the group.
  template <class L>
  Record& each(const std::string& group, const std::string& names_attr, const std::string& names_meaning,
               std::vector<L> T::*items, std::string L::*name, const Record<L>& inner) {
    const Field names = ::axnn::attr(names_attr, FieldType::Json, names_meaning).json("array");
    for (Field f : inner.fields()) {
      f.path = group + "/*/" + f.path;
      nested_.push_back(f);
    }
    nested_.push_back(names);
    bindings_.push_back(
        {Field{},
         [=](H5::Group& g, const T& v) {
           nlohmann::json list = nlohmann::json::array();
           for (const L& item : v.*items) {
             list.push_back(item.*name);
             H5::Group sub = h5::ensure_group(g, group + "/" + item.*name);
             inner.write(sub, item);
           }
           h5::write_json_attr(g, names_attr, list);
         },
         [=](const H5::Group& g, T& v) {
           (v.*items).clear();
           for (const auto& n : h5::read_json_attr(g, names_attr)) {
             if (!n.is_string())
               throw InputError(fmt::format("attribute '{}' holds {}, expected names (strings)", names_attr, n.dump()));
             L item;
             item.*name = n.template get<std::string>();
             const std::string where = group + "/" + item.*name;
             try {
               inner.read(h5::open_group(g, where), item);
             } catch (const UserError& e) {  // names the item: "layers/conv1/rows: ..."
               throw InputError(fmt::format("{}: {}", where, e.what()));
             }
             (v.*items).push_back(std::move(item));
           }
         }});
    return *this;
  }

  // An attribute of every item of an each() group, computed from the record and the item (what an
  // item means in the record's context, e.g. its power relative to the exact one); written only, like
  // computed(), after the items' groups. `decl` names the leaf; it is declared as group/*/leaf. A
  // computed std::nullopt writes nothing (declare it optional).
  template <class L, class Compute>
  Record& computed_each(const std::string& group, std::vector<L> T::*items, std::string L::*name, FieldBuilder decl,
                        Compute compute) {
    Field leaf = decl, f = decl;
    f.path = group + "/*/" + leaf.path;
    bindings_.push_back({f,
                         [=](H5::Group& g, const T& v) {
                           for (const L& item : v.*items) {
                             H5::Group sub = h5::open_group(g, group + "/" + item.*name);
                             record_detail::put(sub, leaf, compute(v, item));
                           }
                         },
                         [](const H5::Group&, T&) {}});
    return *this;
  }

  // A field whose layout no binding above expresses (e.g. a matrix gathered from every item's vector):
  // its declaration and its own writer and reader, which take the path from the declaration.
  Record& custom(FieldBuilder decl, std::function<void(H5::Group&, const T&, const Field&)> write,
                 std::function<void(const H5::Group&, T&, const Field&)> read) {
    Field f = decl;
    bindings_.push_back({f, [f, write](H5::Group& g, const T& v) { write(g, v, f); },
                         [f, read](const H5::Group& g, T& v) { read(g, v, f); }});
    return *this;
  }

  // A consistency check run after reading (a throw becomes the reader's InputError).
  Record& check(std::function<void(const T&)> c) {
    checks_.push_back(std::move(c));
    return *this;
  }

  // The declarations, in binding order (each()'s nested fields after the others).
  std::vector<Field> fields() const {
    std::vector<Field> out;
    for (const auto& b : bindings_)
      if (!b.field.path.empty()) out.push_back(b.field);
    out.insert(out.end(), nested_.begin(), nested_.end());
    return out;
  }

  void write(H5::Group& g, const T& v) const {
    for (const auto& b : bindings_) b.write(g, v);
  }

  void read(const H5::Group& g, T& v) const {
    for (const auto& b : bindings_) b.read(g, v);
    for (const auto& c : checks_) c(v);
  }

 private:
  struct Binding {
    Field field;  // empty path: a group (group(), each())
    std::function<void(H5::Group&, const T&)> write;
    std::function<void(const H5::Group&, T&)> read;
  };
  std::vector<Binding> bindings_;
  std::vector<Field> nested_;
  std::vector<std::function<void(const T&)>> checks_;
};

// An artifact of `kind` holding `value`, written atomically through `record` (checked on commit).
template <class T>
void write_record(const std::string& path, const KindFields& kind, const Record<T>& record, const T& value,
                  const Provenance& provenance) {
  ArtifactWriter w(path, kind, provenance);
  H5::Group root = w.root();
  record.write(root, value);
  w.commit();
}

// The value an artifact of `kind` holds, read through `record` after the file was checked against the
// declaration; errors name the file.
template <class T>
T read_record(const std::string& path, const KindFields& kind, const Record<T>& record) {
  Artifact a = Artifact::open(path, kind);
  H5::Group root = a.root();
  T value;
  a.read([&] { record.read(root, value); });
  return value;
}

}  // namespace axnn
