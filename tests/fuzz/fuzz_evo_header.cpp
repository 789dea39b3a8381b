// The EvoApproxLib C model parser: header metrics and the multiplier's signature.
#include "fuzz_util.h"
#include "multipliers/evoapprox.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string code(reinterpret_cast<const char*>(data), size);
  axnn::fuzz::expect_clean([&] {
    for (const auto& [key, v] : axnn::mult::parse_evo_header(code)) axnn::mult::agrees_with_header(v.value, v);
  });
  axnn::fuzz::expect_clean([&] { axnn::mult::parse_evo_signature(code, "mul8s_FUZZ", "fuzz.c"); });
  return 0;
}
