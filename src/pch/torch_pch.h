// Precompiled header for translation units that use LibTorch (~15 s and ~1 GB each without it).
#pragma once
#include <torch/torch.h>
