#include "core/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "core/error.h"
#include "core/files.h"
#include "core/temp_files.h"

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

// argv[0] as an executable path (core/files.h).
std::string resolve(const std::string& program) {
  if (auto exe = find_on_path(program)) return *exe;
  throw Error(fmt::format("cannot start {}: not found on PATH", program));
}

// Starts argv in a new process group with stdout/stderr on the returned pipe. The child asks the
// kernel to kill it when this program dies (PR_SET_PDEATHSIG), which closes the window between its
// start and its registration for the signal handler; between fork and exec it calls only
// async-signal-safe functions.
pid_t spawn(const std::vector<std::string>& argv, int& read_end) {
  const std::string exe = resolve(argv[0]);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(fmt::format("cannot start {}: {}", argv[0], std::strerror(errno)));
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) ::signal(sig, SIG_DFL);
    const int null = ::open("/dev/null", O_RDONLY);
    if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(fds[1], 1) < 0 || ::dup2(fds[1], 2) < 0) ::_exit(127);
    ::execv(exe.c_str(), args.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  if (pid < 0) {
    ::close(fds[0]);
    throw Error(fmt::format("cannot start {}: {}", argv[0], std::strerror(errno)));
  }
  ::setpgid(pid, pid);  // also here, so the group exists before anyone signals it
  read_end = fds[0];
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
