#include <limits>

#include "kernels/lut_gemm.h"

namespace axnn::kernels {

PreparedLut::PreparedLut(const int32_t* lut) : planes_(256 * 512), columns_(256 * 256) {
  fits_int16_ = true;
  for (int wi = 0; wi < 256; ++wi) {
    for (int x = 0; x < 256; ++x) {
      int32_t t = lut[x * 256 + wi];
      columns_[static_cast<size_t>(wi) * 256 + x] = t;
      if (t < std::numeric_limits<int16_t>::min() || t > std::numeric_limits<int16_t>::max()) fits_int16_ = false;
      auto u = static_cast<uint16_t>(static_cast<int16_t>(t));
      planes_[static_cast<size_t>(wi) * 512 + x] = static_cast<uint8_t>(u & 0xff);
      // High byte biased by 128 so it is unsigned; the kernel subtracts 128 * 256 per term.
      planes_[static_cast<size_t>(wi) * 512 + 256 + x] = static_cast<uint8_t>(((u >> 8) + 128) & 0xff);
    }
  }
}

}  // namespace axnn::kernels
