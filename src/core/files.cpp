#include "core/files.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/error.h"
#include "core/temp_files.h"

namespace axnn {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot read file", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file_atomic(const std::string& path, const std::string& text) {
  namespace fs = std::filesystem;
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty() && !fs::is_directory(parent))
    throw UsageError(fmt::format("{}: output folder '{}' does not exist", path, parent.string()));
  remove_stale_temp_files(path);
  TempFile tmp(path);  // removed on failure and on SIGINT/SIGTERM
  {
    std::ofstream out(tmp.path(), std::ios::binary | std::ios::trunc);
    if (!out) throw Error(fmt::format("{}: cannot create {}: {}", path, tmp.path(), std::strerror(errno)));
    out << text;
    out.close();
    if (!out) throw Error(fmt::format("{}: cannot write file (is the disk full?)", path));
  }
  std::error_code ec;
  fs::rename(tmp.path(), path, ec);
  if (ec) throw Error(fmt::format("{}: cannot move the finished file into place: {}", path, ec.message()));
  tmp.release();
}

}  // namespace axnn
