// Captures from a JACK server's input through PortAudio's JACK host API. Needs a running JACK
// server, for example `jackd --no-realtime -d dummy -r 48000 &` (the dummy driver's input is
// silence, paced in real time); skips when there is none. Registered under the label "jack".
#include "loa/audio/live_capture_source.hpp"
#include "loa/audio/live_opus_decoder.hpp"
#include "loa/audio/live_opus_encoder.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

namespace loa::audio {
namespace {

using namespace std::chrono_literals;

constexpr const char* kJack = "JACK Audio Connection Kit";

Result<std::unique_ptr<LiveCaptureSource>> open_or_skip(const std::string& device, bool& skip) {
    auto source = LiveCaptureSource::open(device, kJack, SystemClock::instance());
    skip = !source && source.error().message.find("no host API") != std::string::npos;
    return source;
}

TEST(LiveCaptureJack, FramesArrivePacedAndStampedWithTheirCaptureTime) {
    const IClock& clock = SystemClock::instance();
    bool skip = false;
    auto source = open_or_skip("default", skip);
    if (skip) {
        GTEST_SKIP() << "no JACK server running: " << source.error().message;
    }
    ASSERT_TRUE(source) << source.error().message;
    EXPECT_EQ((*source)->describe().rfind("portaudio:JACK Audio Connection Kit/", 0), 0U);

    const TimePoint first = clock.now();
    (*source)->set_first_capture(first);
    std::vector<EncodedLiveFrame> frames;
    std::vector<TimePoint> released;
    const TimePoint end = first + 1500ms;
    while (clock.now() < end) {
        auto got = (*source)->poll(clock.now());
        ASSERT_TRUE(got) << got.error().message;
        for (auto& f : *got) {
            released.push_back(clock.now());
            frames.push_back(std::move(f));
        }
        std::this_thread::sleep_until((*source)->next_due());  // the source's pacing contract
    }
    // 1.5 s of capture: the indexes follow the wall clock (a frame or two may still be in the
    // ring). A busy machine makes the dummy JACK driver fall behind the wall clock (it then
    // captures fewer samples than the time passed): the source skips the indexes it cannot
    // fill rather than let its stamps drift from the true capture times.
    ASSERT_FALSE(frames.empty());
    const std::uint64_t slots = frames.back().index + 1;
    EXPECT_GE(slots, 70U);
    EXPECT_LE(slots, 75U);
    EXPECT_EQ((*source)->skipped_frames(), slots - frames.size());
    EXPECT_GE(static_cast<double>(frames.size()), 0.8 * static_cast<double>(slots));
    EXPECT_EQ(frames.front().index, 0U);
    EXPECT_EQ(frames.front().capture, first);
    std::vector<double> late_ms;
    double earliest = 1e9;
    double latest = -1e9;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        if (i > 0) {
            EXPECT_GT(frames[i].index, frames[i - 1].index);
            EXPECT_EQ(frames[i].capture - frames[i - 1].capture,
                      20ms * static_cast<int>(frames[i].index - frames[i - 1].index));
        }
        EXPECT_EQ(frames[i].capture, first + 20ms * static_cast<int>(frames[i].index));
        // A frame is complete 20 ms after its first sample was captured: it comes out then,
        // plus the JACK period and the poll, never much earlier.
        late_ms.push_back(
            std::chrono::duration<double, std::milli>(released[i] - frames[i].capture - 20ms)
                .count());
    }
    for (const double ms : late_ms) {
        earliest = std::min(earliest, ms);
        latest = std::max(latest, ms);
    }
    std::sort(late_ms.begin(), late_ms.end());
    EXPECT_GT(earliest, -LiveCaptureSource::kMaxStampError.count() / 1e6);
    EXPECT_LT(latest, 30.0);
    EXPECT_LT(std::abs(late_ms[late_ms.size() / 2]), 12.0) << "median lateness (ms)";

    // The dummy driver captures silence; so do the frames.
    auto decoder = LiveOpusDecoder::create();
    ASSERT_TRUE(decoder);
    std::vector<float> pcm(kLiveFrameSamples);
    float peak = 0.0F;
    for (const auto& f : frames) {
        ASSERT_TRUE((*decoder)->decode(f.opus, pcm));
        for (float v : pcm) {
            peak = std::max(peak, std::abs(v));
        }
    }
    EXPECT_LT(peak, 1e-3F);
    EXPECT_EQ((*source)->overflowed_samples(), 0U);
}

TEST(LiveCaptureJack, AnUnknownDeviceFailsListingTheInputDevices) {
    bool skip = false;
    auto source = open_or_skip("No Such Microphone", skip);
    if (skip) {
        GTEST_SKIP() << "no JACK server running: " << source.error().message;
    }
    ASSERT_FALSE(source);
    const auto& message = source.error().message;
    EXPECT_NE(message.find("no input device \"No Such Microphone\" on host API \"JACK Audio "
                           "Connection Kit\""),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("input devices: "), std::string::npos) << message;
    EXPECT_NE(message.find("JACK Audio Connection Kit / system"), std::string::npos) << message;
}

}  // namespace
}  // namespace loa::audio
