#include "core/environment.h"

#include <sys/utsname.h>

#include <cstdlib>
#include <fstream>
#include <mutex>

#include <H5public.h>
#include <fmt/format.h>

#include "core/error.h"

namespace axnn {
namespace {

std::mutex g_mutex;
nlohmann::json g_noted = nlohmann::json::object();

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(line.find_first_not_of(' ', colon + 1));
    }
  return "unknown";
}

std::string os_text() {
  utsname u{};
  if (::uname(&u) != 0) return "unknown";
  return fmt::format("{} {} {}", u.sysname, u.release, u.machine);
}

}  // namespace

void note_environment(const std::string& key, nlohmann::json value) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_noted[key] = std::move(value);
}

nlohmann::json environment_record() {
  static const nlohmann::json base = [] {
    unsigned major = 0, minor = 0, release = 0;
    H5get_libversion(&major, &minor, &release);
    return nlohmann::json{{"hdf5", fmt::format("{}.{}.{}", major, minor, release)}, {"cpu", cpu_model()}, {"os", os_text()}};
  }();
  std::lock_guard<std::mutex> lock(g_mutex);
  nlohmann::json out = base;
  for (const auto& [k, v] : g_noted.items()) out[k] = v;
  return out;
}

bool portable_kernels_requested() {
  const char* v = std::getenv("AXNN_KERNELS");
  if (!v || !*v || std::string(v) == "auto") return false;
  if (std::string(v) == "portable") return true;
  throw UsageError(fmt::format("AXNN_KERNELS: '{}' is not auto or portable", v));
}

}  // namespace axnn
