// The IDX reader (MNIST, Fashion-MNIST), gzipped or plain.
#include "data/sources.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = axnn::fuzz::as_file(data, size, ".idx");
  axnn::fuzz::expect_clean([&] { axnn::data::read_idx(path); });
  return 0;
}
