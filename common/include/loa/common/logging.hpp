#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

namespace loa::log {

// Sets up the process-wide logger on stderr: with time stamps and colours on a console; under
// systemd (JOURNAL_STREAM is set) as journal lines, each with its syslog priority prefix ("<3>")
// so `journalctl -p warning` works, without linking libsystemd. `level` is one of spdlog's level
// names (trace, debug, info, warn, error, critical, off). Throws std::invalid_argument on an
// unknown level. Call once, from main, before other threads start.
void init(std::string_view program, std::string_view level);

// True when `level` names a spdlog level.
bool valid_level(std::string_view level);

}  // namespace loa::log
