#pragma once

#include <chrono>
#include <string_view>

namespace loa::service {

// The systemd notify protocol without libsystemd (whose dependencies cost a small daemon about
// 1 MB of resident memory): a datagram to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or
// an abstract name starting with '@').
//
// Threads: any thread; the functions keep no state.

// Sends `state` ("READY=1", "WATCHDOG=1", "STATUS=...", several separated by newlines) to the
// service manager. Returns false when no manager listens ($NOTIFY_SOCKET unset) or the send
// failed; never throws.
bool notify(std::string_view state);

// The watchdog interval systemd expects pings within ($WATCHDOG_USEC, when $WATCHDOG_PID is unset
// or names this process); zero when the watchdog is off.
std::chrono::microseconds watchdog_interval();

}  // namespace loa::service
