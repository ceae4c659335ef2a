#pragma once

#include "loa/agent/output_clock.hpp"
#include "loa/agent/shifted_clock.hpp"
#include "loa/common/clock.hpp"
#include "loa/common/clock_offset.hpp"

namespace loa::agent {

// An agent's two clocks: `local()`, its own clock (the base clock, shifted by
// `[clock] simulated_offset_ms` when set), which stamps t1 and t4 of the clock exchanges; and
// `corrected()`, the scheduler's time as estimated from those exchanges (ClockOffsetEstimator),
// by which the agent plays, dates as-run records and maps its output's stream time to wall time.
// Until the first exchange the corrected clock is the local one. `output()` is the corrected time
// without its never-go-back floor, for the audio output's stream-to-wall mapping (OutputClock).
//
// Threads: made and destroyed by the control thread; it must outlive everything given its
// clocks. The link thread feeds estimator(); any thread reads the clocks.
class StationClock {
public:
    explicit StationClock(const IClock& base, Duration simulated_offset = {})
        : local_{base, simulated_offset}, corrected_{local_}, output_{local_, corrected_} {}
    StationClock(const StationClock&) = delete;
    StationClock& operator=(const StationClock&) = delete;

    const IClock& local() const { return local_; }
    const IClock& corrected() const { return corrected_; }
    const IClock& output() const { return output_; }
    ClockOffsetEstimator& estimator() { return corrected_; }
    Duration simulated_offset() const { return local_.shift(); }

private:
    ShiftedClock local_;
    ClockOffsetEstimator corrected_;
    OutputClock output_;
};

}  // namespace loa::agent
