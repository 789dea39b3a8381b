// Shared by the fuzz targets: the readers take paths, so each input is written to a private file first.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "core/error.h"

namespace axnn::fuzz {

// A per-process file under $TMPDIR (or /tmp) holding `data`, with the given suffix.
inline std::string as_file(const uint8_t* data, size_t size, const std::string& suffix) {
  const char* tmp = std::getenv("TMPDIR");
  const std::string path = std::string(tmp && *tmp ? tmp : "/tmp") + "/axnn-fuzz-" + std::to_string(getpid()) + suffix;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

// Runs a reader: axnn's own errors (a clear message for the user) are the expected outcome of bad
// input; anything else escaping — another exception, a crash, a sanitizer report — is a finding.
template <typename F>
void expect_clean(F&& reader) {
  try {
    reader();
  } catch (const axnn::Error&) {
  }
}

}  // namespace axnn::fuzz
