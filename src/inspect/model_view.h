// axnn-inspect's per-layer table for model artifacts. Torch-free: it reads the HDF5 attributes that
// models/checkpoint writes, so axnn-inspect does not load LibTorch.
#pragma once

namespace axnn::inspect {

void register_model_view();

}  // namespace axnn::inspect
