// The software and hardware that made an artifact, beyond axnn's own version: library versions
// (HDF5 here; LibTorch, oneDNN/MKL, MPI from the layers that use them), the CPU and the table-kernel
// path, the GPU. Recorded in every artifact's created_by.environment, shown by axnn-inspect, and named
// by axnn-diff when two artifacts differ.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace axnn {

// Sets one entry (a later call for the same key replaces it). Thread-safe.
void note_environment(const std::string& key, nlohmann::json value);

// Every entry noted so far, with the ones core always knows: hdf5, cpu, os.
nlohmann::json environment_record();

// The table kernels the CPU path is told to use: AXNN_KERNELS=auto (default: the fastest this CPU
// has) or portable (no AVX-512; the results are the same bit for bit). Throws UsageError otherwise.
bool portable_kernels_requested();

}  // namespace axnn
