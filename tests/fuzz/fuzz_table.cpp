// The table importers: .npy and CSV (the first byte picks which).
#include "fuzz_util.h"
#include "multipliers/table_import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool npy = data[0] & 1;
  const std::string path = axnn::fuzz::as_file(data + 1, size - 1, npy ? ".npy" : ".csv");
  axnn::fuzz::expect_clean([&] {
    auto t = npy ? axnn::mult::read_npy_table(path) : axnn::mult::read_csv_table(path);
    axnn::mult::check_table_range(t, path, "table");
  });
  return 0;
}
