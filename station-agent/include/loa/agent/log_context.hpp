#pragma once

#include <string>
#include <utility>

namespace loa::agent {

// The station a thread works for, for the log lines of a process that hosts many agents
// (loa-agent --fleet). Empty on threads of a single agent: its lines stay as they are.
//
// Threads: each function acts on the calling thread's own value; any thread.
void set_thread_station(std::string station_id);
const std::string& thread_station();

// Makes every line of the default logger start with "[<station>] " when the thread that logs
// it works for a station. Call once, from main, after log::init() and before threads start.
void tag_log_lines_with_station();

// Wraps a thread's body so that the new thread works for the station of the thread that
// creates it (the agents' threads are started by the control thread on behalf of a station).
template <class F>
auto for_this_station(F body) {
    return [station = thread_station(), body = std::move(body)]() mutable {
        set_thread_station(std::move(station));
        body();
    };
}

}  // namespace loa::agent
