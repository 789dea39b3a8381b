// Progress for long loops: a redrawn bar on a terminal, periodic plain log lines otherwise
// (Snakemake and SLURM capture stderr into files, where a redrawn bar is noise).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace axnn {

class Progress {
 public:
  // `total` steps; `label` names the work ("epoch 3/10").
  Progress(std::string label, int64_t total);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Advance by `n` steps; `status` is a short suffix such as "loss 0.42".
  void advance(int64_t n = 1, const std::string& status = {});
  // Ends the bar (called by the destructor if not before).
  void finish(const std::string& status = {});

  // Seconds between plain log lines when not on a terminal.
  static void set_log_interval(double seconds);

 private:
  void draw(const std::string& status, bool final);

  std::string label_;
  int64_t total_;
  int64_t done_ = 0;
  bool tty_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace axnn
