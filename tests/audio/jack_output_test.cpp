// Plays through PortAudio's JACK host API. Needs a running JACK server, for example
//   jackd --no-realtime -d dummy -r 48000 &
// and skips when there is none. Registered with ctest under the label "jack".
#include "loa/audio/frame_time.hpp"
#include "loa/audio/player.hpp"
#include "loa/audio/portaudio_output.hpp"

#include <gtest/gtest.h>

#include <array>
#include <thread>

using namespace loa::audio;
using namespace std::chrono_literals;

namespace {

constexpr const char* kJack = "JACK Audio Connection Kit";

// Records, for the first blocks it is asked for, the first_frame_time, the block size and the
// wall clock at the call (RT-safe: fixed arrays, atomic index), and passes everything to a
// Player.
class RecordingSource final : public IRenderSource {
public:
    RecordingSource(Player& player, const loa::IClock& clock) : player_{player}, clock_{clock} {}
    void render(std::span<float> out, loa::TimePoint first_frame_time) noexcept override {
        const std::size_t i = count_.load(std::memory_order_relaxed);
        if (i < times_.size()) {
            times_[i] = first_frame_time;
            called_[i] = clock_.now();
            sizes_[i] = out.size();
            count_.store(i + 1, std::memory_order_release);
        }
        player_.render(out, first_frame_time);
    }
    std::size_t recorded() const { return count_.load(std::memory_order_acquire); }
    loa::TimePoint time(std::size_t i) const { return times_[i]; }
    loa::TimePoint called(std::size_t i) const { return called_[i]; }
    std::size_t size(std::size_t i) const { return sizes_[i]; }

private:
    Player& player_;
    const loa::IClock& clock_;
    std::array<loa::TimePoint, 1024> times_{};
    std::array<loa::TimePoint, 1024> called_{};
    std::array<std::size_t, 1024> sizes_{};
    std::atomic<std::size_t> count_{0};
};

}  // namespace

TEST(JackOutput, PlaysInRealTimeWithAWallClockForEachBlock) {
    const auto& clock = loa::SystemClock::instance();
    auto out = PortAudioOutput::open("default", kJack, clock);
    if (!out.ok()) {
        if (out.error().message.find("no host API") != std::string::npos) {
            GTEST_SKIP() << "no JACK server running: " << out.error().message;
        }
        FAIL() << out.error().message;
    }
    EXPECT_NE((*out)->describe().find("portaudio:JACK Audio Connection Kit/"), std::string::npos);

    Player player;
    RecordingSource source{player, clock};
    // A tone cued 200 ms from now, fed ahead.
    auto slot = player.cue(1, clock.now() + 200ms);
    ASSERT_TRUE(slot);
    const std::vector<float> tone(24000, 0.25F);
    ASSERT_EQ(player.write(*slot, tone), tone.size());
    player.end_of_stream(*slot);

    const auto begin = std::chrono::steady_clock::now();
    ASSERT_TRUE((*out)->start(source).ok());
    std::this_thread::sleep_for(1s);  // the test is about real-time pacing: let it run 1 s
    const std::uint64_t frames = (*out)->frames_rendered();
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    (*out)->stop();
    (*out)->stop();  // idempotent
    const std::uint64_t after_stop = (*out)->frames_rendered();

    EXPECT_NEAR(static_cast<double>(frames), elapsed * 48000.0, elapsed * 48000.0 * 0.1);
    EXPECT_EQ((*out)->frames_rendered(), after_stop);  // nothing rendered after stop

    // Each block is stamped with the time it will be heard: a little after the callback (the
    // output latency), never far from it.
    const std::size_t n = source.recorded();
    ASSERT_GE(n, 10U);
    for (std::size_t i = 0; i < n; ++i) {
        const auto ahead = source.time(i) - source.called(i);
        EXPECT_GT(ahead, -50ms) << "block " << i;
        EXPECT_LT(ahead, 200ms) << "block " << i;
    }
    // The host API's times jitter by milliseconds; the output smooths them, so consecutive
    // stamps advance by the block's length. A busy machine can make the dummy JACK driver fall
    // behind (the output then jumps, as after an xrun), so allow a few blocks that do not.
    std::size_t smooth = 0;
    for (std::size_t i = 1; i < n; ++i) {
        const auto step = source.time(i) - source.time(i - 1);
        const auto expected = frames_to_duration(static_cast<std::int64_t>(source.size(i - 1)));
        smooth += std::chrono::abs(step - expected) < 500us ? 1 : 0;
    }
    EXPECT_GE(static_cast<double>(smooth), 0.9 * static_cast<double>(n - 1));

    auto done = player.poll_finished();
    ASSERT_TRUE(done.has_value());
    EXPECT_TRUE(done->started);
    EXPECT_TRUE(done->completed);
    EXPECT_EQ(done->frames, tone.size());
}

TEST(JackOutput, MissingDeviceListsTheJackDevices) {
    auto out = PortAudioOutput::open("no-such-client", kJack, loa::SystemClock::instance());
    ASSERT_FALSE(out.ok());
    if (out.error().message.find("no host API") != std::string::npos) {
        GTEST_SKIP() << "no JACK server running";
    }
    EXPECT_NE(out.error().message.find("\"no-such-client\""), std::string::npos);
    EXPECT_NE(out.error().message.find(std::string{kJack} + " / "), std::string::npos)
        << out.error().message;
}
