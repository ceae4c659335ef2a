#include "loa/audio/output_meter.hpp"

#include "loa/audio/frame_time.hpp"
#include "loa/audio/player.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

namespace loa::audio {
namespace {

// Renders a fixed pattern: sample n of the stream is pattern(n).
class PatternSource final : public IRenderSource {
public:
    explicit PatternSource(float (*pattern)(std::uint64_t)) : pattern_{pattern} {}
    void render(std::span<float> out, TimePoint /*first_frame_time*/) noexcept override {
        for (float& x : out) {
            x = pattern_(n_++);
        }
    }

private:
    float (*pattern_)(std::uint64_t);
    std::uint64_t n_ = 0;
};

TimePoint at_seconds(std::int64_t s) {
    return TimePoint{std::chrono::seconds{s}};
}

// Renders `seconds` seconds in blocks of `block` frames starting at `start`.
void run(OutputMeter& meter, TimePoint start, std::size_t frames, std::size_t block) {
    std::vector<float> buf(block);
    for (std::size_t done = 0; done < frames; done += block) {
        meter.render(buf, start + frames_to_duration(static_cast<std::int64_t>(done)));
    }
}

TEST(OutputMeter, ConstantLevelIsExact) {
    PatternSource src{[](std::uint64_t) { return 0.5F; }};
    std::atomic<bool> active{true};
    OutputMeter meter{src, active};
    run(meter, at_seconds(1'700'000'000), 48000 * 2 + 480, 480);
    for (int s = 0; s < 2; ++s) {
        auto level = meter.poll();
        ASSERT_TRUE(level.has_value());
        EXPECT_EQ(level->start, at_seconds(1'700'000'000 + s));
        EXPECT_EQ(level->frames, 48000U);
        EXPECT_NEAR(level->rms_dbfs, 20.0 * std::log10(0.5), 1e-4);
        EXPECT_NEAR(level->peak_dbfs, 20.0 * std::log10(0.5), 1e-4);
        EXPECT_EQ(level->clipped, 0U);
        EXPECT_TRUE(level->active);
    }
    EXPECT_FALSE(meter.poll().has_value());  // the third second is not complete
}

TEST(OutputMeter, SineRmsIsPeakMinus3Db) {
    PatternSource src{[](std::uint64_t n) {
        return static_cast<float>(
            0.8 * std::sin(2.0 * std::numbers::pi * 1000.0 * static_cast<double>(n) / 48000.0));
    }};
    std::atomic<bool> active{false};
    OutputMeter meter{src, active};
    run(meter, at_seconds(100), 48000 + 256, 256);
    auto level = meter.poll();
    ASSERT_TRUE(level.has_value());
    EXPECT_NEAR(level->rms_dbfs, 20.0 * std::log10(0.8 / std::sqrt(2.0)), 1e-3);
    EXPECT_NEAR(level->peak_dbfs, 20.0 * std::log10(0.8), 1e-3);
    EXPECT_FALSE(level->active);
}

TEST(OutputMeter, CountsClippedSamples) {
    // Every 1000th sample is full scale; the rest silent.
    PatternSource src{[](std::uint64_t n) { return n % 1000 == 0 ? -1.0F : 0.0F; }};
    std::atomic<bool> active{true};
    OutputMeter meter{src, active};
    run(meter, at_seconds(100), 48000 + 480, 480);
    auto level = meter.poll();
    ASSERT_TRUE(level.has_value());
    EXPECT_EQ(level->clipped, 48U);
    EXPECT_NEAR(level->peak_dbfs, 0.0, 1e-6);
}

TEST(OutputMeter, SecondBoundariesFollowFirstFrameTime) {
    PatternSource src{[](std::uint64_t) { return 0.0F; }};
    std::atomic<bool> active{false};
    OutputMeter meter{src, active};
    // Starts 250 ms into second 100: 12000 frames belong to it, then 48000 to second 101.
    run(meter, at_seconds(100) + std::chrono::milliseconds{750}, 12000 + 48000 + 100, 100);
    auto first = meter.poll();
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->start, at_seconds(100));
    EXPECT_EQ(first->frames, 12000U);
    EXPECT_FLOAT_EQ(first->rms_dbfs, OutputMeter::kFloorDbfs);
    auto second = meter.poll();
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(second->start, at_seconds(101));
    EXPECT_EQ(second->frames, 48000U);
    EXPECT_FALSE(meter.poll().has_value());
}

TEST(OutputMeter, FullQueueDropsAndCounts) {
    PatternSource src{[](std::uint64_t) { return 0.1F; }};
    std::atomic<bool> active{false};
    OutputMeter meter{src, active, 2};
    run(meter, at_seconds(0), 48000 * 4 + 480, 480);  // 4 completed seconds, room for 2
    EXPECT_EQ(meter.dropped(), 2U);
    EXPECT_EQ(meter.poll()->start, at_seconds(0));
    EXPECT_EQ(meter.poll()->start, at_seconds(1));
    EXPECT_FALSE(meter.poll().has_value());
}

TEST(OutputMeter, WrapsPlayerAndReportsItsActivity) {
    Player player{48000};
    OutputMeter meter{player};
    const TimePoint t0 = at_seconds(1000);
    auto slot = player.cue(7, t0 + std::chrono::seconds{1});
    ASSERT_TRUE(slot.has_value());
    std::vector<float> tone(48000, 0.25F);
    ASSERT_EQ(player.write(*slot, tone), tone.size());
    player.end_of_stream(*slot);
    EXPECT_FALSE(player.active());
    run(meter, t0, 48000 * 2 + 480, 480);
    auto idle = meter.poll();
    ASSERT_TRUE(idle.has_value());
    EXPECT_FALSE(idle->active);
    EXPECT_FLOAT_EQ(idle->rms_dbfs, OutputMeter::kFloorDbfs);
    auto playing = meter.poll();
    ASSERT_TRUE(playing.has_value());
    EXPECT_TRUE(playing->active);
    EXPECT_NEAR(playing->rms_dbfs, 20.0 * std::log10(0.25), 1e-3);
}

}  // namespace
}  // namespace loa::audio
