#include "loa/audio/clocked_file_sink.hpp"

#include "audio_test_util.hpp"
#include "loa/audio/frame_time.hpp"
#include "loa/audio/player.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <thread>

using namespace loa::audio;
using loa::audio::test::TempDir;
using namespace std::chrono_literals;

namespace {

// Polls `done` every few milliseconds until it holds or `timeout` passes.
template <class Pred>
bool wait_for(Pred done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

bool thread_named(const std::string& name) {
    for (const auto& task : std::filesystem::directory_iterator{"/proc/self/task"}) {
        std::ifstream comm{task.path() / "comm"};
        std::string line;
        if (std::getline(comm, line) && line == name) {
            return true;
        }
    }
    return false;
}

}  // namespace

TEST(ClockedFileSink, ItemLandsOnItsCuedSampleInRealTime) {
    TempDir dir;
    const auto wav = dir / "out.wav";
    Player player;
    ClockedFileSink sink{wav, loa::SystemClock::instance(), 480};
    EXPECT_EQ(sink.describe(), "file:" + wav.string());

    const auto steady_before = std::chrono::steady_clock::now();
    ASSERT_TRUE(sink.start(player).ok());
    EXPECT_TRUE(thread_named("loa-audio-rt"));

    // The sidecar says when sample 0 was heard.
    std::ifstream sidecar_in{wav.string() + ".json"};
    const auto sidecar = nlohmann::json::parse(sidecar_in);
    EXPECT_EQ(sidecar.at("sample_rate").get<int>(), 48000);
    const auto t0 = loa::from_unix_us(sidecar.at("first_sample_utc_us").get<std::int64_t>());
    EXPECT_LT(std::chrono::abs(loa::SystemClock::instance().now() - t0), 1s);

    // Cue 150 ms (7200 frames) plus 123 frames after the first sample: not a block boundary.
    constexpr std::int64_t kStartFrame = 7200 + 123;
    const auto start = t0 + frames_to_duration(kStartFrame);
    auto slot = player.cue(42, start);
    ASSERT_TRUE(slot);
    const std::vector<float> item(4800, 0.5F);  // 100 ms
    ASSERT_EQ(player.write(*slot, item), item.size());
    player.end_of_stream(*slot);

    std::optional<Player::Finished> done;
    ASSERT_TRUE(wait_for([&] { return (done = player.poll_finished()).has_value(); }, 3000ms));
    EXPECT_TRUE(done->completed);
    EXPECT_EQ(done->started_at, start);
    EXPECT_EQ(done->start_error_frames, 0);
    EXPECT_EQ(done->frames, item.size());

    // The header is valid while the file grows: another reader sees the audio so far.
    {
        SF_INFO info{};
        SNDFILE* live = sf_open(wav.c_str(), SFM_READ, &info);
        ASSERT_NE(live, nullptr) << sf_strerror(nullptr);
        EXPECT_GE(info.frames, kStartFrame);
        EXPECT_LE(static_cast<std::uint64_t>(info.frames), sink.frames_rendered());
        sf_close(live);
    }

    ASSERT_TRUE(wait_for([&] { return sink.frames_rendered() >= 24000; }, 3000ms));
    sink.stop();
    const auto elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - steady_before).count();
    EXPECT_FALSE(thread_named("loa-audio-rt"));
    sink.stop();  // idempotent

    SF_INFO info{};
    SNDFILE* file = sf_open(wav.c_str(), SFM_READ, &info);
    ASSERT_NE(file, nullptr) << sf_strerror(nullptr);
    EXPECT_EQ(info.samplerate, 48000);
    EXPECT_EQ(info.channels, 1);
    EXPECT_EQ(info.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    std::vector<short> samples(static_cast<std::size_t>(info.frames));
    ASSERT_EQ(sf_readf_short(file, samples.data(), info.frames), info.frames);
    sf_close(file);

    EXPECT_EQ(static_cast<std::uint64_t>(info.frames), sink.frames_rendered());
    // Paced in real time: the file is as long as the time the sink ran (5 %).
    const double expected_frames = elapsed * 48000.0;
    EXPECT_NEAR(static_cast<double>(info.frames), expected_frames, expected_frames * 0.05);

    const auto first = std::find_if(samples.begin(), samples.end(), [](short s) { return s != 0; });
    ASSERT_NE(first, samples.end());
    const auto index = first - samples.begin();
    EXPECT_EQ(index, kStartFrame);
    // t0 + index / 48000 is the cued start, to the sample.
    EXPECT_EQ(t0 + frames_to_duration(index), start);
    const auto nonzero =
        std::count_if(samples.begin(), samples.end(), [](short s) { return s != 0; });
    EXPECT_EQ(nonzero, 4800);
    EXPECT_NEAR(samples[static_cast<std::size_t>(index)], 16384, 2);
}

TEST(ClockedFileSink, UnwritablePathFailsToStart) {
    TempDir dir;
    Player player;
    ClockedFileSink sink{dir / "missing-dir" / "out.wav", loa::SystemClock::instance()};
    const auto st = sink.start(player);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.message().find("missing-dir"), std::string::npos) << st.message();
    EXPECT_EQ(sink.frames_rendered(), 0U);
    sink.stop();
}

