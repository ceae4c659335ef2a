#include "loa/audio/live_frame_pump.hpp"
#include "loa/audio/live_opus_decoder.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <vector>

namespace loa::audio {
namespace {

using std::chrono::milliseconds;

std::vector<float> tone(std::size_t n) {
    std::vector<float> pcm(n);
    for (std::size_t i = 0; i < n; ++i) {
        pcm[i] = 0.4F * static_cast<float>(
                            std::sin(2.0 * M_PI * 440.0 * static_cast<double>(i) / 48000.0));
    }
    return pcm;
}

std::unique_ptr<LiveFramePump> pump_over(std::vector<float> pcm, TimePoint start) {
    auto encoder = LiveOpusEncoder::create();
    EXPECT_TRUE(encoder);
    return std::make_unique<LiveFramePump>(std::move(pcm), std::move(encoder).value(), start);
}

TEST(LiveFramePump, ReleasesEachFrameOnlyOnceItsTwentyMillisecondsHavePassed) {
    const TimePoint t0 = from_unix_us(1'700'000'000'000'000);
    FakeClock clock{t0};
    auto pump = pump_over(tone(960 * 5 + 100), t0);  // 5 whole frames and a partial one
    EXPECT_EQ(pump->total_frames(), 6U);

    auto none = pump->poll(clock.now());
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->empty());  // frame 0 is still being captured

    clock.advance(milliseconds{20} - std::chrono::nanoseconds{1});
    EXPECT_TRUE(pump->poll(clock.now())->empty());
    clock.advance(std::chrono::nanoseconds{1});
    auto first = pump->poll(clock.now());
    ASSERT_EQ(first->size(), 1U);
    EXPECT_EQ((*first)[0].index, 0U);
    EXPECT_EQ((*first)[0].capture, t0);
    EXPECT_FALSE((*first)[0].opus.empty());
    EXPECT_EQ(pump->next_due(), t0 + milliseconds{40});

    // A caller that wakes late catches up in one burst, stamps unchanged.
    clock.advance(milliseconds{65});  // now t0 + 85 ms: frames 1..3 are due
    auto burst = pump->poll(clock.now());
    ASSERT_EQ(burst->size(), 3U);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ((*burst)[i].index, i + 1);
        EXPECT_EQ((*burst)[i].capture, t0 + milliseconds{20} * static_cast<int>(i + 1));
    }
    clock.advance(milliseconds{1000});
    auto rest = pump->poll(clock.now());
    ASSERT_EQ(rest->size(), 2U);  // frames 4 and 5 (padded), then the end
    EXPECT_TRUE(pump->finished());
    EXPECT_TRUE(pump->poll(clock.now())->empty());
}

TEST(LiveFramePump, FramesDecodeBackToTheSource) {
    const TimePoint t0 = from_unix_us(1'700'000'000'000'000);
    const auto pcm = tone(960 * 50);
    auto pump = pump_over(pcm, t0);
    auto frames = pump->poll(t0 + std::chrono::seconds{2}, 100);
    ASSERT_EQ(frames->size(), 50U);
    auto decoder = LiveOpusDecoder::create();
    ASSERT_TRUE(decoder);
    std::vector<float> out;
    std::vector<float> frame(kLiveFrameSamples);
    for (const auto& f : *frames) {
        ASSERT_TRUE((*decoder)->decode(f.opus, frame));
        out.insert(out.end(), frame.begin(), frame.end());
    }
    // Opus delays by its look-ahead (312 samples at 48 kHz); past it, the tone is back.
    constexpr std::size_t kLookahead = 312;
    double err = 0;
    double ref = 0;
    for (std::size_t i = 4800; i < out.size(); ++i) {
        const double d = out[i] - pcm[i - kLookahead];
        err += d * d;
        ref += static_cast<double>(pcm[i]) * pcm[i];
    }
    EXPECT_LT(err / ref, 0.05);  // better than -13 dB of error
}

TEST(LiveFramePump, ABadFileIsNamed) {
    auto pump = LiveFramePump::open_file("/nonexistent/bursts.wav", TimePoint{});
    ASSERT_FALSE(pump);
    EXPECT_NE(pump.error().message.find("/nonexistent/bursts.wav"), std::string::npos);
}

}  // namespace
}  // namespace loa::audio
