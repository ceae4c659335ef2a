#include "loa/agent/output_monitor.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace loa::agent {
namespace {

using Kind = MonitorEvent::Kind;

TimePoint at_seconds(std::int64_t s) {
    return TimePoint{std::chrono::seconds{s}};
}

audio::SecondLevel level(std::int64_t s, float rms, bool active, std::uint32_t clipped = 0) {
    audio::SecondLevel l;
    l.start = at_seconds(s);
    l.rms_dbfs = rms;
    l.peak_dbfs = rms + 3.0F;
    l.clipped = clipped;
    l.frames = 48000;
    l.active = active;
    return l;
}

TEST(OutputMonitor, DeadAirStartsAfterThresholdAndEndsWhenSoundReturns) {
    OutputMonitor monitor{"main", OutputMonitorOptions{}};
    std::vector<MonitorEvent> all;
    auto feed = [&](const audio::SecondLevel& l) {
        auto ev = monitor.on_level(l);
        all.insert(all.end(), ev.begin(), ev.end());
        return ev.size();
    };
    EXPECT_EQ(feed(level(100, -20.0F, true)), 0U);
    for (std::int64_t s = 101; s <= 104; ++s) {  // 4 s of silence: not yet dead air
        EXPECT_EQ(feed(level(s, -70.0F, true)), 0U) << s;
    }
    EXPECT_FALSE(monitor.in_dead_air());
    ASSERT_EQ(feed(level(105, -70.0F, true)), 1U);  // 5 s
    EXPECT_EQ(all.back().kind, Kind::dead_air_start);
    EXPECT_EQ(all.back().at, at_seconds(101));
    EXPECT_EQ(all.back().zone, "main");
    EXPECT_TRUE(monitor.in_dead_air());
    EXPECT_EQ(feed(level(106, -70.0F, true)), 0U);  // one event per stretch
    ASSERT_EQ(feed(level(107, -18.0F, true)), 1U);
    EXPECT_EQ(all.back().kind, Kind::dead_air_end);
    EXPECT_EQ(all.back().at, at_seconds(107));
    EXPECT_FALSE(monitor.in_dead_air());
    EXPECT_EQ(monitor.dead_air_events(), 1U);
}

TEST(OutputMonitor, SilenceWithoutAnItemIsNotDeadAir) {
    OutputMonitor monitor{"main", OutputMonitorOptions{}};
    for (std::int64_t s = 0; s < 20; ++s) {
        EXPECT_TRUE(monitor.on_level(level(s, -120.0F, false)).empty());
    }
    EXPECT_EQ(monitor.dead_air_events(), 0U);
}

TEST(OutputMonitor, DeadAirEndsWhenTheItemEnds) {
    OutputMonitorOptions options;
    options.dead_air = std::chrono::seconds{2};
    OutputMonitor monitor{"z", options};
    EXPECT_TRUE(monitor.on_level(level(10, -60.0F, true)).empty());
    auto start = monitor.on_level(level(11, -60.0F, true));
    ASSERT_EQ(start.size(), 1U);
    EXPECT_EQ(start[0].kind, Kind::dead_air_start);
    EXPECT_EQ(start[0].at, at_seconds(10));
    auto end = monitor.on_level(level(12, -120.0F, false));
    ASSERT_EQ(end.size(), 1U);
    EXPECT_EQ(end[0].kind, Kind::dead_air_end);
    EXPECT_EQ(end[0].at, at_seconds(12));
}

TEST(OutputMonitor, AGapInLevelsRestartsTheSilenceCount) {
    OutputMonitorOptions options;
    options.dead_air = std::chrono::seconds{3};
    OutputMonitor monitor{"z", options};
    EXPECT_TRUE(monitor.on_level(level(10, -60.0F, true)).empty());
    EXPECT_TRUE(monitor.on_level(level(11, -60.0F, true)).empty());
    EXPECT_TRUE(monitor.on_level(level(20, -60.0F, true)).empty());  // seconds 12-19 missing
    EXPECT_TRUE(monitor.on_level(level(21, -60.0F, true)).empty());
    auto ev = monitor.on_level(level(22, -60.0F, true));
    ASSERT_EQ(ev.size(), 1U);
    EXPECT_EQ(ev[0].at, at_seconds(20));
}

TEST(OutputMonitor, ClippingAboveThresholdIsReported) {
    OutputMonitor monitor{"main", OutputMonitorOptions{}};
    EXPECT_TRUE(monitor.on_level(level(1, -3.0F, true, 10)).empty());  // not more than 10
    auto ev = monitor.on_level(level(2, -3.0F, true, 11));
    ASSERT_EQ(ev.size(), 1U);
    EXPECT_EQ(ev[0].kind, Kind::clipping);
    EXPECT_EQ(ev[0].at, at_seconds(2));
    EXPECT_EQ(ev[0].detail, "11 clipped samples");
    EXPECT_EQ(monitor.clipping_events(), 1U);
}

}  // namespace
}  // namespace loa::agent
