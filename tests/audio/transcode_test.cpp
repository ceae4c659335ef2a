#include "loa/audio/transcode.hpp"

#include "audio_test_util.hpp"
#include "loa/audio/format.hpp"
#include "loa/audio/opus_reader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

using namespace loa::audio;
using loa::audio::test::rms;
using loa::audio::test::sine;
using loa::audio::test::TempDir;
using loa::audio::test::write_sound_file;
using ::testing::HasSubstr;

namespace {

// Sign changes between neighbouring samples.
std::size_t zero_crossings(std::span<const float> x) {
    std::size_t n = 0;
    for (std::size_t i = 1; i < x.size(); ++i) {
        n += (x[i - 1] < 0.0F) != (x[i] < 0.0F) ? 1 : 0;
    }
    return n;
}

std::vector<float> read_all(OpusReader& reader) {
    std::vector<float> all;
    std::vector<float> chunk(1000);
    while (const std::size_t n = reader.read(chunk)) {
        all.insert(all.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
    }
    return all;
}

std::size_t files_in(const std::filesystem::path& dir) {
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator{dir},
                                                  std::filesystem::directory_iterator{}));
}

}  // namespace

TEST(DecodeToPcm, StereoWavAt44100IsMixedToMonoAndResampled) {
    TempDir dir;
    constexpr int kRate = 44100;
    constexpr std::size_t kFrames = kRate;  // 1 s
    const auto left = sine(kFrames, 440.0, 0.8, kRate);
    const auto right = sine(kFrames, 440.0, 0.2, kRate);
    std::vector<float> interleaved(kFrames * 2);
    for (std::size_t i = 0; i < kFrames; ++i) {
        interleaved[2 * i] = left[i];
        interleaved[2 * i + 1] = right[i];
    }
    const auto path = dir / "tone.wav";
    ASSERT_TRUE(write_sound_file(path, interleaved, kRate, 2, SF_FORMAT_WAV | SF_FORMAT_PCM_16));

    auto pcm = decode_to_pcm(path);
    ASSERT_TRUE(pcm.ok()) << pcm.error().message;
    // 1 s at 48 kHz.
    EXPECT_NEAR(static_cast<double>(pcm->size()), 48000.0, 2.0);
    // The channels are averaged: a 0.5 sine, whose RMS is 0.5 / sqrt(2).
    const std::span<const float> middle = std::span<const float>{*pcm}.subspan(4800, 38400);
    EXPECT_NEAR(rms(middle), 0.5 / std::sqrt(2.0), 0.005);
    // Still 440 Hz: 880 zero crossings a second (0.8 s here).
    EXPECT_NEAR(static_cast<double>(zero_crossings(middle)), 704.0, 2.0);
}

TEST(DecodeToPcm, FlacAt48kIsKeptSampleForSample) {
    TempDir dir;
    const auto tone = sine(24000, 1000.0, 0.5, kSampleRate);
    const auto path = dir / "tone.flac";
    ASSERT_TRUE(write_sound_file(path, tone, kSampleRate, 1, SF_FORMAT_FLAC | SF_FORMAT_PCM_16));

    auto pcm = decode_to_pcm(path);
    ASSERT_TRUE(pcm.ok()) << pcm.error().message;
    ASSERT_EQ(pcm->size(), tone.size());
    float worst = 0.0F;
    for (std::size_t i = 0; i < tone.size(); ++i) {
        worst = std::max(worst, std::fabs((*pcm)[i] - tone[i]));
    }
    EXPECT_LE(worst, 2.0F / 32768.0F);  // 16-bit quantisation only
}

TEST(DecodeToPcm, MissingFileIsNamed) {
    TempDir dir;
    const auto path = dir / "nothing-here.wav";
    auto pcm = decode_to_pcm(path);
    ASSERT_FALSE(pcm.ok());
    EXPECT_THAT(pcm.error().message, HasSubstr(path.string()));
    EXPECT_THAT(pcm.error().message, HasSubstr("no such file"));
}

TEST(DecodeToPcm, TextFileIsNotAudio) {
    TempDir dir;
    const auto path = dir / "notes.wav";
    std::ofstream{path} << "This is a shopping list, not a recording.\n";
    auto pcm = decode_to_pcm(path);
    ASSERT_FALSE(pcm.ok());
    EXPECT_THAT(pcm.error().message, HasSubstr(path.string()));
    EXPECT_THAT(pcm.error().message, HasSubstr("not a readable audio file"));
}

TEST(DecodeToPcm, ZeroByteFileIsEmpty) {
    TempDir dir;
    const auto path = dir / "zero.wav";
    std::ofstream{path}.close();
    auto pcm = decode_to_pcm(path);
    ASSERT_FALSE(pcm.ok());
    EXPECT_THAT(pcm.error().message, HasSubstr(path.string()));
    EXPECT_THAT(pcm.error().message, HasSubstr("empty"));
}

TEST(DecodeToPcm, WavWithNoFramesHasNoAudio) {
    TempDir dir;
    const auto path = dir / "empty.wav";
    ASSERT_TRUE(write_sound_file(path, {}, kSampleRate, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16));
    ASSERT_GT(std::filesystem::file_size(path), 0U);  // a header, no data
    auto pcm = decode_to_pcm(path);
    ASSERT_FALSE(pcm.ok());
    EXPECT_THAT(pcm.error().message, HasSubstr(path.string()));
    EXPECT_THAT(pcm.error().message, HasSubstr("no audio"));
}

