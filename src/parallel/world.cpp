#include "parallel/world.h"

#include <mpi.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/checks.h"
#include "cli/program.h"
#include "core/environment.h"
#include "core/error.h"
#include "core/files.h"
#include "core/log.h"

namespace axnn::parallel {
namespace {

World g_world;
bool g_joined = false;
// Set in the environment of the ranks this program starts, so that a rank which finds no MPI launcher
// around it (srun without --mpi=pmix) fails instead of starting ranks of its own.
constexpr const char* kLaunchedVar = "AXNN_LAUNCHED";
constexpr int kMaxRanks = 65536;

bool started_by_mpi_launcher() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMIX_RANK") || std::getenv("PMI_RANK");
}

bool on_path(const std::string& program) { return find_on_path(program).has_value(); }

std::string own_executable() {
  std::vector<char> buf(PATH_MAX + 1, '\0');
  const ssize_t n = readlink("/proc/self/exe", buf.data(), PATH_MAX);
  if (n <= 0) throw Error(fmt::format("cannot find this program's executable: {}", std::strerror(errno)));
  return std::string(buf.data(), static_cast<size_t>(n));
}

// srun inside a SLURM allocation (also across its nodes), else mpirun on this machine.
// AXNN_LAUNCHER=srun|mpirun chooses.
std::string choose_launcher() {
  const char* forced = std::getenv("AXNN_LAUNCHER");
  if (forced && *forced) {
    const std::string l = forced;
    if (l != "srun" && l != "mpirun") throw UsageError(fmt::format("AXNN_LAUNCHER: '{}' is not srun or mpirun", l));
    return l;
  }
  if (std::getenv("SLURM_JOB_ID") && on_path("srun")) return "srun";
  if (on_path("mpirun")) return "mpirun";
  throw UsageError("--nproc: neither srun (inside a SLURM allocation) nor mpirun is on PATH; install openmpi-bin");
}

// mpirun on this machine starts at most this many ranks: each is a whole process with its own model
// and data loader, so more than a few per core only stalls the machine (srun is bounded by the
// allocation instead).
int local_rank_limit() {
  const long cores = sysconf(_SC_NPROCESSORS_ONLN);
  return static_cast<int>(std::max(4L, 4 * std::max(1L, cores)));
}

// Replaces this process by `launcher` running `nproc` copies of this program's own command line.
[[noreturn]] void launch(const cli::Program& program, int nproc) {
  const std::string launcher = choose_launcher();
  if (launcher == "mpirun" && nproc > local_rank_limit())
    throw UsageError(fmt::format("--nproc {}: mpirun starts at most {} ranks on this machine ({} cores, 4 per core); "
                                 "run more inside a SLURM allocation (srun)",
                                 nproc, local_rank_limit(), sysconf(_SC_NPROCESSORS_ONLN)));
  std::vector<std::string> args = {launcher};
  if (launcher == "srun") {
    args.insert(args.end(), {"--mpi=pmix", fmt::format("--ntasks={}", nproc),
                             fmt::format("--cpus-per-task={}", program.threads()), "--kill-on-bad-exit=1"});
  } else {
    args.insert(args.end(), {"-n", std::to_string(nproc), "--oversubscribe", "--bind-to", "none", "-x", kLaunchedVar,
                             // Containers often forbid the cross-memory attach of the shared-memory transport.
                             "--mca", "btl_vader_single_copy_mechanism", "none"});
    if (geteuid() == 0) args.emplace_back("--allow-run-as-root");
  }
  args.push_back(own_executable());
  const auto& own = program.arguments();
  args.insert(args.end(), own.begin() + 1, own.end());
  setenv(kLaunchedVar, "1", 1);
  spdlog::info("starting {} ranks with {}", nproc, launcher);
  spdlog::default_logger()->flush();
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  throw Error(fmt::format("cannot start {}: {}", launcher, std::strerror(errno)));
}

// `nproc` 0: as many ranks as the launcher started (--nproc not given).
void join(cli::Program& program, int nproc) {
  int provided = 0;
  if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
    throw Error("MPI_Init failed: this process was started by an MPI launcher it cannot talk to");
  g_joined = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &g_world.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_world.size);
  if (nproc > 0 && g_world.size != nproc)
    throw UsageError(fmt::format("--nproc {}: the launcher started {} ranks; give the same number", nproc, g_world.size));
  program.set_world_size(g_world.size);
  auto logger = spdlog::default_logger();
  logger->set_pattern(fmt::format("[%Y-%m-%d %H:%M:%S] [%n rank {}/{}] [%l] %v", g_world.rank, g_world.size));
  if (g_world.rank > 0 && logger->level() < spdlog::level::warn) logger->set_level(spdlog::level::warn);
  spdlog::info("data-parallel training on {} ranks", g_world.size);
}

