#include "loa/audio/air_check_recorder.hpp"
#include "loa/audio/air_check_tap.hpp"
#include "loa/audio/air_check_writer.hpp"
#include "loa/audio/frame_time.hpp"

#include "audio_test_util.hpp"

#include <gtest/gtest.h>
#include <sndfile.h>
#include <nlohmann/json.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numbers>
#include <set>
#include <vector>

namespace loa::audio {
namespace {

using namespace std::chrono_literals;
using test::TempDir;

constexpr double kAmplitude = 0.5;
constexpr double kFreq = 440.0;
constexpr double kSineRms = kAmplitude / std::numbers::sqrt2;

// Sample n of the test programme: a 440 Hz sine for the first `sine_frames`, silence after.
float programme(std::uint64_t n, std::uint64_t sine_frames) {
    if (n >= sine_frames) {
        return 0.0F;
    }
    return static_cast<float>(kAmplitude * std::sin(2.0 * std::numbers::pi * kFreq *
                                                    static_cast<double>(n) / kSampleRate));
}

// What an output's inner source renders: the programme, sample after sample.
class ProgrammeSource final : public IRenderSource {
public:
    explicit ProgrammeSource(std::uint64_t sine_frames) : sine_frames_{sine_frames} {}
    void render(std::span<float> out, TimePoint /*first_frame_time*/) noexcept override {
        for (float& x : out) {
            x = programme(n_++, sine_frames_);
        }
    }

private:
    std::uint64_t sine_frames_;
    std::uint64_t n_ = 0;
};

TimePoint utc(std::chrono::sys_days day, std::chrono::nanoseconds time_of_day) {
    return TimePoint{day} + time_of_day;
}

const auto kDay = std::chrono::sys_days{std::chrono::year{2026} / 11 / 27};

std::vector<float> decode(const std::filesystem::path& path) {
    SF_INFO info{};
    SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
    if (f == nullptr) {
        ADD_FAILURE() << "cannot decode " << path << ": " << sf_strerror(nullptr);
        return {};
    }
    EXPECT_EQ(info.samplerate, kSampleRate);
    EXPECT_EQ(info.channels, 1);
    std::vector<float> out;
    std::vector<float> buf(4800);
    for (;;) {
        const sf_count_t n = sf_readf_float(f, buf.data(), static_cast<sf_count_t>(buf.size()));
        if (n <= 0) {
            break;
        }
        out.insert(out.end(), buf.begin(), buf.begin() + n);
    }
    sf_close(f);
    return out;
}

nlohmann::json sidecar(const std::filesystem::path& file) {
    std::ifstream in{std::filesystem::path{file} += ".json"};
    return nlohmann::json::parse(in);
}

std::set<std::string> names_in(const std::filesystem::path& dir) {
    std::set<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator{dir}) {
        names.insert(entry.path().filename().string());
    }
    return names;
}

double rms_of(const std::vector<float>& x, double from_s, double to_s) {
    const auto a = static_cast<std::size_t>(from_s * kSampleRate);
    const auto b = std::min(x.size(), static_cast<std::size_t>(to_s * kSampleRate));
    if (a >= b) {
        return -1.0;
    }
    return test::rms(std::span<const float>{x}.subspan(a, b - a));
}

// The lag (in frames, within +-max_lag) at which `decoded` best matches the programme, where
// decoded[i] should be programme sample `programme_offset + i`, judged over [from, from + len).
int best_lag(const std::vector<float>& decoded, std::uint64_t programme_offset,
             std::uint64_t sine_frames, std::size_t from, std::size_t len, int max_lag) {
    int best = 0;
    double best_score = -1e30;
    for (int lag = -max_lag; lag <= max_lag; ++lag) {
        double score = 0.0;
        for (std::size_t i = from; i < from + len && i < decoded.size(); ++i) {
            const auto n = static_cast<std::int64_t>(programme_offset + i) - lag;
            score +=
                decoded[i] *
                programme(static_cast<std::uint64_t>(std::max<std::int64_t>(n, 0)), sine_frames);
        }
        if (score > best_score) {
            best_score = score;
            best = lag;
        }
    }
    return best;
}

// Renders `frames` frames through `tap` in blocks of `block`, the first heard at `start`, and
// hands what the tap holds to `writer` after every block (as the recorder's thread would).
void air(AirCheckTap& tap, AirCheckWriter& writer, TimePoint start, std::size_t frames,
         std::size_t block) {
    std::vector<float> out(block);
    std::vector<float> chunk(4800);
    for (std::size_t done = 0; done < frames; done += block) {
        tap.render(out, start + frames_to_duration(static_cast<std::int64_t>(done)));
        while (auto c = tap.read(chunk)) {
            ASSERT_TRUE(
                writer.write(std::span<const float>{chunk}.first(c->frames), c->first_frame_time));
        }
    }
}

class AirCheckFormats : public ::testing::TestWithParam<AirCheckFormat> {};

// 3 s of sine before 11:00 and 1 s of sine plus 2 s of silence after: two files, each starting
// at the right wall-clock time, each decoding to the programme at the right offsets.
TEST_P(AirCheckFormats, HourBoundaryMakesTwoFilesWithTheSignalAtItsOffsets) {
    const AirCheckFormat format = GetParam();
    const bool flac = format == AirCheckFormat::flac;
    const char* ext = flac ? ".flac" : ".opus";
    TempDir dir;
    const TimePoint start = utc(kDay, 10h + 59min + 57s);
    FakeClock clock{start};
    const std::uint64_t sine_frames = 4 * kSampleRate;
    ProgrammeSource source{sine_frames};
    AirCheckTap tap{source, kSampleRate};
    AirCheckWriter writer{{dir.path(), "main", format, 16, 31}, clock};
    air(tap, writer, start, 6 * kSampleRate, 480);
    ASSERT_TRUE(writer.close());
    EXPECT_EQ(tap.dropped_frames(), 0U);

    const auto zone = dir.path() / "main";
    const std::string first = std::string{"2026-11-27T10Z"} + ext;
    const std::string second = std::string{"2026-11-27T11Z"} + ext;
    EXPECT_EQ(names_in(zone),
              (std::set<std::string>{first, first + ".json", second, second + ".json"}));
    const auto json1 = sidecar(zone / first);
    const auto json2 = sidecar(zone / second);
    EXPECT_EQ(json1["first_sample_utc_us"].get<std::int64_t>(), to_unix_us(start));
    EXPECT_EQ(json2["first_sample_utc_us"].get<std::int64_t>(), to_unix_us(utc(kDay, 11h)));
    EXPECT_EQ(json1["frames"].get<std::uint64_t>(), 3U * kSampleRate);
    EXPECT_EQ(json2["frames"].get<std::uint64_t>(), 3U * kSampleRate);
    EXPECT_EQ(json1["zone"], "main");
    EXPECT_EQ(json1["sample_rate"], kSampleRate);

    const auto a = decode(zone / first);
    const auto b = decode(zone / second);
    ASSERT_EQ(a.size(), 3U * kSampleRate);
    ASSERT_EQ(b.size(), 3U * kSampleRate);
    if (flac) {
        // Lossless (16-bit): every sample is the programme's, at its exact offset.
        for (std::size_t i = 0; i < a.size(); ++i) {
            ASSERT_NEAR(a[i], programme(i, sine_frames), 1.0 / 32768 + 1e-6) << i;
            ASSERT_NEAR(b[i], programme(3 * kSampleRate + i, sine_frames), 1.0 / 32768 + 1e-6) << i;
        }
    } else {
        // Opus: the level is kept and the waveform lines up with the programme at lag 0.
        EXPECT_NEAR(rms_of(a, 0.5, 2.9), kSineRms, 0.1 * kSineRms);
        EXPECT_NEAR(rms_of(b, 0.1, 0.95), kSineRms, 0.1 * kSineRms);
        EXPECT_LT(rms_of(b, 1.05, 3.0), 0.01);
        // (Within 2 samples, 0.04 ms: the codec shifts phases a little.)
        EXPECT_LE(std::abs(best_lag(a, 0, sine_frames, kSampleRate, 4800, 48)), 2);
        EXPECT_LE(std::abs(best_lag(b, 3 * kSampleRate, sine_frames, 24000, 4800, 48)), 2);
    }
    // The cut from sine to silence is one second into the second file.
    EXPECT_GT(rms_of(b, 0.97, 0.995), 0.8 * kSineRms);
    EXPECT_LT(rms_of(b, 1.005, 1.03), 0.05);
}

INSTANTIATE_TEST_SUITE_P(AirCheck, AirCheckFormats,
                         ::testing::Values(AirCheckFormat::opus, AirCheckFormat::flac),
                         [](const auto& param_info) {
                             return param_info.param == AirCheckFormat::flac ? "flac" : "opus";
                         });

TEST(AirCheck, OpusIsSmall) {
    TempDir dir;
    const TimePoint start = utc(kDay, 10h);
    FakeClock clock{start};
    // 30 s of sine, 30 s of silence.
    ProgrammeSource source{30 * kSampleRate};
    AirCheckTap tap{source, kSampleRate};
    AirCheckWriter writer{{dir.path(), "main", AirCheckFormat::opus, 16, 31}, clock};
    air(tap, writer, start, 60 * kSampleRate, 960);
    const auto path = writer.current_file();
    ASSERT_TRUE(writer.close());
    const auto bytes = std::filesystem::file_size(path);
    const double mb_per_hour = static_cast<double>(bytes) * 60.0 / 1e6;
    // 16 kbit/s is 7.2 MB an hour; silence costs less.
    EXPECT_LT(mb_per_hour, 8.0) << bytes << " bytes a minute";
    RecordProperty("opus_mb_per_hour", std::to_string(mb_per_hour));
}

TEST(AirCheck, GapIsSilenceAndLaterAudioKeepsItsOffset) {
    TempDir dir;
    const TimePoint start = utc(kDay, 8h);
    FakeClock clock{start};
    AirCheckWriter writer{{dir.path(), "main", AirCheckFormat::flac, 16, 31}, clock};
    std::vector<float> second(kSampleRate);
    for (std::size_t i = 0; i < second.size(); ++i) {
        second[i] = programme(i, kSampleRate);
    }
    ASSERT_TRUE(writer.write(second, start));
    // Half a second never reached the writer (dropped frames), then audio again.
    ASSERT_TRUE(writer.write(second, start + 1500ms));
    // 30 ms of overlap (an output clock running fast) is trimmed.
    ASSERT_TRUE(writer.write(std::span<const float>{second}.first(4800), start + 2470ms));
    // Less than AirCheckWriter::kTolerance (here 5 ms late) is taken as it comes.
    ASSERT_TRUE(writer.write(std::span<const float>{second}.first(480), start + 2575ms));
    const auto path = writer.current_file();
    ASSERT_TRUE(writer.close());
    EXPECT_EQ(writer.padded_frames(), 24000U);
    EXPECT_EQ(writer.trimmed_frames(), 1440U);
    const auto pcm = decode(path);
    ASSERT_EQ(pcm.size(), 2U * kSampleRate + 24000 + 4800 - 1440 + 480);
    for (std::size_t i = 0; i < 24000; ++i) {
        ASSERT_EQ(pcm[kSampleRate + i], 0.0F) << i;
    }
    for (std::size_t i = 0; i < kSampleRate; ++i) {
        ASSERT_NEAR(pcm[72000 + i], programme(i, kSampleRate), 1.0 / 32768 + 1e-6) << i;
    }
    for (std::size_t i = 0; i < 3360; ++i) {
        ASSERT_NEAR(pcm[120000 + i], programme(1440 + i, kSampleRate), 1.0 / 32768 + 1e-6) << i;
    }
    for (std::size_t i = 0; i < 480; ++i) {
        ASSERT_NEAR(pcm[123360 + i], programme(i, kSampleRate), 1.0 / 32768 + 1e-6) << i;
    }
}

TEST(AirCheck, RetentionDeletesOnlyOldAirCheckFiles) {
    TempDir dir;
    const auto zone = dir.path() / "main";
    std::filesystem::create_directories(zone);
    const std::vector<std::string> files{
        "2026-10-27T09Z.opus",       // its hour ended 31 days and 30 min ago: deleted
        "2026-10-27T09Z.opus.json",  // its sidecar too
        "2026-10-01T00Z-2.flac",     // deleted
        "2026-10-27T10Z.opus",       // ended 30 min less than 31 days ago: kept
        "2026-10-27T10Z.opus.json",  // kept
        "notes.txt",                 // not an air-check file: never touched
        "2026-10-01T00Z.wav",        // not an air-check name: never touched
    };
    for (const auto& name : files) {
        std::ofstream{zone / name} << "x";
    }
    FakeClock clock{utc(kDay, 10h + 30min)};
    AirCheckWriter writer{{dir.path(), "main", AirCheckFormat::opus, 16, 31}, clock};
    EXPECT_EQ(names_in(zone),
              (std::set<std::string>{"2026-10-27T10Z.opus", "2026-10-27T10Z.opus.json", "notes.txt",
                                     "2026-10-01T00Z.wav"}));

    // A day later, the next hour roll prunes again.
    clock.set(utc(kDay + std::chrono::days{1}, 11h + 1s));
    std::vector<float> pcm(kSampleRate, 0.25F);
    ASSERT_TRUE(writer.write(std::span<const float>{pcm}.first(12000),
                             utc(kDay + std::chrono::days{1}, 10h + 59min + 59s + 500ms)));
    EXPECT_TRUE(names_in(zone).contains("2026-10-27T10Z.opus"));  // nothing rolled yet
    ASSERT_TRUE(writer.write(pcm, utc(kDay + std::chrono::days{1}, 11h + 500ms)));
    EXPECT_EQ(names_in(zone),
              (std::set<std::string>{"notes.txt", "2026-10-01T00Z.wav", "2026-11-28T10Z.opus",
                                     "2026-11-28T10Z.opus.json", "2026-11-28T11Z.opus",
                                     "2026-11-28T11Z.opus.json"}));
}

TEST(AirCheck, ARestartInTheSameHourGetsASuffix) {
    TempDir dir;
    FakeClock clock{utc(kDay, 9h)};
    std::vector<float> pcm(4800, 0.1F);
    for (int run = 0; run < 3; ++run) {
        AirCheckWriter writer{{dir.path(), "z-1", AirCheckFormat::opus, 16, 31}, clock};
        ASSERT_TRUE(writer.write(pcm, utc(kDay, 9h + std::chrono::minutes{run})));
    }
    EXPECT_EQ(names_in(dir.path() / "z-1"),
              (std::set<std::string>{"2026-11-27T09Z.opus", "2026-11-27T09Z.opus.json",
                                     "2026-11-27T09Z-2.opus", "2026-11-27T09Z-2.opus.json",
                                     "2026-11-27T09Z-3.opus", "2026-11-27T09Z-3.opus.json"}));
}

TEST(AirCheck, FullRingDropsAndCountsWithoutBlocking) {
    ProgrammeSource source{kSampleRate};
    AirCheckTap tap{source, 4800};
    const TimePoint start = utc(kDay, 12h);
    std::vector<float> out(480);
    std::vector<float> aired;
    for (int k = 0; k < 20; ++k) {
        tap.render(out, start + k * 10ms);  // nobody reads: the ring fills after 10 blocks
        aired.insert(aired.end(), out.begin(), out.end());
    }
    // The output got every block, unchanged.
    for (std::size_t i = 0; i < aired.size(); ++i) {
        ASSERT_EQ(aired[i], programme(i, kSampleRate));
    }
    EXPECT_EQ(tap.tapped_frames(), 4800U);
    EXPECT_EQ(tap.dropped_frames(), 4800U);
    std::vector<float> chunk(4800);
    for (int k = 0; k < 10; ++k) {
        const auto c = tap.read(chunk);
        ASSERT_TRUE(c.has_value());
        EXPECT_EQ(c->frames, 480U);
        EXPECT_EQ(c->first_frame_time, start + k * 10ms);
        for (std::size_t i = 0; i < 480; ++i) {
            ASSERT_EQ(chunk[i], aired[k * 480 + i]);
        }
    }
    EXPECT_FALSE(tap.read(chunk).has_value());
    tap.render(out, start + 200ms);  // room again
    EXPECT_EQ(tap.tapped_frames(), 5280U);
    EXPECT_EQ(tap.dropped_frames(), 4800U);

    // The queue of block times bounds it too.
    AirCheckTap few{source, 48000, 4};
    for (int k = 0; k < 6; ++k) {
        few.render(out, start + k * 10ms);
    }
    EXPECT_EQ(few.tapped_frames(), 4U * 480);
    EXPECT_EQ(few.dropped_frames(), 2U * 480);
}

TEST(AirCheck, ReadSplitsLongBlocksKeepingTheirTime) {
    ProgrammeSource source{kSampleRate};
    AirCheckTap tap{source, 8192};
    std::vector<float> out(4096);
    const TimePoint start = utc(kDay, 12h);
    tap.render(out, start);
    std::vector<float> chunk(1000);
    std::size_t total = 0;
    while (auto c = tap.read(chunk)) {
        EXPECT_EQ(c->first_frame_time,
                  start + frames_to_duration(static_cast<std::int64_t>(total)));
        for (std::size_t i = 0; i < c->frames; ++i) {
            ASSERT_EQ(chunk[i], out[total + i]);
        }
        total += c->frames;
    }
    EXPECT_EQ(total, 4096U);
}

// The recorder's thread drains the tap; a ring too small for the thread's pace drops and counts.
TEST(AirCheck, RecorderThreadRecordsWhatWasRenderedAndCountsDrops) {
    TempDir dir;
    const TimePoint start = utc(kDay, 14h);
    FakeClock clock{start};
    ProgrammeSource source{10 * kSampleRate};
    AirCheckRecorder::Timing timing;
    timing.ring = 100ms;
    timing.poll = std::chrono::hours{1};  // the thread drains only when stopped
    AirCheckRecorder recorder{
        source, {dir.path(), "main", AirCheckFormat::flac, 16, 31}, clock, timing};
    recorder.start();
    bool named = false;
    for (const auto& task : std::filesystem::directory_iterator{"/proc/self/task"}) {
        std::ifstream comm{task.path() / "comm"};
        std::string name;
        std::getline(comm, name);
        named = named || name == "loa-aircheck";
    }
    EXPECT_TRUE(named) << "no thread named loa-aircheck";
    std::vector<float> out(480);
    for (int k = 0; k < 30; ++k) {  // 300 ms; the ring holds 100 ms
        recorder.source().render(out, start + k * 10ms);
    }
    recorder.stop();
    EXPECT_EQ(recorder.dropped_frames(), 9600U);
    EXPECT_EQ(recorder.recorded_frames(), 4800U);
    const auto pcm = decode(dir.path() / "main" / "2026-11-27T14Z.flac");
    ASSERT_EQ(pcm.size(), 4800U);
    for (std::size_t i = 0; i < pcm.size(); ++i) {
        ASSERT_NEAR(pcm[i], programme(i, 10 * kSampleRate), 1.0 / 32768 + 1e-6);
    }
}

// A writer killed with SIGKILL leaves a file that decodes up to its last complete Ogg page, and
// so does a copy cut in the middle of a page.
TEST(AirCheck, KilledWriterLeavesADecodableFile) {
    TempDir dir;
    const TimePoint start = utc(kDay, 16h);
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        FakeClock clock{start};
        AirCheckWriter writer{{dir.path(), "main", AirCheckFormat::opus, 16, 31}, clock};
        std::vector<float> block(480);
        for (std::uint64_t k = 0; k < 500; ++k) {  // 5 s
            for (std::size_t i = 0; i < block.size(); ++i) {
                block[i] = programme(k * 480 + i, 60 * kSampleRate);
            }
            if (!writer.write(block,
                              start + frames_to_duration(static_cast<std::int64_t>(k * 480)))) {
                ::_exit(1);
            }
        }
        const char done = 'x';
        [[maybe_unused]] const auto n = ::write(ready[1], &done, 1);
        for (;;) {
            ::pause();
        }
    }
    ::close(ready[1]);
    pollfd pfd{ready[0], POLLIN, 0};
    ASSERT_EQ(::poll(&pfd, 1, 20'000), 1) << "the child did not write 5 s";
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ::close(ready[0]);
    ASSERT_TRUE(WIFSIGNALED(status));

    const auto path = dir.path() / "main" / "2026-11-27T16Z.opus";
    const auto json = sidecar(path);
    EXPECT_EQ(json["first_sample_utc_us"].get<std::int64_t>(), to_unix_us(start));
    EXPECT_FALSE(json.contains("frames"));
    const auto pcm = decode(path);
    // Pages reach the file at least every 500 ms: at most that much (plus a page) is lost.
    EXPECT_GE(pcm.size(), 4U * kSampleRate);
    EXPECT_LE(pcm.size(), 5U * kSampleRate);
    EXPECT_NEAR(rms_of(pcm, 0.2, 3.9), kSineRms, 0.1 * kSineRms);
    EXPECT_LE(std::abs(best_lag(pcm, 0, 60 * kSampleRate, 96000, 4800, 48)), 2);

    // Cut in the middle of a page: still decodes, up to the page before.
    const auto cut = dir.path() / "cut.opus";
    {
        std::ifstream in{path, std::ios::binary};
        std::vector<char> bytes(std::filesystem::file_size(path) * 6 / 10 + 7);
        in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        std::ofstream{cut, std::ios::binary}.write(bytes.data(),
                                                   static_cast<std::streamsize>(bytes.size()));
    }
    const auto partial = decode(cut);
    EXPECT_GE(partial.size(), 3U * kSampleRate / 2);
    EXPECT_LT(partial.size(), pcm.size());
    EXPECT_NEAR(rms_of(partial, 0.2, 1.4), kSineRms, 0.1 * kSineRms);
}

TEST(AirCheck, BadOptionsAreNamed) {
    TempDir dir;
    FakeClock clock{utc(kDay, 0h)};
    std::ofstream{dir / "file"} << "x";
    try {
        AirCheckWriter writer{{dir / "file", "main", AirCheckFormat::opus, 16, 31}, clock};
        FAIL() << "a file in the way of the directory was accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string{e.what()}.find("air-check: cannot make the directory " +
                                             (dir / "file" / "main").string()),
                  std::string::npos)
            << e.what();
    }
    try {
        AirCheckWriter writer{{dir.path(), "main", AirCheckFormat::opus, 16, -1}, clock};
        FAIL() << "keep_days -1 was accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string{e.what()}.find("keep_days must be 1 or more, not -1"),
                  std::string::npos)
            << e.what();
    }
}

TEST(AirCheck, HourNames) {
    EXPECT_EQ(AirCheckWriter::hour_name(utc(kDay, 10h + 59min + 59s)), "2026-11-27T10Z");
    EXPECT_EQ(AirCheckWriter::parse_hour_name("2026-11-27T10Z.opus"), utc(kDay, 10h));
    EXPECT_EQ(AirCheckWriter::parse_hour_name("2026-11-27T10Z-12.flac.json"), utc(kDay, 10h));
    EXPECT_FALSE(AirCheckWriter::parse_hour_name("2026-11-27T10Z.wav"));
    EXPECT_FALSE(AirCheckWriter::parse_hour_name("2026-11-27T24Z.opus"));
    EXPECT_FALSE(AirCheckWriter::parse_hour_name("2026-02-30T10Z.opus"));
    EXPECT_FALSE(AirCheckWriter::parse_hour_name("2026-11-27T10Z-.opus"));
    EXPECT_FALSE(AirCheckWriter::parse_hour_name("notes.txt"));
}

}  // namespace
}  // namespace loa::audio
