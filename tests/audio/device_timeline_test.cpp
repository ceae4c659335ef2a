#include "loa/audio/device_timeline.hpp"

#include "loa/audio/frame_time.hpp"
#include "loa/common/clock_offset.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <vector>

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

// The clock the agent plays by is corrected while the output runs: ClockOffsetEstimator over a
// fake local clock, read once per buffer the way the outputs do.
namespace {

constexpr std::size_t kBuffer = 480;  // 10 ms
const auto kBufferTime = frames_to_duration(static_cast<std::int64_t>(kBuffer));

// One clean exchange telling `estimator` that the reference is `offset` ahead of `local`.
void exchange(loa::ClockOffsetEstimator& estimator, const loa::FakeClock& local,
              loa::Duration offset) {
    const TimePoint t1 = local.now() - 1ms;
    const TimePoint t4 = local.now();
    ASSERT_TRUE(estimator.add_exchange(t1, t1 + offset + 500us, t1 + offset + 500us, t4));
}

}  // namespace

namespace {

// What an agent's output reads each buffer (loa::agent::OutputClock): its own clock plus the
// applied offset, without the corrected clock's floor.
TimePoint output_time(const loa::FakeClock& local, const loa::ClockOffsetEstimator& corrected) {
    return local.now() + corrected.offset();
}

void expect_one_reanchor(loa::Duration correction) {
    loa::FakeClock local{kT0};
    loa::ClockOffsetEstimator corrected{local};
    DeviceTimeline timeline;
    std::vector<TimePoint> times;
    for (int k = 0; k < 300; ++k) {
        if (k == 100) {
            exchange(corrected, local, correction);  // the first exchange
        }
        times.push_back(timeline.next(output_time(local, corrected), kBuffer));
        local.advance(kBufferTime);
    }
    EXPECT_EQ(timeline.reanchors(), 1U);
    for (std::size_t k = 1; k < times.size(); ++k) {
        const auto step = times[k] - times[k - 1];
        if (k == 100) {
            // One jump, exactly the correction, between buffers 99 and 100.
            EXPECT_EQ(step, kBufferTime + correction);
        } else {
            ASSERT_EQ(step, kBufferTime) << "buffer " << k;
        }
    }
    // After the step every buffer carries the scheduler's time.
    EXPECT_EQ(times.back(), kT0 + 299 * kBufferTime + correction);
}

}  // namespace

TEST(DeviceTimeline, AStepOfTheClockReanchorsOnceBetweenBuffers) {
    expect_one_reanchor(2s);       // an agent whose clock was 2 s slow
    expect_one_reanchor(-1500ms);  // and one 1.5 s fast: the timeline goes back at once
}

TEST(DeviceTimeline, ASlewedCorrectionMovesTheTimelineSmoothly) {
    loa::FakeClock local{kT0};
    loa::ClockOffsetEstimator::Options options;
    options.window = 4;  // the new offset fills the window after 4 exchanges
    loa::ClockOffsetEstimator corrected{local, options};
    // Synchronised at start-up (4 exchanges are stepped), then the scheduler is found 10 ms
    // further ahead: under the step threshold, so it is slewed in at 0.5 ms/s.
    for (int i = 0; i < 4; ++i) {
        exchange(corrected, local, 0ms);
        local.advance(1s);
    }
    DeviceTimeline timeline;
    TimePoint previous{};
    loa::Duration worst_error{};
    for (int k = 0; k < 3000; ++k) {  // 30 s
        if (k > 0 && k <= 40 && k % 10 == 0) {
            exchange(corrected, local, 10ms);
        }
        const TimePoint truth = output_time(local, corrected);
        const TimePoint t = timeline.next(truth, kBuffer);
        if (k > 0) {
            // Buffer to buffer the timeline never moves by more than a few microseconds off
            // the nominal buffer duration: no jump.
            ASSERT_LT(std::chrono::abs((t - previous) - kBufferTime), 10us) << "buffer " << k;
        }
        worst_error = std::max(worst_error, std::chrono::abs(t - truth));
        previous = t;
        local.advance(kBufferTime);
    }
    EXPECT_EQ(timeline.reanchors(), 0U);
    // It follows the slewing clock within half a millisecond all along, and by the end (the
    // 10 ms are slewed in 20 s) exactly.
    EXPECT_LT(worst_error, 500us);
    EXPECT_LT(std::chrono::abs(previous - (kT0 + 4s + 2999 * kBufferTime + 10ms)), 5us);
}
