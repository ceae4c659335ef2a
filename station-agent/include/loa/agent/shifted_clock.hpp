#pragma once

#include "loa/common/clock.hpp"

namespace loa::agent {

// A clock that reads another one plus a fixed shift. `[clock] simulated_offset_ms` makes an
// agent's own clock wrong by that much (a testing aid for the clock synchronisation: agents
// whose clocks are seconds apart must still play in step). Thread-safe: any thread.
class ShiftedClock final : public IClock {
public:
    ShiftedClock(const IClock& base, Duration shift) : base_{base}, shift_{shift} {}

    TimePoint now() const override { return base_.now() + shift_; }
    Duration shift() const { return shift_; }

private:
    const IClock& base_;
    Duration shift_;
};

}  // namespace loa::agent
