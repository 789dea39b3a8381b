#include "core/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/error.h"
#include "core/temp_files.h"

namespace axnn {

std::string read_file(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot read file", path));
  std::string bytes;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    bytes.append(buf, static_cast<size_t>(in.gcount()));
    if (bytes.size() > max_bytes)
      throw InputError(fmt::format("{}: larger than {} bytes, more than such a file ever holds", path, max_bytes));
  }
  if (in.bad()) throw InputError(fmt::format("{}: cannot read file", path));
  return bytes;
}

namespace {

namespace fs = std::filesystem;

// Test hook: AXNN_DEBUG_WRITE_PAUSE=SECONDS sleeps once the temporary file exists, so a test can
// interrupt a program in the middle of a write.
void debug_write_pause() {
  if (const char* s = std::getenv("AXNN_DEBUG_WRITE_PAUSE")) ::sleep(static_cast<unsigned>(std::atoi(s)));
}

// Creates `temp` (it must not exist), writes all of `bytes` and fsyncs it. Errors name `path`.
void write_durably(const std::string& temp, std::string_view bytes, const std::string& path) {
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(fmt::format("{}: cannot create {}: {}", path, temp, std::strerror(errno)));
  debug_write_pause();
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : ENOSPC;
      ::close(fd);
      throw Error(fmt::format("{}: writing {} bytes failed: {}", path, bytes.size(), std::strerror(err)));
    }
    done += static_cast<size_t>(n);
  }
  const int rc = ::fsync(fd);
  const int err = errno;
  if (::close(fd) != 0 || rc != 0)
    throw Error(fmt::format("{}: writing failed: {}", path, std::strerror(rc != 0 ? err : errno)));
}

void fsync_folder(const fs::path& folder) {
  const int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) throw Error(fmt::format("{}: cannot open for fsync: {}", folder.string(), std::strerror(errno)));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw Error(fmt::format("{}: fsync failed: {}", folder.string(), std::strerror(errno)));
}

}  // namespace

const std::string& require_output_folder(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty() && !fs::is_directory(parent))
    throw UsageError(fmt::format("{}: output folder '{}' does not exist", path, parent.string()));
  return path;
}

void write_file_atomic(const std::string& path, std::string_view bytes) {
  require_output_folder(path);
  remove_stale_temp_files(path);
  TempFile tmp(path);
  write_durably(tmp.path(), bytes, path);
  std::error_code ec;
  fs::rename(tmp.path(), path, ec);
  if (ec) throw Error(fmt::format("{}: cannot move the finished file into place: {}", path, ec.message()));
  tmp.release();
  fsync_folder(fs::path(path).parent_path());
}

std::optional<std::string> find_on_path(const std::string& program) {
  if (program.find('/') != std::string::npos) return program;
  const char* path = std::getenv("PATH");
  for (std::string dirs = path ? path : "/usr/bin:/bin"; !dirs.empty();) {
    const auto colon = dirs.find(':');
    const std::string dir = dirs.substr(0, colon);
    const std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    dirs = colon == std::string::npos ? "" : dirs.substr(colon + 1);
  }
  return std::nullopt;
}

}  // namespace axnn
