#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

namespace loa::log {

// Sets up the process-wide logger: the console always, and journald as well when the process
// runs under systemd (JOURNAL_STREAM is set). `level` is one of spdlog's level names
// (trace, debug, info, warn, error, critical, off). Throws std::invalid_argument on an unknown
// level. Call once, from main, before other threads start.
void init(std::string_view program, std::string_view level);

// True when `level` names a spdlog level.
bool valid_level(std::string_view level);

}  // namespace loa::log
