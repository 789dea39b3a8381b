#include "tensor/device.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <regex>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ATen/Version.h>
#include <torch/headeronly/version.h>

#include "cli/program.h"
#include "core/environment.h"
#include "core/error.h"
#include "kernels/lut_gemm.h"
#include "tensor/gpu_name.h"

namespace axnn {
namespace {

std::string g_device_text = "auto";
std::string g_selected = "cpu";

}  // namespace

// The rank of this process among the data-parallel ranks on its node, as the launcher says (0 when
// none started it): ranks sharing a node take different GPUs.
static int node_local_rank() {
  for (const char* var : {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "MPI_LOCALRANKID"}) {
    const char* v = std::getenv(var);
    if (v && *v && std::all_of(v, v + std::strlen(v), [](char c) { return c >= '0' && c <= '9'; }) && std::strlen(v) < 6)
      return std::atoi(v);
  }
  return 0;
}

std::string resolve_device(const DeviceSpec& spec) {
  bool have_cuda = torch::cuda::is_available();
  int count = have_cuda ? static_cast<int>(torch::cuda::device_count()) : 0;
  switch (spec.kind) {
    case DeviceSpec::Kind::Cpu: return "cpu";
    case DeviceSpec::Kind::Auto: return have_cuda ? fmt::format("cuda:{}", node_local_rank() % count) : "cpu";
    case DeviceSpec::Kind::Cuda: {
      if (!have_cuda)
        throw UsageError("--device: a CUDA GPU was asked for, but this LibTorch sees none (use --device cpu)");
      int index = spec.index < 0 ? node_local_rank() % count : spec.index;
      if (index >= count)
        throw UsageError(fmt::format("--device cuda:{}: only {} CUDA device(s) present", index, count));
      return fmt::format("cuda:{}", index);
    }
  }
  return "cpu";
}

DeviceSpec parse_device_spec(const std::string& text) {
  static const std::regex cuda_re("^cuda(:([0-9]+))?$");
  std::smatch m;
  if (text == "auto") return {DeviceSpec::Kind::Auto, -1};
  if (text == "cpu") return {DeviceSpec::Kind::Cpu, -1};
  if (std::regex_match(text, m, cuda_re)) return {DeviceSpec::Kind::Cuda, m[2].matched ? std::stoi(m[2].str()) : -1};
  throw UsageError(fmt::format("--device: expected auto, cpu, cuda or cuda:N; got \"{}\"", text));
}

// What of LibTorch and the hardware can change a result: recorded in every artifact's provenance.
static void note_torch_environment(const std::string& device) {
  note_environment("libtorch", fmt::format("{}.{}.{}", TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR, TORCH_VERSION_PATCH));
  if (at::hasMKLDNN()) note_environment("onednn", at::get_mkldnn_version());
  if (at::hasMKL()) note_environment("mkl", at::get_mkl_version());
  note_environment("torch_cpu_capability", at::get_cpu_capability());
  kernels::force_portable_kernels(portable_kernels_requested());
  note_environment("table_kernels", kernels::cpu_kernel_isa());
  note_environment("device", device);
  if (device.rfind("cuda", 0) == 0) {
    const int index = device.size() > 5 ? std::stoi(device.substr(5)) : 0;
    note_environment("gpu", cuda_device_name(index));
    note_environment("table_kernels", kernels::cuda_kernels_built() ? "cuda" : "cpu fallback");
  }
}

void add_device_option(cli::Program& program) {
  program.app()
      .add_option("--device", g_device_text, "Where to run: auto (a GPU when LibTorch has one, else cpu), cpu, cuda, cuda:N")
      ->capture_default_str();
  program.on_start([&program] {
    g_selected = resolve_device(parse_device_spec(g_device_text));
    torch::set_num_threads(program.threads());
    note_torch_environment(g_selected);
    spdlog::debug("device {}, {} threads", g_selected, program.threads());
  });
}

const std::string& selected_device() { return g_selected; }

}  // namespace axnn
