#include "loa/audio/opus_reader.hpp"

#include "audio_test_util.hpp"
#include "loa/audio/format.hpp"
#include "loa/audio/transcode.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <opusenc.h>

#include <fstream>

using namespace loa::audio;
using loa::audio::test::rms;
using loa::audio::test::sine;
using loa::audio::test::TempDir;
using ::testing::HasSubstr;

namespace {

// A stereo Ogg Opus file made directly with libopusenc (Loa itself only writes mono).
bool write_stereo_opus(const std::filesystem::path& path, std::span<const float> left,
                       std::span<const float> right) {
    std::vector<float> interleaved(left.size() * 2);
    for (std::size_t i = 0; i < left.size(); ++i) {
        interleaved[2 * i] = left[i];
        interleaved[2 * i + 1] = right[i];
    }
    OggOpusComments* comments = ope_comments_create();
    int err = 0;
    OggOpusEnc* enc = ope_encoder_create_file(path.c_str(), comments, kSampleRate, 2, 0, &err);
    bool ok = enc != nullptr;
    if (ok) {
        ok = ope_encoder_ctl(enc, OPUS_SET_BITRATE(96000)) == OPE_OK &&
             ope_encoder_write_float(enc, interleaved.data(), static_cast<int>(left.size())) ==
                 OPE_OK &&
             ope_encoder_drain(enc) == OPE_OK;
        ope_encoder_destroy(enc);
    }
    ope_comments_destroy(comments);
    return ok;
}

}  // namespace

TEST(OpusReader, StereoFileIsDownmixedToMono) {
    TempDir dir;
    const auto path = dir / "stereo.opus";
    const auto left = sine(48000, 440.0, 0.6, kSampleRate);
    const auto right = sine(48000, 440.0, 0.2, kSampleRate);
    ASSERT_TRUE(write_stereo_opus(path, left, right));

    auto reader = OpusReader::open(path);
    ASSERT_TRUE(reader.ok()) << reader.error().message;
    std::vector<float> all;
    std::vector<float> chunk(777);
    while (const std::size_t n = (*reader)->read(chunk)) {
        all.insert(all.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
    }
    ASSERT_NEAR(static_cast<double>(all.size()), 48000.0, 960.0);
    // (0.6 + 0.2) / 2 = a 0.4 sine.
    EXPECT_NEAR(rms(std::span<const float>{all}.subspan(4800, 38400)), 0.4 / std::sqrt(2.0), 0.02);
}

TEST(OpusReader, ReadsIntoOneFrameBuffersToo) {
    TempDir dir;
    const auto path = dir / "tone.opus";
    const auto tone = sine(4800, 440.0, 0.5, kSampleRate);
    ASSERT_TRUE(encode_ogg_opus(tone, path).ok());
    auto reader = OpusReader::open(path);
    ASSERT_TRUE(reader.ok());
    std::array<float, 1> one{};
    std::size_t total = 0;
    while ((*reader)->read(one) == 1) {
        ++total;
    }
    EXPECT_EQ(total, (*reader)->total_frames());
}

TEST(OpusReader, SeekMovesToTheFrame) {
    TempDir dir;
    const auto path = dir / "tone.opus";
    const auto tone = sine(48000, 440.0, 0.5, kSampleRate);
    ASSERT_TRUE(encode_ogg_opus(tone, path).ok());
    auto reader = OpusReader::open(path);
    ASSERT_TRUE(reader.ok());
    const std::uint64_t total = (*reader)->total_frames();
    ASSERT_GT(total, 30000U);
    ASSERT_TRUE((*reader)->seek(30000).ok());
    std::vector<float> chunk(4096);
    std::uint64_t rest = 0;
    while (const std::size_t n = (*reader)->read(chunk)) {
        rest += n;
    }
    EXPECT_EQ(rest, total - 30000);
    EXPECT_FALSE((*reader)->seek(total + 48000).ok());
}

TEST(OpusReader, MissingFileIsNamed) {
    TempDir dir;
    const auto path = dir / "gone.opus";
    auto reader = OpusReader::open(path);
    ASSERT_FALSE(reader.ok());
    EXPECT_THAT(reader.error().message, HasSubstr(path.string()));
    EXPECT_THAT(reader.error().message, HasSubstr("no such file"));
}

TEST(OpusReader, NotOpusIsRejected) {
    TempDir dir;
    const auto path = dir / "fake.opus";
    std::ofstream{path} << std::string(4096, 'x');
    auto reader = OpusReader::open(path);
    ASSERT_FALSE(reader.ok());
    EXPECT_THAT(reader.error().message, HasSubstr(path.string()));
    EXPECT_THAT(reader.error().message, HasSubstr("not an Ogg Opus file"));
}
