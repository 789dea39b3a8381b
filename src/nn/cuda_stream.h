// Torch's current CUDA stream for a device, as an opaque cudaStream_t, so the table kernels launch
// in order with the surrounding torch ops. Kept apart so only one file needs CUDA headers.
#pragma once

namespace axnn::nn {

// nullptr (the default stream) in a build without CUDA kernels.
void* current_cuda_stream(int device);

}  // namespace axnn::nn