void leave(int code) {
  if (!g_joined) return;
  if (code != 0 && g_world.size > 1) {
    spdlog::error("rank {} of {} failed; stopping every rank, no artifact is written", g_world.rank, g_world.size);
    spdlog::default_logger()->flush();
    MPI_Abort(MPI_COMM_WORLD, code);
  }
  MPI_Finalize();
  g_joined = false;
}

int count(size_t n) {
  if (n > static_cast<size_t>(INT_MAX)) throw Error(fmt::format("{} values are too many for one MPI message", n));
  return static_cast<int>(n);
}

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw Error(fmt::format("{} failed on rank {} (MPI error {})", what, g_world.rank, rc));
}

// The one in-place all-reduce behind the typed entries (a no-op in a world of one).
void allreduce(void* data, size_t n, MPI_Datatype type, MPI_Op op) {
  if (g_world.size > 1) check(MPI_Allreduce(MPI_IN_PLACE, data, count(n), type, op, MPI_COMM_WORLD), "MPI_Allreduce");
}

// The first line of the MPI library's own version text ("Open MPI v4.1.4, package: ..."); callable
// before MPI_Init.
std::string mpi_library_version() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  if (MPI_Get_library_version(text, &length) != MPI_SUCCESS) return "unknown";
  std::string s(text, static_cast<size_t>(std::max(0, length)));
  const auto end = s.find_first_of(",\n");
  return end == std::string::npos ? s : s.substr(0, end);
}

}  // namespace

const World& world() { return g_world; }

void add_parallel_option(cli::Program& program) {
  auto nproc = std::make_shared<int>(1);
  CLI::Option* option = program.app().add_option("--nproc", *nproc,
                  "Processes that train together, data-parallel (MPI): each trains on its share of every batch and "
                  "the gradients are averaged. Started by srun inside a SLURM allocation, else by mpirun")
      ->capture_default_str()
      ->check(cli::number_range(1, kMaxRanks));
  program.on_start([&program, nproc, option] {
    note_environment("mpi", mpi_library_version());
    if (started_by_mpi_launcher()) return join(program, option->count() ? *nproc : 0);
    if (std::getenv(kLaunchedVar))
      throw UsageError("this rank found no MPI launcher around it; with srun, give --mpi=pmix");
    if (*nproc > 1) launch(program, *nproc);
  });
  program.on_exit(leave);
}

void allreduce_sum(float* data, size_t n) { allreduce(data, n, MPI_FLOAT, MPI_SUM); }
void allreduce_sum(double* data, size_t n) { allreduce(data, n, MPI_DOUBLE, MPI_SUM); }
void allreduce_max(float* data, size_t n) { allreduce(data, n, MPI_FLOAT, MPI_MAX); }
void allreduce_max(double* data, size_t n) { allreduce(data, n, MPI_DOUBLE, MPI_MAX); }

void broadcast(float* data, size_t n) {
  if (g_world.size > 1) check(MPI_Bcast(data, count(n), MPI_FLOAT, 0, MPI_COMM_WORLD), "MPI_Bcast");
}

void barrier() {
  if (g_world.size > 1) check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
}

}  // namespace axnn::parallel
