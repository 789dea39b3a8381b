// axnn-bench: table GEMM/conv speed next to LibTorch float on the same shapes, in one run.
//   BM_float/<shape>    LibTorch fp32 conv2d / mm
//   BM_float_nodnn/<shape> the same conv2d with oneDNN off (im2col + MKL); ratios.py compares with the faster
//   BM_lut_ref/<shape>  the plain reference table kernel
//   BM_lut/<shape>      the optimised CPU table kernel
//   BM_separable/<shape> the separable fast path: operand truncation (otrunc2) as a float op on the
//                       mapped operands, mapping included (what an ApproxLayer runs on the CPU)
//   BM_lut/<shape>/<operands> with the activations of real layers: relu (post-ReLU, 0..127: a rounded
//   Gaussian with std 40, negatives as 0), signed (rounded Gaussian, std 30, clipped to +-127: ~3.6 %
//   outside the 7-bit core range) or narrow (std 20: ~0.2 % outside, the core-range path); weights
//   are signed Gaussians in all.
// Counter lookups_per_s = table lookups (multiply-accumulates) per second.
// Protocol (the default; later flags override it): 0.5 s warm-up per benchmark, 5 repetitions run in
// random interleaved order, so that neither the order nor a cold first run decides a ratio;
// tests/benchmarks/ratios.py reports ratios of medians with their spread.
// Threads: AXNN_BENCH_THREADS (default: all cores) for both torch and oneTBB.
#include <benchmark/benchmark.h>
#include <tbb/global_control.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <random>
#include <optional>
#include <string>
#include <thread>

#include "kernels/lut_gemm.h"
#include "multipliers/families.h"
#include "kernels/separable.h"

