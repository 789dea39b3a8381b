#include "config/spec.h"

#include <gtest/gtest.h>

#include <fstream>

#include "config/choice.h"
#include "core/error.h"
#include "models/architectures.h"
#include "method/step_configs.h"
#include "nn/modes.h"
#include "train/trainer_config.h"
#include "../test_util.h"

namespace axnn::config {
namespace {

using nlohmann::json;

Spec trainer_like_spec() {
  return object("an experiment",
                {{"name", string("experiment name").required()},
                 {"seed", integer("random seed").def(0).min(0)},
                 {"steps", array_of("ordered steps",
                                    object("one step", {{"kind", string("step kind").one_of({"baseline", "quant"}).required()},
                                                        {"trainer", object("trainer", {{"lr", number("learning rate").def(0.1).min(0)},
                                                                                      {"epochs", integer("epochs").def(1).min(0)},
                                                                                      {"nesterov", boolean("Nesterov momentum").def(false)}})}}))
                               .def(json::array())},
                 {"sweep", map_of("swept keys", array_of("values", number("a value")))}});
}

std::string config_error(const std::string& yaml) {
  try {
    resolve(trainer_like_spec(), parse_yaml(yaml, "run.yaml"), "run.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(Config, FillsDefaultsAtEveryLevel) {
  json r = resolve(trainer_like_spec(), parse_yaml("name: x\nsteps:\n  - kind: baseline\n  - kind: quant\n    trainer: {lr: 0.01}\n", "t"), "t");
  EXPECT_EQ(r["seed"], 0);
  EXPECT_EQ(r["steps"][0]["trainer"]["lr"], 0.1);
  EXPECT_EQ(r["steps"][0]["trainer"]["epochs"], 1);
  EXPECT_EQ(r["steps"][1]["trainer"]["lr"], 0.01);
  EXPECT_EQ(r["steps"][1]["trainer"]["nesterov"], false);
  EXPECT_TRUE(r["sweep"].is_object());
}

TEST(Config, WrongTypeNamesFullKeyPathAndFile) {
  std::string msg = config_error("name: x\nsteps:\n  - kind: baseline\n  - kind: quant\n  - kind: quant\n    trainer:\n      lr: fast\n");
  EXPECT_EQ(msg, "run.yaml: steps[2].trainer.lr: expected a number, got \"fast\"");
}

TEST(Config, UnknownKeyIsRejectedWithAllowedKeys) {
  std::string msg = config_error("name: x\nsteps:\n  - kind: quant\n    trainer: {lrr: 0.1}\n");
  EXPECT_NE(msg.find("run.yaml: steps[0].trainer.lrr: unknown key"), std::string::npos) << msg;
  EXPECT_NE(msg.find("lr, epochs, nesterov"), std::string::npos) << msg;
  EXPECT_NE(config_error("name: x\ntypo: 1\n").find("run.yaml: typo: unknown key"), std::string::npos);
}

TEST(Config, MissingRequiredEnumBoundsAndIntegers) {
  EXPECT_NE(config_error("seed: 1\n").find("run.yaml: name: missing required key"), std::string::npos);
  EXPECT_NE(config_error("name: x\nsteps: [{kind: noise}]\n").find("steps[0].kind: expected one of baseline, quant; got \"noise\""),
            std::string::npos);
  EXPECT_NE(config_error("name: x\nseed: -1\n").find("seed: must be ≥ 0"), std::string::npos);
  EXPECT_NE(config_error("name: x\nseed: 1.5\n").find("seed: expected an integer, got 1.5"), std::string::npos);
  EXPECT_NE(config_error("name: x\nsteps: {kind: quant}\n").find("steps: expected a list"), std::string::npos);
  EXPECT_NE(config_error("name: x\nsweep: {noise.lambda: [0.1, oops]}\n").find("sweep.noise.lambda[1]: expected a number"),
            std::string::npos);
  EXPECT_NE(config_error("name: x\nsteps: [{kind: quant, trainer: {nesterov: 1}}]\n").find("expected true or false, got 1"),
            std::string::npos);
}

TEST(Config, YamlNumberFormsFollowTheCoreSchema) {
  json j = parse_yaml("a: -7\nb: +.5\nc: 3.\nd: 2E+2\ne: 1e\nf: .\ng: 1.2.3\nh: -.INF\ni: .NaN\nj: +\nk: 0x10\n", "t");
  EXPECT_EQ(j["a"], -7);
  EXPECT_DOUBLE_EQ(j["b"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["c"].get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(j["d"].get<double>(), 200.0);
  for (const char* k : {"e", "f", "g", "j", "k"}) EXPECT_TRUE(j[k].is_string()) << k;
  EXPECT_TRUE(std::isinf(j["h"].get<double>()) && j["h"].get<double>() < 0);
  EXPECT_TRUE(std::isnan(j["i"].get<double>()));
  // A scalar of 60,000 digits is read without recursion (a too large number, not a crash); one of a
  // million is longer than any value may be (64 KiB), and says so.
  EXPECT_NO_THROW(parse_yaml("a: x" + std::string(60000, '1') + "\n", "t"));
  try {
    parse_yaml("a: x" + std::string(1000000, '1') + "\n", "t");
    ADD_FAILURE() << "a value of a million bytes was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("a value of 1000001 bytes"), std::string::npos) << e.what();
  }
  try {
    parse_yaml("a: " + std::string(60000, '1') + "\n", "t");
    ADD_FAILURE() << "a number of 60,000 digits was accepted";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("out of the range of a double"), std::string::npos);
    EXPECT_LT(std::string(e.what()).size(), 300u);  // the message quotes the start of the value, not all of it
  }
}

TEST(Config, YamlScalarsAreTypedAndQuotedStaysString) {
  json j = parse_yaml("a: 1\nb: 1.5e-3\nc: 'true'\nd: true\ne: ~\nf: \"12\"\ng: abc\nh: .inf\n", "t");
  EXPECT_TRUE(j["a"].is_number_integer());
  EXPECT_DOUBLE_EQ(j["b"].get<double>(), 1.5e-3);
  EXPECT_TRUE(j["c"].is_string());
  EXPECT_TRUE(j["d"].is_boolean());
  EXPECT_TRUE(j["e"].is_null());
  EXPECT_TRUE(j["f"].is_string());
  EXPECT_EQ(j["g"], "abc");
  EXPECT_TRUE(std::isinf(j["h"].get<double>()));
  EXPECT_NE(config_error("name: x\nsteps: [{kind: quant, trainer: {lr: .inf}}]\n").find("finite"), std::string::npos);
}

TEST(Config, YamlSyntaxErrorNamesFileAndLine) {
  test::TempDir dir;
  std::ofstream(dir.file("bad.yaml")) << "a: 1\nb: [1, 2\n";
  try {
    load_yaml_file(dir.file("bad.yaml"));
    FAIL();
  } catch (const ConfigError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("bad.yaml: line"), std::string::npos) << msg;
  }
  EXPECT_THROW(load_yaml_file(dir.file("missing.yaml")), InputError);
}

TEST(Config, JsonSchemaCarriesDescriptionsDefaultsAndClosedObjects) {
  json s = to_json_schema(trainer_like_spec(), "experiment");
  EXPECT_EQ(s["title"], "experiment");
  EXPECT_EQ(s["type"], "object");
  EXPECT_EQ(s["additionalProperties"], false);
  EXPECT_EQ(s["required"], json::array({"name"}));
  const json& trainer = s["properties"]["steps"]["items"]["properties"]["trainer"];
  EXPECT_EQ(trainer["properties"]["lr"]["default"], 0.1);
  EXPECT_EQ(trainer["properties"]["lr"]["minimum"], 0.0);
  EXPECT_EQ(trainer["properties"]["lr"]["description"], "learning rate");
  EXPECT_EQ(trainer["additionalProperties"], false);
  EXPECT_EQ(s["properties"]["steps"]["items"]["properties"]["kind"]["enum"], json::array({"baseline", "quant"}));
  EXPECT_EQ(s["properties"]["sweep"]["additionalProperties"]["type"], "array");
}

// One list per named choice: the parser, the message, the schema's enum and the help text agree.
TEST(Choice, ParsesNamesAndTheSchemaAndMessagesListTheSame) {
  enum class Fruit { Apple, Pear, Plum };
  const Choice<Fruit> fruits("fruit", {{"apple", Fruit::Apple, "red"}, {"pear", Fruit::Pear, "green"},
                                       {"plum", Fruit::Plum, "blue"}});
  EXPECT_EQ(fruits.parse("pear"), Fruit::Pear);
  EXPECT_EQ(fruits.name_of(Fruit::Plum), "plum");
  EXPECT_EQ(fruits.listed(), "apple, pear or plum");
  EXPECT_EQ(fruits.explained(), "apple: red; pear: green; plum: blue");
  try {
    fruits.parse("kiwi", "steps[1].fruit");
    FAIL() << "kiwi parsed";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "steps[1].fruit: unknown fruit 'kiwi' (expected apple, pear or plum)");
  }
  EXPECT_THROW(fruits.parse<UsageError>("kiwi"), UsageError);
  const nlohmann::json schema = to_json_schema(object("x", {{"fruit", fruits.spec("a fruit").def("apple")}}), "x");
  EXPECT_EQ(schema["properties"]["fruit"]["enum"], nlohmann::json({"apple", "pear", "plum"}));
  EXPECT_THROW(resolve(object("x", {{"fruit", fruits.spec("a fruit")}}), {{"fruit", "kiwi"}}, "c.yaml"), ConfigError);
}

// The registries of the zoo and of the layer modes hold every name once.
TEST(Choice, ZooAndModeRegistries) {
  EXPECT_EQ(models::architectures().names(),
            (std::vector<std::string>{"lenet5", "resnet8", "resnet14", "resnet20", "resnet32", "vgg11", "vgg16",
                                      "mobilenetv2", "alexnet"}));
  EXPECT_EQ(models::architectures().parse("resnet20"), models::Architecture::ResNet20);
  for (const auto& o : nn::modes().options()) EXPECT_EQ(nn::parse_mode(o.name), o.value);
  EXPECT_EQ(nn::mode_name(nn::Mode::Approx), "approx");
  EXPECT_THROW(nn::parse_gradient("finite"), UsageError);
}

// Each training step kind takes only the settings that mean something to it, parsed once.
TEST(TrainerSettings, EachStepKindTakesItsOwnSettings) {
  auto error_of = [](const Spec& spec, const nlohmann::json& raw) {
    try {
      resolve(spec, raw, "step.yaml");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error_of(train::trainer_spec(), {{"gradient", "table"}}).find("gradient"), std::string::npos);
  EXPECT_NE(error_of(train::trainer_spec(), {{"calibration_epochs", 1}}).find("calibration_epochs"), std::string::npos);
  EXPECT_NE(error_of(train::retrain_spec(), {{"calibration_epochs", 1}}).find("calibration_epochs"), std::string::npos);
  EXPECT_NE(error_of(train::quantize_spec(), {{"gradient", "table"}}).find("gradient"), std::string::npos);
  EXPECT_NE(error_of(method::noise_spec(), {{"gradient", "table"}}).find("gradient"), std::string::npos);

  const auto q = train::TrainerSettings::from(resolve(train::quantize_spec(), {{"calibration_epochs", 2}}, "q"));
  EXPECT_EQ(q.calibration_epochs, 2);
  EXPECT_EQ(q.gradient, nn::Gradient::Ste);
  const auto r = train::TrainerSettings::from(
      resolve(train::retrain_spec(),
              {{"gradient", "table"}, {"optimizer", {{"name", "adam"}, {"lr", 0.01}}},
               {"scheduler", {{"name", "multistep"}, {"milestones", {3, 6}}}},
               {"early_stopping", {{"monitor", "val_acc"}, {"mode", "max"}, {"patience", 4}}}},
              "r"));
  EXPECT_EQ(r.gradient, nn::Gradient::Table);
  EXPECT_EQ(r.calibration_epochs, 0);
  EXPECT_EQ(r.optimizer.name, train::Optimizer::Adam);
  EXPECT_DOUBLE_EQ(r.optimizer.lr, 0.01);
  EXPECT_EQ(r.scheduler.name, train::Scheduler::MultiStep);
  EXPECT_EQ(r.scheduler.milestones, (std::vector<int64_t>{3, 6}));
  EXPECT_EQ(r.early_stopping.monitor, train::Monitor::ValAccuracy);
  EXPECT_FALSE(r.early_stopping.lower_is_better);
  EXPECT_EQ(r.early_stopping.patience, 4);
  // The defaults are the spec's.
  const auto b = train::TrainerSettings::from(resolve(train::trainer_spec(), nlohmann::json::object(), "b"));
  EXPECT_EQ(b.epochs, 10);
  EXPECT_EQ(b.batch_size, 128);
  EXPECT_EQ(b.early_stopping.monitor, train::Monitor::Off);
}

}  // namespace
}  // namespace axnn::config
