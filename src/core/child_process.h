// Child processes that cannot outlive their program: each runs in a process group of its own with a
// time limit, and is killed with its whole group on timeout, on error and on SIGINT/SIGTERM/SIGHUP
// (the temp-file cleanup handler kills every registered group before the program dies).
#pragma once

#include <string>
#include <vector>

namespace axnn {

struct ChildResult {
  int exit_code = -1;       // the exit status when it exited
  int signal = 0;           // the signal that ended it, if any
  bool timed_out = false;   // killed after the time limit
  std::string output;       // stdout and stderr together, at most the first 64 KiB
  bool ok() const { return exit_code == 0 && !timed_out && signal == 0; }
};

// Runs argv[0] (found on PATH) with argv, no shell, in its own process group; stdin is /dev/null. The
// child is also killed by the kernel if this program dies (Linux PR_SET_PDEATHSIG).
// After `timeout_s` seconds the whole group is killed (SIGKILL) and timed_out is set. Throws Error
// when the process cannot be started.
ChildResult run_child(const std::vector<std::string>& argv, double timeout_s);

// A folder of scratch files (mkdtemp under $TMPDIR) removed with everything in it when destroyed and,
// for the files made through file(), on SIGINT/SIGTERM/SIGHUP too.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  // The path of `name` inside the folder, registered for removal on a signal.
  std::string file(const std::string& name);

 private:
  std::string path_;
  std::vector<int> slots_;
};

}  // namespace axnn
