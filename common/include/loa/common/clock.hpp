#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace loa {

// Wall-clock instants are UTC, nanosecond resolution, as used everywhere inside Loa.
using Clock = std::chrono::system_clock;
using TimePoint = std::chrono::time_point<Clock, std::chrono::nanoseconds>;
using Duration = std::chrono::nanoseconds;

// Microseconds since the Unix epoch: the unit of time on the wire and in the stores.
std::int64_t to_unix_us(TimePoint t);
TimePoint from_unix_us(std::int64_t us);

// Every piece of code that needs the time asks an IClock, so tests can set the time by hand.
// Implementations are thread-safe.
class IClock {
public:
    virtual ~IClock() = default;
    virtual TimePoint now() const = 0;
};

// The system's real-time clock.
class SystemClock final : public IClock {
public:
    TimePoint now() const override;
    // A process-wide instance, for the places that need a default (main functions).
    static const SystemClock& instance();
};

// A clock that moves only when told to.
class FakeClock final : public IClock {
public:
    explicit FakeClock(TimePoint start = TimePoint{});
    TimePoint now() const override;
    void set(TimePoint t);
    void advance(Duration d);

private:
    std::atomic<std::int64_t> now_ns_;
};

}  // namespace loa
