// The artifact readers on arbitrary files: probe, library, refs, dataset.
#include "data/dataset.h"
#include "fuzz_util.h"
#include "io/artifact.h"
#include "method/refs.h"
#include "multipliers/library_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = axnn::fuzz::as_file(data, size, ".h5");
  axnn::fuzz::expect_clean([&] { axnn::probe_artifact(path); });
  axnn::fuzz::expect_clean([&] { axnn::mult::read_library(path); });
  axnn::fuzz::expect_clean([&] { axnn::method::read_refs(path); });
  axnn::fuzz::expect_clean([&] { axnn::data::read_dataset(path); });
  return 0;
}
