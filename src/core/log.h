// Logging through spdlog: one stderr logger for every program (Snakemake captures stderr into logs).
#pragma once

#include <string>

#include <spdlog/spdlog.h>

namespace axnn {

// Sets up the default logger; `level` is one of trace, debug, info, warn, error, off.
void init_logging(const std::string& program, const std::string& level = "info");

// True when stderr is a terminal (progress bars then redraw in place).
bool stderr_is_terminal();

}  // namespace axnn
