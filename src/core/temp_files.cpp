#include "core/temp_files.h"

#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.h"

namespace fs = std::filesystem;

namespace axnn {
namespace {

// Fixed storage the signal handler can walk without allocating: a slot is in use while its flag is set.
constexpr int kSlots = 256;
constexpr size_t kPathMax = 4096;
struct Slot {
  std::atomic<bool> used{false};
  CleanupKind kind = CleanupKind::File;
  int pgid = 0;
  char path[kPathMax];
};
std::array<Slot, kSlots> slots;
std::mutex slot_mutex;

// Child groups first (they may still be writing), then files, then the folders that held them; kill,
// unlink and rmdir are async-signal-safe.
void on_signal(int sig) {
  for (CleanupKind kind : {CleanupKind::ProcessGroup, CleanupKind::File, CleanupKind::Folder})
    for (auto& s : slots) {
      if (!s.used.load() || s.kind != kind) continue;
      if (kind == CleanupKind::ProcessGroup) ::kill(-s.pgid, SIGKILL);
      if (kind == CleanupKind::File) ::unlink(s.path);
      if (kind == CleanupKind::Folder) ::rmdir(s.path);
    }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

int acquire(const std::string& path, CleanupKind kind = CleanupKind::File, int pgid = 0) {
  if (path.size() >= kPathMax) return -1;
  std::lock_guard<std::mutex> lock(slot_mutex);
  for (int i = 0; i < kSlots; ++i)
    if (!slots[i].used.load()) {
      std::memcpy(slots[i].path, path.c_str(), path.size() + 1);
      slots[i].kind = kind;
      slots[i].pgid = pgid;
      slots[i].used.store(true);
      return i;
    }
  return -1;  // more than 64 at once: still cleaned up on failure, not on a signal
}

// This machine's name: a leftover is judged only by the machine that made it (on a shared file system
// another node's pid means nothing here).
const std::string& host() {
  static const std::string name = [] {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return std::string("localhost");
    std::string s(buf);
    for (char& c : s)
      if (c == '/' || c == '.') c = '_';
    return s;
  }();
  return name;
}

bool process_alive(long pid) { return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM); }

}  // namespace

int register_cleanup(CleanupKind kind, const std::string& path, int pgid) { return acquire(path, kind, pgid); }

void unregister_cleanup(int slot) {
  if (slot >= 0) slots[slot].used.store(false);
}

void install_temp_file_cleanup() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
  });
}

TempFile::TempFile(const std::string& final_path) {
  const fs::path p(final_path);
  std::random_device rd;
  path_ = (p.parent_path() /
           fmt::format(".{}.{}.{}-{:08x}.partial", p.filename().string(), host(), getpid(), rd())).string();
  slot_ = acquire(path_);
}

TempFile::~TempFile() {
  if (path_.empty()) return;
  std::error_code ec;
  fs::remove(path_, ec);
  release();
}

void TempFile::release() {
  if (slot_ >= 0) slots[slot_].used.store(false);
  slot_ = -1;
  path_.clear();
}

void remove_stale_temp_files(const std::string& final_path) {
  const fs::path p(final_path);
  const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  const std::string prefix = "." + p.filename().string() + "." + host() + ".";
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    const std::string suffix = ".partial";
    if (name.size() <= prefix.size() + suffix.size() || name.rfind(prefix, 0) != 0 ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    const std::string rest = name.substr(prefix.size());
    char* end = nullptr;
    const long pid = std::strtol(rest.c_str(), &end, 10);
    if (end == rest.c_str() || *end != '-' || process_alive(pid)) continue;
    std::error_code rm;
    if (fs::remove(e.path(), rm)) spdlog::info("removed {} left by an interrupted run (pid {})", e.path().string(), pid);
  }
}

}  // namespace axnn
