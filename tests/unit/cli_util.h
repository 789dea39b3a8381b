// Runs a program as a user would and captures its exit code and output.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace axnn::test {

struct Result {
  int code;
  std::string output;  // stdout and stderr
};

inline Result run(const std::string& exe, const std::string& args) {
  FILE* pipe = popen((exe + " " + args + " 2>&1").c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  while (size_t n = fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace axnn::test
