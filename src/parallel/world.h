// Data-parallel training across processes and nodes, on MPI (Debian's OpenMPI; SLURM starts its ranks
// natively with srun --mpi=pmix). Torch stays out of this header: the collectives take plain buffers.
//
// A training program with --nproc N > 1 that no MPI launcher started runs N ranks of its own command
// line (srun inside a SLURM allocation, else mpirun) and exits with their status. Each rank joins the
// world; rank 0 alone logs at info level and writes the artifact. A rank that fails aborts every rank.
#pragma once

#include <cstddef>

namespace axnn::cli {
class Program;
}

namespace axnn::parallel {

struct World {
  int rank = 0;
  int size = 1;
};

// This process's place in the world; a world of one without --nproc.
const World& world();
inline bool is_root() { return world().rank == 0; }

// Adds --nproc N to `program`. After parsing: joins the world when an MPI launcher started this
// process (its size must be N), or starts N ranks and exits with their status; after the program's
// body it leaves the world (MPI_Finalize), or, when the body failed on this rank, aborts every rank.
void add_parallel_option(cli::Program& program);

// In-place sums over every rank (no-ops in a world of one).
void allreduce_sum(float* data, size_t n);
void allreduce_sum(double* data, size_t n);
// In-place element-wise maxima over every rank.
void allreduce_max(float* data, size_t n);
void allreduce_max(double* data, size_t n);
// Rank 0's values to every rank.
void broadcast(float* data, size_t n);
// Returns when every rank has called it.
void barrier();

}  // namespace axnn::parallel