namespace {

using namespace axnn::kernels;

enum class Operands { Signed, Relu, Narrow };

// Signed: rounded Gaussian, std 30, clipped to +-127. Narrow: the same with std 20. Relu: rounded
// Gaussian, std 40, negatives as 0, clipped to 127 (a post-ReLU activation: about half zeros).
std::vector<int8_t> operands(size_t n, uint32_t seed, Operands kind = Operands::Signed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> d(0.0, kind == Operands::Relu ? 40.0 : kind == Operands::Narrow ? 20.0 : 30.0);
  std::vector<int8_t> v(n);
  for (auto& x : v) {
    const long q = std::clamp(std::lround(d(rng)), -127L, 127L);
    x = static_cast<int8_t>(kind == Operands::Relu ? std::max(q, 0L) : q);
  }
  return v;
}

// An approximate-looking table that fits int16 (content does not change the kernels' speed).
const std::vector<int32_t>& table() {
  static const std::vector<int32_t> t = [] {
    std::vector<int32_t> v(65536);
    for (int a = 0; a < 256; ++a)
      for (int w = 0; w < 256; ++w) v[a * 256 + w] = ((a - 128) * (w - 128)) & ~15;
    return v;
  }();
  return t;
}

struct ConvCase {
  const char* name;
  Conv2dShape shape;
};

Conv2dShape conv(int64_t n, int64_t c, int64_t hw, int64_t co, int64_t k, int64_t pad, int64_t groups) {
  Conv2dShape s;
  s.n = n, s.c_in = c, s.h = s.w = hw, s.c_out = co, s.kh = s.kw = k, s.pad_h = s.pad_w = pad, s.groups = groups;
  return s;
}

const ConvCase kConvs[] = {{"conv_resnet_s1", conv(32, 64, 32, 64, 3, 1, 1)},
                           {"conv_lenet_c2", conv(256, 6, 14, 16, 5, 0, 1)},
                           {"dwconv_mbv2", conv(32, 144, 16, 144, 3, 1, 144)}};

double conv_lookups(const Conv2dShape& s) {
  return static_cast<double>(s.n * s.c_out * s.out_h() * s.out_w() * s.fan_in());
}

void set_counters(benchmark::State& state, double lookups) {
  state.counters["lookups_per_s"] = benchmark::Counter(lookups, benchmark::Counter::kIsIterationInvariantRate);
}

// LibTorch's convolution without oneDNN (its im2col + MKL GEMM path): for forward-only passes on some
// CPUs the faster float baseline, so both are measured and ratios.py takes the faster.
struct OneDnnOff {
  bool was = at::globalContext().userEnabledMkldnn();
  OneDnnOff() { at::globalContext().setUserEnabledMkldnn(false); }
  ~OneDnnOff() { at::globalContext().setUserEnabledMkldnn(was); }
};

void bm_conv_float(benchmark::State& state, const Conv2dShape& s, bool onednn = true) {
  std::optional<OneDnnOff> off;
  if (!onednn) off.emplace();
  torch::NoGradGuard guard;
  auto x = torch::randn({s.n, s.c_in, s.h, s.w});
  auto w = torch::randn({s.c_out, s.c_in / s.groups, s.kh, s.kw});
  for (auto _ : state) {
    auto y = torch::conv2d(x, w, {}, {s.stride_h, s.stride_w}, {s.pad_h, s.pad_w}, {s.dil_h, s.dil_w}, s.groups);
    benchmark::DoNotOptimize(y.data_ptr<float>());
  }
  set_counters(state, conv_lookups(s));
}

void bm_conv_lut(benchmark::State& state, const Conv2dShape& s, bool reference, Operands kind) {
  auto x = operands(static_cast<size_t>(s.n * s.c_in * s.h * s.w), 1, kind);
  auto w = operands(static_cast<size_t>(s.c_out * s.fan_in()), 2);
  std::vector<int32_t> y(static_cast<size_t>(s.n * s.c_out * s.out_h() * s.out_w()));
  PreparedLut lut(table().data());
  for (auto _ : state) {
    if (reference) lut_conv2d_reference(s, x.data(), w.data(), table().data(), y.data());
    else lut_conv2d(s, x.data(), w.data(), lut, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  set_counters(state, conv_lookups(s));
}

// otrunc2's maps.
const SeparableMaps& separable_maps() {
  static const SeparableMaps maps = [] {
    axnn::mult::FamilyMember m;
    m.family = "operand_truncation";
    m.k = 2;
    return *find_separable(axnn::mult::make_multiplier(m).lut.data());
  }();
  return maps;
}

torch::Tensor mapped(const std::array<int32_t, 256>& map, const std::vector<int8_t>& v, std::vector<int64_t> shape) {
  torch::Tensor out = torch::empty(shape);
  map_operands(v.data(), static_cast<int64_t>(v.size()), map, out.data_ptr<float>());
  return out;
}

void bm_conv_separable(benchmark::State& state, const Conv2dShape& s) {
  torch::NoGradGuard guard;
  const auto& fa = separable_maps().fa;
  const auto& fw = separable_maps().fw;
  auto x = operands(static_cast<size_t>(s.n * s.c_in * s.h * s.w), 1);
  auto w = operands(static_cast<size_t>(s.c_out * s.fan_in()), 2);
  torch::Tensor wf = mapped(fw, w, {s.c_out, s.c_in / s.groups, s.kh, s.kw});
  for (auto _ : state) {
    torch::Tensor xf = mapped(fa, x, {s.n, s.c_in, s.h, s.w});
    auto y = torch::conv2d(xf, wf, {}, {s.stride_h, s.stride_w}, {s.pad_h, s.pad_w}, {s.dil_h, s.dil_w}, s.groups);
    benchmark::DoNotOptimize(y.data_ptr<float>());
  }
  set_counters(state, conv_lookups(s));
}

constexpr int64_t kGemm = 512;

void bm_gemm_float(benchmark::State& state) {
  torch::NoGradGuard guard;
  auto a = torch::randn({kGemm, kGemm}), b = torch::randn({kGemm, kGemm});
  for (auto _ : state) benchmark::DoNotOptimize(torch::mm(a, b).data_ptr<float>());
  set_counters(state, static_cast<double>(kGemm * kGemm * kGemm));
}

void bm_gemm_lut(benchmark::State& state, bool reference, Operands kind) {
  auto a = operands(kGemm * kGemm, 3, kind), w = operands(kGemm * kGemm, 4);
  std::vector<int32_t> c(kGemm * kGemm);
  PreparedLut lut(table().data());
  LutGemmArgs args{kGemm, kGemm, kGemm, a.data(), kGemm, w.data(), kGemm, table().data(), c.data(), kGemm};
  for (auto _ : state) {
    if (reference) lut_gemm_reference(args);
    else lut_gemm(args, lut);
    benchmark::DoNotOptimize(c.data());
  }
  set_counters(state, static_cast<double>(kGemm * kGemm * kGemm));
}

// The protocol's flags first, so that the user's own flags (parsed later) override them.
std::vector<char*> with_protocol(int argc, char** argv) {
  static std::string flags[] = {"--benchmark_min_warmup_time=0.5", "--benchmark_repetitions=5",
                                "--benchmark_enable_random_interleaving=true"};
  std::vector<char*> args = {argv[0]};
  for (auto& f : flags) args.push_back(f.data());
  for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = static_cast<int>(std::thread::hardware_concurrency());
  if (const char* t = std::getenv("AXNN_BENCH_THREADS")) threads = std::max(1, std::atoi(t));
  torch::set_num_threads(threads);
  tbb::global_control tbb_threads(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));
  benchmark::AddCustomContext("threads", std::to_string(threads));
  benchmark::AddCustomContext("operands", "relu: post-ReLU 0..127 (Gaussian std 40, negatives 0); signed: Gaussian std 30, "
                                          "clipped to +-127; narrow: std 20; weights signed");
  benchmark::AddCustomContext("cpu_kernel_isa", cpu_kernel_isa());

  const std::pair<const char*, Operands> variants[] = {
      {"relu", Operands::Relu}, {"signed", Operands::Signed}, {"narrow", Operands::Narrow}};
  for (const auto& c : kConvs) {
    std::string name = c.name;
    benchmark::RegisterBenchmark(("BM_float/" + name).c_str(), [c](benchmark::State& s) { bm_conv_float(s, c.shape); })
        ->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark(("BM_float_nodnn/" + name).c_str(),
                                 [c](benchmark::State& s) { bm_conv_float(s, c.shape, false); })
        ->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark(("BM_lut_ref/" + name + "/signed").c_str(),
                                 [c](benchmark::State& s) { bm_conv_lut(s, c.shape, true, Operands::Signed); })
        ->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
    benchmark::RegisterBenchmark(("BM_separable/" + name).c_str(), [c](benchmark::State& s) { bm_conv_separable(s, c.shape); })
        ->Unit(benchmark::kMillisecond)->UseRealTime();
    for (auto [variant, kind] : variants)
      benchmark::RegisterBenchmark(("BM_lut/" + name + "/" + variant).c_str(),
                                   [c, kind = kind](benchmark::State& s) { bm_conv_lut(s, c.shape, false, kind); })
          ->Unit(benchmark::kMillisecond)->UseRealTime();
  }
  benchmark::RegisterBenchmark("BM_float/gemm_512", bm_gemm_float)->Unit(benchmark::kMillisecond)->UseRealTime();
  benchmark::RegisterBenchmark("BM_lut_ref/gemm_512/signed", [](benchmark::State& s) { bm_gemm_lut(s, true, Operands::Signed); })
      ->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
  for (auto [variant, kind] : variants)
    benchmark::RegisterBenchmark((std::string("BM_lut/gemm_512/") + variant).c_str(),
                                 [kind = kind](benchmark::State& s) { bm_gemm_lut(s, false, kind); })
        ->Unit(benchmark::kMillisecond)->UseRealTime();

  std::vector<char*> args = with_protocol(argc, argv);
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
