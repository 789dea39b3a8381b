#include "core/progress.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

namespace axnn {
namespace {

// Not on a terminal (as under ctest), progress goes to the log as plain lines.
TEST(Progress, WritesPlainLogLinesWhenNotOnTerminal) {
  std::ostringstream os;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(os);
  auto logger = std::make_shared<spdlog::logger>("progress-test", sink);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);
  Progress::set_log_interval(0.0);
  {
    Progress p("epoch 1/1", 4);
    for (int i = 0; i < 4; ++i) p.advance(1, "loss 0.5");
  }
  spdlog::set_default_logger(previous);
  std::string out = os.str();
  EXPECT_NE(out.find("epoch 1/1"), std::string::npos) << out;
  EXPECT_NE(out.find("100%"), std::string::npos) << out;
  EXPECT_NE(out.find("4/4"), std::string::npos) << out;
  EXPECT_NE(out.find("loss 0.5"), std::string::npos) << out;
  EXPECT_EQ(out.find('\r'), std::string::npos) << "no carriage returns in plain logs";
}

}  // namespace
}  // namespace axnn