TEST(ClockedFileSink, StartTwiceIsRefused) {
    TempDir dir;
    Player player;
    ClockedFileSink sink{dir / "out.wav", loa::SystemClock::instance()};
    ASSERT_TRUE(sink.start(player).ok());
    EXPECT_FALSE(sink.start(player).ok());
    sink.stop();
}

TEST(ClockedFileSink, NullOutputPacesInRealTimeLikeADevice) {
    Player player;
    ClockedFileSink sink{std::filesystem::path{}, loa::SystemClock::instance()};
    EXPECT_EQ(sink.describe(), "null");
    const auto started = std::chrono::steady_clock::now();
    ASSERT_TRUE(sink.start(player).ok());
    // 200 ms of audio is rendered no sooner than 200 ms after the start.
    ASSERT_TRUE(wait_for([&] { return sink.frames_rendered() >= kSampleRate / 5; }, 5s));
    EXPECT_GE(std::chrono::steady_clock::now() - started, 190ms);
    sink.stop();
}

namespace {

// The system clock plus a shift that a test changes at once, as the link corrects an agent's
// clock while its output runs.
class SteppedClock final : public loa::IClock {
public:
    loa::TimePoint now() const override {
        return loa::SystemClock::instance().now() +
               loa::Duration{shift_ns_.load(std::memory_order_relaxed)};
    }
    void set_shift(loa::Duration shift) {
        shift_ns_.store(shift.count(), std::memory_order_relaxed);
    }

private:
    std::atomic<std::int64_t> shift_ns_{0};
};

std::vector<short> read_samples(const std::filesystem::path& wav) {
    SF_INFO info{};
    SNDFILE* file = sf_open(wav.c_str(), SFM_READ, &info);
    if (file == nullptr) {
        return {};
    }
    std::vector<short> samples(static_cast<std::size_t>(info.frames));
    sf_readf_short(file, samples.data(), info.frames);
    sf_close(file);
    return samples;
}

}  // namespace

// The play clock is stepped while an item plays (the first clock exchange of an agent whose clock
// was 1.5 s fast): the item goes on without a gap or a repeated sample, the timeline re-anchors
// once, and the next item starts by the corrected time, on the sample.
TEST(ClockedFileSink, FollowsAStepOfThePlayClockWithoutAGlitch) {
    TempDir dir;
    const auto wav = dir / "out.wav";
    Player player;
    SteppedClock play_clock;
    const auto& file_clock = loa::SystemClock::instance();
    ClockedFileSink sink{wav, play_clock, file_clock, 480};
    ASSERT_TRUE(sink.start(player).ok());
    std::ifstream sidecar_in{wav.string() + ".json"};
    const auto t0 = loa::from_unix_us(
        nlohmann::json::parse(sidecar_in).at("first_sample_utc_us").get<std::int64_t>());

    // Item 1: 600 ms at 0.25, from 100 ms in.
    auto first = player.cue(1, t0 + 100ms);
    ASSERT_TRUE(first);
    const std::vector<float> one(28800, 0.25F);
    ASSERT_EQ(player.write(*first, one), one.size());
    player.end_of_stream(*first);
    // Once it plays, the clock is found 1.5 s fast and stepped back.
    ASSERT_TRUE(wait_for([&] { return sink.frames_rendered() >= 48000 * 3 / 10; }, 3000ms));
    play_clock.set_shift(-1500ms);
    // Item 2: 100 ms at 0.5, cued on the corrected clock 700 ms ahead (after item 1), not on a
    // block boundary.
    const auto second_start = play_clock.now() + 700ms + frames_to_duration(123);
    auto second = player.cue(2, second_start);
    ASSERT_TRUE(second);
    const std::vector<float> two(4800, 0.5F);
    ASSERT_EQ(player.write(*second, two), two.size());
    player.end_of_stream(*second);

    int finished = 0;
    ASSERT_TRUE(wait_for(
        [&] {
            while (auto done = player.poll_finished()) {
                EXPECT_TRUE(done->completed);
                ++finished;
            }
            return finished == 2;
        },
        3000ms));
    sink.stop();
    EXPECT_EQ(sink.reanchors(), 1U);

    const auto samples = read_samples(wav);
    ASSERT_FALSE(samples.empty());
    // Item 1 is whole: 28800 samples at 0.25 in one run, from sample 4800.
    const auto quarter = [](short s) { return std::abs(s - 8192) <= 2; };
    const auto half = [](short s) { return std::abs(s - 16384) <= 2; };
    const auto run_one = std::find_if(samples.begin(), samples.end(), quarter);
    ASSERT_NE(run_one, samples.end());
    EXPECT_EQ(run_one - samples.begin(), 4800);
    const auto end_one = std::find_if_not(run_one, samples.end(), quarter);
    EXPECT_EQ(end_one - run_one, 28800);
    EXPECT_EQ(std::count_if(samples.begin(), samples.end(), quarter), 28800);
    // Item 2 starts where the file clock, shifted by the correction, shows its cue time: within
    // a sample or two (the clock is read a few microseconds apart from the steady clock).
    const auto run_two = std::find_if(samples.begin(), samples.end(), half);
    ASSERT_NE(run_two, samples.end());
    EXPECT_EQ(std::count_if(samples.begin(), samples.end(), half), 4800);
    const auto heard = t0 + frames_to_duration(run_two - samples.begin()) - 1500ms;
    EXPECT_LT(std::chrono::abs(heard - second_start), 50us)
        << std::chrono::duration<double, std::micro>(heard - second_start).count() << " us";
}
