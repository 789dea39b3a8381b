// The dedicated depthwise path of lut_conv2d.
#pragma once

#include "kernels/lut_gemm.h"

namespace axnn::kernels::detail {

void lut_depthwise(const Conv2dShape& s, const int8_t* x, const int8_t* w, const PreparedLut& lut, int32_t* y);

}  // namespace axnn::kernels::detail
