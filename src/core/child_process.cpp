#include "core/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "core/error.h"
#include "core/temp_files.h"

extern char** environ;

namespace axnn {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
constexpr size_t kMaxOutput = 64 * 1024;

// Closes a file descriptor when it goes out of scope.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

int remaining_ms(Clock::time_point deadline) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return ms < 0 ? 0 : static_cast<int>(std::min<long long>(ms, 1000));
}

// Starts argv in a new process group with stdout/stderr on the returned pipe.
pid_t spawn(const std::vector<std::string>& argv, int& read_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(fmt::format("cannot start {}: {}", argv[0], std::strerror(errno)));
  Fd write_end{fds[1]};
  read_end = fds[0];
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    ::close(read_end);
    throw Error(fmt::format("cannot start {}: {}", argv[0], std::strerror(rc)));
  }
  return pid;
}

}  // namespace

ChildResult run_child(const std::vector<std::string>& argv, double timeout_s) {
  int read_fd = -1;
  const pid_t pid = spawn(argv, read_fd);
  Fd pipe_in{read_fd};
  const int slot = register_cleanup(CleanupKind::ProcessGroup, argv[0], pid);
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s));
  ChildResult r;
  // Output until the pipe closes or time is up.
  for (bool open = true; open && Clock::now() < deadline;) {
    pollfd p{read_fd, POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::read(read_fd, buf, sizeof buf);
    if (n > 0 && r.output.size() < kMaxOutput) r.output.append(buf, std::min(static_cast<size_t>(n), kMaxOutput - r.output.size()));
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) open = false;
  }
  // Then the exit, until the same deadline.
  int status = 0;
  pid_t done = 0;
  while ((done = ::waitpid(pid, &status, WNOHANG)) == 0 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (done == 0) {
    r.timed_out = true;
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  } else if (WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    r.signal = WTERMSIG(status);
  }
  ::kill(-pid, SIGKILL);  // whatever the child left running in its group
  unregister_cleanup(slot);
  return r;
}

ScratchDir::ScratchDir(const std::string& prefix) {
  std::string tmpl = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (!::mkdtemp(tmpl.data()))
    throw Error(fmt::format("cannot create a temporary folder in {}: {}", fs::temp_directory_path().string(),
                            std::strerror(errno)));
  path_ = tmpl;
  slots_.push_back(register_cleanup(CleanupKind::Folder, path_));
}

std::string ScratchDir::file(const std::string& name) {
  std::string p = (fs::path(path_) / name).string();
  slots_.push_back(register_cleanup(CleanupKind::File, p));
  return p;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
  for (int s : slots_) unregister_cleanup(s);
}

}  // namespace axnn
