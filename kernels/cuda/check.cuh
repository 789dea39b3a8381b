// Error checking shared by the CUDA kernels: a failed call throws, naming the call.
#pragma once

#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#define AXNN_CUDA_CHECK(expr)                                                                           \
  do {                                                                                                  \
    cudaError_t err_ = (expr);                                                                          \
    if (err_ != cudaSuccess)                                                                            \
      throw std::runtime_error(std::string("CUDA error: ") + cudaGetErrorString(err_) + " in " #expr); \
  } while (0)
