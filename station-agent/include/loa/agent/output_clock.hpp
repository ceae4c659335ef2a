#pragma once

#include "loa/common/clock.hpp"
#include "loa/common/clock_offset.hpp"

namespace loa::agent {

// The clock an agent's audio output maps its stream time by: the agent's own clock plus the
// offset the estimator applies now, without the corrected clock's never-go-back floor. After a
// step backwards (an agent whose clock was fast) the corrected clock stands still until time
// catches up; this one goes back at once, so the output's DeviceTimeline re-anchors once instead
// of following a clock that stood still for seconds. Thread-safe: any thread (takes the
// estimator's lock briefly, so not from a real-time callback).
class OutputClock final : public IClock {
public:
    OutputClock(const IClock& local, const ClockOffsetEstimator& estimator)
        : local_{local}, estimator_{estimator} {}

    TimePoint now() const override { return local_.now() + estimator_.offset(); }

private:
    const IClock& local_;
    const ClockOffsetEstimator& estimator_;
};

}  // namespace loa::agent
