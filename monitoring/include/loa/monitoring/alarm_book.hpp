#pragma once

#include "loa/common/clock.hpp"
#include "loa/monitoring/alarm.hpp"

#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace loa::monitoring {

// The alarms now active, fed successive evaluations of the AlarmRules. update() compares the
// new evaluation with the active set: a key not active before is raised (raised_at = now), a
// key still present is kept with its first raised_at and since (its texts and severity follow
// the newest evaluation), an active key missing from the evaluation is cleared (cleared_at =
// now) and moves to the recent history. Time comes from the injected clock.
//
// Thread-safe: every member takes the book's lock; any thread may call them.
class AlarmBook {
public:
    explicit AlarmBook(const IClock& clock, std::size_t history_limit = 1000);
    AlarmBook(const AlarmBook&) = delete;
    AlarmBook& operator=(const AlarmBook&) = delete;

    // Start-up (before the first update()): takes the active alarms and the cleared history as
    // kept before a restart, replacing what the book holds. An active alarm keeps its raised_at
    // and since, so an evaluation that still holds its key does not raise it again; cleared ones
    // are taken newest first (at most history_limit).
    void restore(std::vector<AlarmEvent> active, std::vector<AlarmEvent> cleared);

    // The raise and clear events of this evaluation, raises first, each in key order.
    std::vector<AlarmEvent> update(const std::vector<Alarm>& evaluation);

    // The active alarms (type raised), in key order.
    std::vector<AlarmEvent> active() const;
    // Cleared alarms, newest first, at most history_limit of them.
    std::vector<AlarmEvent> cleared() const;

private:
    const IClock& clock_;
    std::size_t history_limit_;
    mutable std::mutex mutex_;
    std::map<std::string, AlarmEvent> active_;
    std::deque<AlarmEvent> cleared_;
};

}  // namespace loa::monitoring
