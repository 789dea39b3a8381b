// Declared artifact fields: the writer is held to them, and a reader's checks name the file and field.
#include "io/fields.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>

#include "core/error.h"
#include "io/artifact.h"
#include "io/h5.h"
#include "../test_util.h"

namespace axnn {
namespace {

const KindFields& toy_fields() {
  static const KindFields k{"toy", 1,
                            {attr("name", FieldType::String, "a name"),
                             attr("count", FieldType::Int, "a count").min(1),
                             attr("items/*/weight", FieldType::Float, "a weight").min(0),
                             attr("meta", FieldType::Json, "a mapping").json("object"),
                             dataset("items/*/table", FieldType::Int32, {2, 3}, "a table").min(-5).max(5),
                             dataset("extra", FieldType::Float32, {-1}, "optional values").unit("mW").optional()}};
  return k;
}

Provenance provenance() { return {"test", "test", nlohmann::json::object(), {}, 0, 1}; }

// A toy artifact; `edit` may break it before commit (the writer then refuses).
void write_toy(const std::string& path, const std::function<void(H5::Group&)>& edit = {}) {
  ArtifactWriter w(path, toy_fields(), provenance());
  H5::Group root = w.root();
  h5::write_attr(root, "name", "x");
  h5::write_attr(root, "count", int64_t{2});
  h5::write_json_attr(root, "meta", {{"a", 1}});
  for (const char* item : {"a", "b"}) {
    H5::Group g = h5::ensure_group(root, std::string("items/") + item);
    h5::write_attr(g, "weight", 0.5);
    h5::write_dataset(g, "table", std::vector<int32_t>{1, 2, 3, -1, -2, -3}, {2, 3});
  }
  if (edit) edit(root);
  w.commit();
}

std::string error_of(const std::string& path) {
  try {
    Artifact::open(path, toy_fields());
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

// The text stored with a dataset is the declaration's, whatever the writer passed (one spelling).
TEST(Fields, StoredDescriptionsAndUnitsComeFromTheDeclaration) {
  test::TempDir dir;
  write_toy(dir.file("d.h5"), [](H5::Group& root) {
    h5::write_dataset(root, "extra", std::vector<float>{1, 2}, {2}, {"a writer's own words", "W"});
    h5::write_dataset(root, "items/a/table2", std::vector<int32_t>{1}, {1}, {"undeclared", "s"});
  });
  H5::H5File f(dir.file("d.h5"), H5F_ACC_RDONLY);
  EXPECT_EQ(h5::read_string_attr(f.openDataSet("extra"), "description"), "optional values");
  EXPECT_EQ(h5::read_string_attr(f.openDataSet("extra"), "unit"), "mW");
  for (const char* item : {"items/a/table", "items/b/table"}) {
    EXPECT_EQ(h5::read_string_attr(f.openDataSet(item), "description"), "a table") << item;
    EXPECT_FALSE(f.openDataSet(item).attrExists("unit")) << item;
  }
  // Not declared (the check lets extra datasets be): left as written.
  EXPECT_EQ(h5::read_string_attr(f.openDataSet("items/a/table2"), "description"), "undeclared");
}

TEST(Fields, AConformingFileOpens) {
  test::TempDir dir;
  write_toy(dir.file("ok.h5"));
  EXPECT_EQ(error_of(dir.file("ok.h5")), "");
}

TEST(Fields, AWriterThatBreaksItsDeclarationWritesNothing) {
  test::TempDir dir;
  const std::string path = dir.file("bad.h5");
  try {
    write_toy(path, [](H5::Group& root) { root.openGroup("items/b").removeAttr("weight"); });
    FAIL() << "the writer committed a file that breaks its declaration";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing attribute 'items/b/weight'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(dir.entries(), 0u);
}

TEST(Fields, EachBrokenFieldIsNamedWithItsFile) {
  test::TempDir dir;
  struct Case {
    std::function<void(H5::Group&)> edit;
    std::string text;
  };
  const std::vector<Case> cases = {
      {[](H5::Group& r) { r.removeAttr("count"), h5::write_attr(r, "count", 0.5); }, "attribute 'count' is float64, expected integer"},
      {[](H5::Group& r) { r.removeAttr("count"), h5::write_attr(r, "count", int64_t{0}); }, "attribute 'count' is 0, outside [1,"},
      {[](H5::Group& r) { r.removeAttr("meta"), h5::write_attr(r, "meta", "{not json"); }, "attribute 'meta' is not valid JSON"},
      {[](H5::Group& r) { r.removeAttr("meta"), h5::write_json_attr(r, "meta", {1, 2}); }, "attribute 'meta' must hold a JSON object"},
      {[](H5::Group& r) {
         H5::Group g = r.openGroup("items/a");
         g.removeAttr("weight"), h5::write_attr(g, "weight", std::nan(""));
       },
       "attribute 'items/a/weight' is nan, expected a finite number"},
      {[](H5::Group& r) {
         r.unlink("items/b/table");
         h5::write_dataset(r, "items/b/table", std::vector<int64_t>(6, 1), {2, 3});
       },
       "dataset 'items/b/table' is int64, expected int32"},
      {[](H5::Group& r) {
         r.unlink("items/b/table");
         h5::write_dataset(r, "items/b/table", std::vector<int32_t>(6, 1), {3, 2});
       },
       "dataset 'items/b/table' has shape (3, 2), expected (2, 3)"},
      {[](H5::Group& r) {
         r.unlink("items/a/table");
         h5::write_dataset(r, "items/a/table", std::vector<int32_t>{0, 0, 0, 0, 9, 0}, {2, 3});
       },
       "dataset 'items/a/table' holds 9 at flat index 4, outside [-5, 5]"},
      {[](H5::Group& r) { h5::write_dataset(r, "extra", std::vector<float>{1.f, INFINITY}, {2}); },
       "dataset 'extra' holds inf at flat index 1"},
  };
  for (const auto& c : cases) {
    const std::string path = dir.file("case.h5");
    write_toy(path);
    {
      H5::H5File f(path, H5F_ACC_RDWR);
      H5::Group root = f.openGroup("/");
      c.edit(root);
    }
    const std::string msg = error_of(path);
    EXPECT_EQ(msg.rfind(path + ": ", 0), 0u) << msg;
    EXPECT_NE(msg.find(c.text), std::string::npos) << msg;
    std::filesystem::remove(path);
  }
}

TEST(Fields, TableListsEveryFieldWithTheCommonOnes) {
  const auto t = fields_table(toy_fields());
  EXPECT_EQ(t["rows"].size(), common_fields().size() + toy_fields().fields.size());
  EXPECT_EQ(t["rows"][0][0], "axnn_kind");
}

}  // namespace
}  // namespace axnn