TEST(DecodeToPcm, AllZeroWavIsSilence) {
    TempDir dir;
    const auto path = dir / "silence.wav";
    const std::vector<float> zeros(48000, 0.0F);
    ASSERT_TRUE(write_sound_file(path, zeros, kSampleRate, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16));
    auto pcm = decode_to_pcm(path);
    ASSERT_FALSE(pcm.ok());
    EXPECT_THAT(pcm.error().message, HasSubstr(path.string()));
    EXPECT_THAT(pcm.error().message, HasSubstr("silence"));
}

TEST(EncodeOggOpus, RoundTripKeepsLengthAndEnergy) {
    TempDir dir;
    const auto tone = sine(48000 + 321, 440.0, 0.5, kSampleRate);
    const auto path = dir / "tone.opus";
    const auto st = encode_ogg_opus(tone, path, 32000);
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_EQ(files_in(dir.path()), 1U);  // no temporary left behind

    auto reader = OpusReader::open(path);
    ASSERT_TRUE(reader.ok()) << reader.error().message;
    // opusfile removes the pre-skip and trims the end: the length comes back (one 20 ms
    // Opus frame of slack).
    EXPECT_NEAR(static_cast<double>((*reader)->total_frames()), static_cast<double>(tone.size()),
                960.0);
    const auto decoded = read_all(**reader);
    EXPECT_TRUE((*reader)->error().empty()) << (*reader)->error();
    EXPECT_NEAR(static_cast<double>(decoded.size()), static_cast<double>(tone.size()), 960.0);
    ASSERT_GT(decoded.size(), 40000U);
    const double before = rms(std::span<const float>{tone}.subspan(4800, 38400));
    const double after = rms(std::span<const float>{decoded}.subspan(4800, 38400));
    EXPECT_NEAR(after / before, 1.0, 0.1);
}

TEST(EncodeOggOpus, ReplacesAnExistingFile) {
    TempDir dir;
    const auto path = dir / "a.opus";
    std::ofstream{path} << "old";
    const auto tone = sine(9600, 300.0, 0.3, kSampleRate);
    ASSERT_TRUE(encode_ogg_opus(tone, path).ok());
    EXPECT_GT(std::filesystem::file_size(path), 100U);
    EXPECT_TRUE(OpusReader::open(path).ok());
    EXPECT_EQ(files_in(dir.path()), 1U);
}

TEST(EncodeOggOpus, UnwritableDestinationFailsAndLeavesNothing) {
    TempDir dir;
    const auto path = dir / "no-such-dir" / "a.opus";
    const auto tone = sine(9600, 300.0, 0.3, kSampleRate);
    const auto st = encode_ogg_opus(tone, path);
    ASSERT_FALSE(st.ok());
    EXPECT_THAT(st.message(), HasSubstr(path.string()));
    EXPECT_EQ(files_in(dir.path()), 0U);
}

TEST(EncodeOggOpus, RejectsNoAudioAndABadBitrate) {
    TempDir dir;
    const auto path = dir / "a.opus";
    EXPECT_FALSE(encode_ogg_opus({}, path).ok());
    const auto tone = sine(9600, 300.0, 0.3, kSampleRate);
    const auto st = encode_ogg_opus(tone, path, 1000);
    ASSERT_FALSE(st.ok());
    EXPECT_THAT(st.message(), HasSubstr("bitrate"));
    EXPECT_EQ(files_in(dir.path()), 0U);
}

TEST(TranscodeToOpus, ReportsFramesAndDuration) {
    TempDir dir;
    constexpr int kRate = 22050;
    const auto tone = sine(kRate * 3 / 2, 200.0, 0.4, kRate);  // 1.5 s
    const auto in = dir / "in.wav";
    ASSERT_TRUE(write_sound_file(in, tone, kRate, 1, SF_FORMAT_WAV | SF_FORMAT_FLOAT));
    const auto out = dir / "out.opus";
    auto info = transcode_to_opus(in, out);
    ASSERT_TRUE(info.ok()) << info.error().message;
    EXPECT_NEAR(static_cast<double>(info->frames), 72000.0, 2.0);
    EXPECT_EQ(info->duration_ms, 1500U);
    auto reader = OpusReader::open(out);
    ASSERT_TRUE(reader.ok());
    EXPECT_NEAR(static_cast<double>((*reader)->total_frames()), static_cast<double>(info->frames),
                960.0);
}

TEST(TranscodeToOpus, BadInputWritesNothing) {
    TempDir dir;
    const auto in = dir / "silence.wav";
    const std::vector<float> zeros(4800, 0.0F);
    ASSERT_TRUE(write_sound_file(in, zeros, kSampleRate, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16));
    auto info = transcode_to_opus(in, dir / "out.opus");
    ASSERT_FALSE(info.ok());
    EXPECT_THAT(info.error().message, HasSubstr("silence"));
    EXPECT_FALSE(std::filesystem::exists(dir / "out.opus"));
}
