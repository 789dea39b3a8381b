#include "tensor/device.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"

namespace axnn {
namespace {

TEST(Device, ParsesEverySpelling) {
  EXPECT_EQ(parse_device_spec("auto").kind, DeviceSpec::Kind::Auto);
  EXPECT_EQ(parse_device_spec("cpu").kind, DeviceSpec::Kind::Cpu);
  EXPECT_EQ(parse_device_spec("cuda").kind, DeviceSpec::Kind::Cuda);
  EXPECT_EQ(parse_device_spec("cuda").index, -1);
  EXPECT_EQ(parse_device_spec("cuda:3").index, 3);
  EXPECT_THROW(parse_device_spec("gpu"), UsageError);
  EXPECT_THROW(parse_device_spec("cuda:"), UsageError);
  EXPECT_THROW(parse_device_spec("cuda:x"), UsageError);
}

TEST(Device, CpuAlwaysResolvesAndAMissingGpuIsAUsageError) {
  EXPECT_EQ(resolve_device(parse_device_spec("cpu")), "cpu");
  if (torch::cuda::is_available()) {
    EXPECT_EQ(resolve_device(parse_device_spec("cuda")), "cuda:0");
    EXPECT_THROW(resolve_device(parse_device_spec("cuda:999")), UsageError);
  } else {
    EXPECT_EQ(resolve_device(parse_device_spec("auto")), "cpu");
    EXPECT_THROW(resolve_device(parse_device_spec("cuda")), UsageError);
    EXPECT_THROW(resolve_device(parse_device_spec("cuda:1")), UsageError);
  }
}

}  // namespace
}  // namespace axnn
