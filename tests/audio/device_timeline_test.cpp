#include "loa/audio/device_timeline.hpp"

#include "loa/audio/frame_time.hpp"

#include <gtest/gtest.h>

#include <array>

using namespace loa::audio;
using loa::TimePoint;
using namespace std::chrono_literals;

namespace {

const TimePoint kT0 = loa::from_unix_us(1'790'000'000'000'000);
constexpr std::size_t kBlock = 1024;

TimePoint block_time(std::int64_t k) {
    return kT0 + frames_to_duration(k * static_cast<std::int64_t>(kBlock));
}

}  // namespace

TEST(DeviceTimeline, TakesTheFirstReportAsIs) {
    DeviceTimeline timeline;
    EXPECT_EQ(timeline.next(kT0, kBlock), kT0);
}

TEST(DeviceTimeline, ExactReportsStayExact) {
    DeviceTimeline timeline;
    for (std::int64_t k = 0; k < 100; ++k) {
        ASSERT_EQ(timeline.next(block_time(k), kBlock), block_time(k)) << "block " << k;
    }
}

TEST(DeviceTimeline, JitterIsFilteredOut) {
    DeviceTimeline timeline;
    timeline.next(block_time(0), kBlock);
    for (std::int64_t k = 1; k < 500; ++k) {
        // Reports up to 3 ms off either way, the way a busy host reports them.
        constexpr std::array<std::chrono::microseconds, 4> kJitter{3ms, -3ms, 1ms, -1ms};
        const auto jitter = kJitter[static_cast<std::size_t>(k) % kJitter.size()];
        const TimePoint t = timeline.next(block_time(k) + jitter, kBlock);
        ASSERT_LT(std::chrono::abs(t - block_time(k)), 200us) << "block " << k;
    }
}

TEST(DeviceTimeline, FollowsASlowDrift) {
    // The device's clock runs 200 ppm fast against the wall clock: each block is reported a
    // little early, 4.3 ms early after 1000 blocks (21 s).
    DeviceTimeline timeline;
    TimePoint t{};
    TimePoint reported{};
    for (std::int64_t k = 0; k < 1000; ++k) {
        const auto nominal = frames_to_duration(k * static_cast<std::int64_t>(kBlock));
        reported = kT0 + nominal - nominal / 5000;
        t = timeline.next(reported, kBlock);
    }
    EXPECT_LT(std::chrono::abs(t - reported), 500us);
}

TEST(DeviceTimeline, BigJumpsAreTakenAtOnce) {
    DeviceTimeline timeline;
    timeline.next(block_time(0), kBlock);
    timeline.next(block_time(1), kBlock);
    // An xrun: the device skipped 50 ms.
    const TimePoint later = block_time(2) + 50ms;
    EXPECT_EQ(timeline.next(later, kBlock), later);
    timeline.reset();
    EXPECT_EQ(timeline.next(kT0, kBlock), kT0);
}
