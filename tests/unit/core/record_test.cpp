// Field bindings (io/record.h): one declaration per field drives the kind's KindFields, the writer and
// the reader. A toy kind with every binding form round-trips, and the reader names what is wrong.
#include "io/record.h"

#include <gtest/gtest.h>

#include <array>
#include <filesystem>

#include "io/artifact.h"
#include "../test_util.h"

namespace axnn {
namespace {

struct Item {
  std::string name;
  int64_t count = 0;
  std::vector<int8_t> rows;  // [count, 3]
  std::optional<double> weight;
  std::string weight_unit;
};

struct Toy {
  std::string title;
  bool flag = false;
  nlohmann::json meta = nlohmann::json::object();
  std::array<int64_t, 4> hist{};
  std::vector<Item> items;
};

const Record<Toy>& toy_record() {
  static const Record<Toy> r =
      Record<Toy>()
          .attr(&Toy::title, attr("title", FieldType::String, "a title"))
          .attr(&Toy::flag, attr("flag", FieldType::Int, "0 or 1").min(0).max(1))
          .attr(&Toy::meta, attr("meta", FieldType::Json, "a mapping").json("object"))
          .computed(attr("items_total", FieldType::Int, "sum of the counts"),
                    [](const Toy& t) {
                      int64_t n = 0;
                      for (const auto& i : t.items) n += i.count;
                      return n;
                    })
          .data(&Toy::hist, dataset("hist", FieldType::Int64, {4}, "a histogram").min(0))
          .each("items", "item_names", "the items, in order", &Toy::items, &Item::name,
                Record<Item>()
                    .attr(&Item::count, attr("count", FieldType::Int, "rows").min(0))
                    .data(&Item::rows, dataset("rows", FieldType::Int8, {-1, 3}, "rows of three"),
                          [](const Item& i) { return h5::Shape{static_cast<hsize_t>(i.count), 3}; })
                    .attr(&Item::weight, attr("weight", FieldType::Float, "a weight").optional())
                    .attr(&Item::weight_unit, attr("weight_unit", FieldType::String, "its unit").optional(),
                          [](const Item& i) { return i.weight.has_value(); }));
  return r;
}

const KindFields& toy_fields() {
  static const KindFields k{"toy_record", 1, toy_record().fields()};
  return k;
}

Toy sample() {
  Toy t{"hello", true, {{"a", 1}}, {1, 2, 3, 4}, {}};
  t.items.push_back({"b", 2, {1, 2, 3, -4, -5, -128}, 0.5, "mW"});
  t.items.push_back({"a", 1, {127, 0, 7}, std::nullopt, ""});
  return t;
}

void write_toy(const std::string& path, const Toy& t) {
  ArtifactWriter w(path, toy_fields(), Provenance{});
  H5::Group root = w.root();
  toy_record().write(root, t);
  w.commit();
}

Toy read_toy(const std::string& path) {
  Artifact a = Artifact::open(path, toy_fields());
  H5::Group root = a.root();
  Toy t;
  a.read([&] { toy_record().read(root, t); });
  return t;
}

TEST(Record, DeclaresEveryFieldOnceWithItemPaths) {
  std::vector<std::string> paths;
  for (const Field& f : toy_fields().fields) paths.push_back(f.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"title", "flag", "meta", "items_total", "hist", "items/*/count",
                                             "items/*/rows", "items/*/weight", "items/*/weight_unit", "item_names"}));
}

TEST(Record, RoundTripsEveryBindingForm) {
  test::TempDir dir;
  write_toy(dir.file("t.h5"), sample());
  const Toy t = read_toy(dir.file("t.h5"));
  EXPECT_EQ(t.title, "hello");
  EXPECT_TRUE(t.flag);
  EXPECT_EQ(t.meta, nlohmann::json({{"a", 1}}));
  EXPECT_EQ(t.hist, (std::array<int64_t, 4>{1, 2, 3, 4}));
  ASSERT_EQ(t.items.size(), 2u);
  EXPECT_EQ(t.items[0].name, "b");  // the stored order, not the groups' alphabetical one
  EXPECT_EQ(t.items[0].rows, (std::vector<int8_t>{1, 2, 3, -4, -5, -128}));
  EXPECT_EQ(t.items[0].weight, 0.5);
  EXPECT_EQ(t.items[0].weight_unit, "mW");
  EXPECT_EQ(t.items[1].rows, (std::vector<int8_t>{127, 0, 7}));
  EXPECT_FALSE(t.items[1].weight.has_value());
  H5::H5File f(dir.file("t.h5"), H5F_ACC_RDONLY);
  EXPECT_EQ(h5::read_int_attr(f.openGroup("/"), "items_total"), 3);
  EXPECT_FALSE(h5::has_attr(f.openGroup("/items/a"), "weight_unit"));  // written only with a weight
  EXPECT_EQ(h5::read_string_attr(f.openDataSet("items/b/rows"), "description"), "rows of three");
}

TEST(Record, AWriterThatContradictsItselfWritesNothing) {
  test::TempDir dir;
  Toy t = sample();
  t.items[1].count = 2;  // 2 rows of 3 claimed, 1 held
  EXPECT_THROW(write_toy(dir.file("t.h5"), t), Error);
  EXPECT_FALSE(std::filesystem::exists(dir.file("t.h5")));
}

TEST(Record, AShapeTheRecordDoesNotImplyIsNamedWithItsItem) {
  test::TempDir dir;
  write_toy(dir.file("bad.h5"), sample());
  {
    H5::H5File f(dir.file("bad.h5"), H5F_ACC_RDWR);
    H5::Group item = f.openGroup("/items/a");
    h5::write_attr(item, "count", int64_t{2});  // the file now says 2 rows of 3, but holds 1
  }
  try {
    read_toy(dir.file("bad.h5"));
    FAIL() << "read a rows dataset of the wrong shape";
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("bad.h5"), std::string::npos) << m;
    EXPECT_NE(m.find("items/a: dataset 'rows' has shape (1, 3), expected (2, 3)"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace axnn
