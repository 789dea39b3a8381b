#include "core/log.h"

#include <unistd.h>

#include <spdlog/sinks/stdout_color_sinks.h>

#include "core/error.h"

namespace axnn {

void init_logging(const std::string& program, const std::string& level) {
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off")
    throw UsageError("--log-level: expected one of trace, debug, info, warn, error, off; got \"" + level + "\"");
  auto logger = spdlog::stderr_color_mt(program);
  logger->set_pattern(stderr_is_terminal() ? "[%H:%M:%S] [%^%l%$] %v" : "[%Y-%m-%d %H:%M:%S] [%n] [%l] %v");
  logger->set_level(parsed);
  spdlog::set_default_logger(logger);
}

bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

}  // namespace axnn
