// The --device option group for programs that run LibTorch. Torch stays out of this header.
#pragma once

#include <string>

namespace axnn::cli {
class Program;
}

namespace axnn {

struct DeviceSpec {
  enum class Kind { Auto, Cpu, Cuda } kind = Kind::Auto;
  int index = -1;  // -1: current/default GPU
};

// Parses "auto", "cpu", "cuda" or "cuda:N". Throws UsageError otherwise.
DeviceSpec parse_device_spec(const std::string& text);

// Checks a parsed spec against this LibTorch and machine; returns "cpu" or "cuda:N". Without an index
// the GPU is the node-local rank of a data-parallel process modulo the GPU count (0 for one process).
// Throws UsageError for a GPU that is not there.
std::string resolve_device(const DeviceSpec& spec);

// Adds --device to `program`; after parsing it checks the choice against this LibTorch and the
// machine (a GPU asked for but absent is a UsageError) and sets torch's thread count to --threads.
void add_device_option(cli::Program& program);

// The device chosen by --device, as torch spells it ("cpu", "cuda:0").
const std::string& selected_device();

}  // namespace axnn
