#include "loa/common/clock.hpp"

namespace loa {

std::int64_t to_unix_us(TimePoint t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

TimePoint from_unix_us(std::int64_t us) {
    return TimePoint{std::chrono::microseconds{us}};
}

TimePoint SystemClock::now() const {
    return std::chrono::time_point_cast<Duration>(Clock::now());
}

const SystemClock& SystemClock::instance() {
    static const SystemClock clock;
    return clock;
}

FakeClock::FakeClock(TimePoint start) : now_ns_{start.time_since_epoch().count()} {}

TimePoint FakeClock::now() const {
    return TimePoint{Duration{now_ns_.load()}};
}

void FakeClock::set(TimePoint t) {
    now_ns_.store(t.time_since_epoch().count());
}

void FakeClock::advance(Duration d) {
    now_ns_.fetch_add(d.count());
}

}  // namespace loa
