// The YAML config loader and the config model: parse, then resolve against several specs.
#include "config/spec.h"
#include "fuzz_util.h"
#include "method/step_configs.h"
#include "multipliers/families.h"
#include "multipliers/sources.h"
#include "train/trainer_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  axnn::fuzz::expect_clean([&] {
    const nlohmann::json raw = axnn::config::parse_yaml(text, "fuzz.yaml");
    for (const axnn::config::Spec* spec : {&axnn::train::trainer_spec(), &axnn::mult::library_sources_spec(),
                                           &axnn::mult::library_spec(), &axnn::method::match_spec()})
      axnn::fuzz::expect_clean([&] { axnn::config::resolve(*spec, raw, "fuzz.yaml"); });
  });
  return 0;
}
