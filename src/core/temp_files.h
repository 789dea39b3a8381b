// Temporary files of atomic writes: a hidden ".<name>.<host>.<pid>-<random>.partial" beside the final path,
// renamed into place when complete. While one exists it is registered, so that SIGINT/SIGTERM remove
// it before the program dies; a SIGKILLed program's leftovers are removed by the next writer of the
// same path (their pid is no longer alive).
#pragma once

#include <string>

namespace axnn {

// Removes registered temporary files on SIGINT, SIGTERM and SIGHUP, then dies of the same signal.
// Idempotent; the program skeleton calls it.
void install_temp_file_cleanup();

// A registered temporary path for `final_path`. The destructor removes the file unless release()d.
class TempFile {
 public:
  explicit TempFile(const std::string& final_path);
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::string& path() const { return path_; }
  // The file was renamed into place (or never created): stop tracking it.
  void release();

 private:
  std::string path_;
  int slot_ = -1;
};

// Signal-time cleanup of other things than atomic writes (core/child_process.h): a slot holds a path
// to unlink, a folder to rmdir (after every file) or a process group to kill. Returns the slot, or
// -1 when all are taken (the thing is then still cleaned up normally, only not on a signal).
enum class CleanupKind { File, Folder, ProcessGroup };
int register_cleanup(CleanupKind kind, const std::string& path, int pgid = 0);
void unregister_cleanup(int slot);

// Removes ".<name>.<host>.<pid>-*.partial" files beside `final_path` that this machine's processes
// left and whose writing process is gone (other machines' files are left alone).
void remove_stale_temp_files(const std::string& final_path);

}  // namespace axnn
