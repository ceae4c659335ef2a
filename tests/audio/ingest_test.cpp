#include "loa/audio/ingest.hpp"

#include "ingest_test_util.hpp"
#include "loa/audio/format.hpp"
#include "loa/audio/gst_decoder.hpp"
#include "loa/audio/speech_synthesis.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

using namespace loa::audio;
using namespace loa::audio::test;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace {

constexpr double kTarget = -16.0;
constexpr double kCeiling = -1.0;

const std::vector<float>& speech_48k() {
    static const std::vector<float> speech = [] {
        auto s = synthesize_speech(
            "Thông báo của Ủy ban nhân dân xã: lịch tiêm phòng cho trẻ em trong tháng này. Đề "
            "nghị các hộ gia đình đưa trẻ đến trạm y tế đúng giờ.",
            "vi");
        return s ? std::move(s).value() : std::vector<float>{};
    }();
    return speech;
}

class IngestTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_FALSE(speech_48k().empty()) << "espeak-ng gave no speech"; }

    std::filesystem::path wav(const std::string& name, const std::vector<float>& pcm,
                              int rate = kSampleRate) {
        const auto path = dir_ / (name + ".wav");
        EXPECT_TRUE(write_sound_file(path, pcm, rate, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16));
        return path;
    }

    // Ingests `in` into out.opus and checks the asset itself: decoded, it is as loud as the
    // target (libebur128 measuring), and as long as the input.
    void expect_normalised(const std::filesystem::path& in, double input_seconds) {
        const auto out = dir_ / "out.opus";
        IngestSettings settings;
        auto report = ingest_file(in, out, settings);
        ASSERT_TRUE(report.ok()) << report.error().message;
        // What the pipeline measured on the audio it encoded.
        EXPECT_NEAR(report->loudness.after.integrated_lufs, kTarget, 0.25);
        EXPECT_LE(report->loudness.after.true_peak_dbtp,
                  kCeiling - settings.codec_headroom_db + 0.05);
        EXPECT_NEAR(report->duration_ms / 1000.0, input_seconds, 0.05);
        // The asset as it will be played.
        const auto asset = read_opus(out);
        ASSERT_FALSE(asset.empty());
        EXPECT_NEAR(static_cast<double>(asset.size()) / kSampleRate, input_seconds, 0.05);
        const auto ref = reference_loudness(asset);
        EXPECT_NEAR(ref.lufs, kTarget, 0.5) << "asset loudness";
        // Opus at 32 kbit/s adds about 2 dB to the peaks of limited audio, which the codec
        // headroom leaves room for: the asset's peaks keep to the ceiling.
        EXPECT_LE(ref.true_peak_db, kCeiling + 0.5) << "asset true peak";
        EXPECT_LT(ref.sample_peak_db, kCeiling + 0.5) << "asset sample peak";
    }

    TempDir dir_;
};

TEST_F(IngestTest, SpeechReachesTheTarget) {
    const auto& speech = speech_48k();
    expect_normalised(wav("speech", speech), static_cast<double>(speech.size()) / kSampleRate);
}

TEST_F(IngestTest, MusicReachesTheTarget) {
    // Stereo 44.1 kHz, as a music file comes.
    const auto left = music(8.0, 44100);
    const auto right = scaled(music(8.0, 44100), -3.0);
    std::vector<float> interleaved(left.size() * 2);
    for (std::size_t i = 0; i < left.size(); ++i) {
        interleaved[2 * i] = left[i];
        interleaved[2 * i + 1] = right[i];
    }
    const auto path = dir_ / "music.wav";
    ASSERT_TRUE(write_sound_file(path, interleaved, 44100, 2, SF_FORMAT_WAV | SF_FORMAT_PCM_16));
    expect_normalised(path, 8.0);
}

TEST_F(IngestTest, QuietSpeechIsBroughtUp) {
    const auto& speech = speech_48k();
    const double lufs = reference_loudness(speech).lufs;
    const auto quiet = scaled(speech, -40.0 - lufs);
    ASSERT_NEAR(reference_loudness(quiet).lufs, -40.0, 0.1);
    const auto path = dir_ / "quiet.flac";
    ASSERT_TRUE(write_sound_file(path, quiet, kSampleRate, 1, SF_FORMAT_FLAC | SF_FORMAT_PCM_24));
    expect_normalised(path, static_cast<double>(speech.size()) / kSampleRate);
}

TEST_F(IngestTest, ClippedSpeechIsBroughtDown) {
    const auto clipped = hard_clipped(speech_48k(), 18.0);
    ASSERT_GT(reference_loudness(clipped).lufs, -8.0);
    expect_normalised(wav("clipped", clipped), static_cast<double>(clipped.size()) / kSampleRate);
}

TEST_F(IngestTest, ReportsFormatTimesAndSpeed) {
    const auto in = wav("speech", speech_48k());
    auto report = ingest_file(in, dir_ / "out.opus", IngestSettings{});
    ASSERT_TRUE(report.ok()) << report.error().message;
    EXPECT_THAT(report->source_format, HasSubstr("WAV"));
    EXPECT_LT(report->loudness.before.integrated_lufs, -17.0);  // espeak-ng speaks softer
    EXPECT_GT(report->loudness.gain_db, 0.0);
    EXPECT_GT(report->decode_seconds, 0.0);
    EXPECT_GT(report->normalise_seconds, 0.0);
    EXPECT_GT(report->encode_seconds, 0.0);
    EXPECT_GE(report->total_seconds,
              report->decode_seconds + report->normalise_seconds + report->encode_seconds - 1e-3);
    EXPECT_GT(report->speed, 1.0);
    EXPECT_EQ(report->frames, speech_48k().size());
}

TEST_F(IngestTest, ProgressIsReportedForEachStage) {
    const auto in = wav("speech", speech_48k());
    IngestSettings settings;
    settings.progress_interval = loa::Duration::zero();  // every buffer
    std::vector<IngestProgress> seen;
    settings.on_progress = [&](const IngestProgress& p) { seen.push_back(p); };
    auto report = ingest_file(in, dir_ / "out.opus", settings);
    ASSERT_TRUE(report.ok()) << report.error().message;
    ASSERT_GE(seen.size(), 4U);
    std::uint64_t last = 0;
    std::size_t decode_reports = 0;
    for (const auto& p : seen) {
        if (p.stage == IngestStage::decode) {
            EXPECT_GE(p.frames, last);
            last = p.frames;
            ++decode_reports;
        }
    }
    EXPECT_GE(decode_reports, 2U);
    EXPECT_EQ(last, speech_48k().size());
    EXPECT_EQ(seen[seen.size() - 2].stage, IngestStage::normalise);
    EXPECT_EQ(seen.back().stage, IngestStage::encode);
    EXPECT_EQ(stage_name(IngestStage::normalise), "normalise");
}

TEST_F(IngestTest, SpeechFromTextReachesTheTarget) {
    const auto out = dir_ / "notice.opus";
    auto report = ingest_speech("Xin chào bà con. Chiều nay có họp tổ dân phố lúc ba giờ.", "vi",
                                out, IngestSettings{});
    ASSERT_TRUE(report.ok()) << report.error().message;
    EXPECT_EQ(report->source_format, "speech (espeak-ng, vi)");
    EXPECT_GT(report->duration_ms, 2000U);
    const auto ref = reference_loudness(read_opus(out));
    EXPECT_NEAR(ref.lufs, kTarget, 0.5);
}

TEST_F(IngestTest, OtherTargetsAreReached) {
    const auto in = wav("speech", speech_48k());
    IngestSettings settings;
    settings.loudness.integrated_lufs = -23.0;
    settings.loudness.true_peak_dbtp = -2.0;
    const auto out = dir_ / "out.opus";
    auto report = ingest_file(in, out, settings);
    ASSERT_TRUE(report.ok()) << report.error().message;
    EXPECT_NEAR(reference_loudness(read_opus(out)).lufs, -23.0, 0.5);
    EXPECT_LE(report->loudness.after.true_peak_dbtp, -2.0 - settings.codec_headroom_db + 0.05);
}

// --- rejections: each names what is wrong and leaves nothing behind.

class IngestRejectTest : public IngestTest {
protected:
    std::string rejected(const std::filesystem::path& in, IngestSettings settings = {}) {
        const auto out = dir_ / "out.opus";
        const auto before = entries_in(dir_.path());
        auto report = ingest_file(in, out, settings);
        EXPECT_FALSE(report.ok());
        EXPECT_FALSE(std::filesystem::exists(out));
        EXPECT_EQ(entries_in(dir_.path()), before) << "a temporary file was left behind";
        return report.ok() ? std::string{} : report.error().message;
    }

    std::filesystem::path mp3_of_speech() {
        const auto in = wav("speech", speech_48k());
        const auto mp3 = dir_ / "speech.mp3";
        EXPECT_EQ(encode_with_gstreamer(in, mp3, "lamemp3enc ! xingmux"), "");
        std::filesystem::remove(in);
        return mp3;
    }

    static void truncate_to(const std::filesystem::path& path, std::uintmax_t size) {
        std::filesystem::resize_file(path, size);
    }
};

TEST_F(IngestRejectTest, TruncatedMp3) {
    const auto mp3 = mp3_of_speech();
    truncate_to(mp3, std::filesystem::file_size(mp3) / 2 + 7);  // cut inside a frame
    EXPECT_THAT(rejected(mp3), StartsWith("truncated: the last MP3 frame lacks"));
}

TEST_F(IngestRejectTest, Mp3CutBetweenFramesIsCaughtByItsHeader) {
    // Constant 64 kbit/s at 48 kHz: every frame is 144 * 64000 / 48000 = 192 bytes, the first
    // one holding the Xing/Info header with the frame count.
    const auto in = wav("speech", speech_48k());
    const auto mp3 = dir_ / "speech.mp3";
    ASSERT_EQ(encode_with_gstreamer(
                  in, mp3,
                  "audio/x-raw,rate=48000 ! lamemp3enc target=bitrate cbr=true bitrate=64 ! "
                  "xingmux"),
              "");
    std::filesystem::remove(in);
    // The Xing frame may be smaller (the encoder picks the lowest bit rate that holds it): it is
    // what the size has beyond whole 192-byte frames.
    const auto size = std::filesystem::file_size(mp3);
    const auto frames = size / 192;
    ASSERT_GT(frames, 100U);
    truncate_to(mp3, size % 192 + 192 * (frames / 2));
    EXPECT_THAT(rejected(mp3), StartsWith("truncated: it holds"));
}

TEST_F(IngestRejectTest, TextRenamedToMp3) {
    const auto fake = dir_ / "notice.mp3";
    std::ofstream{fake} << "Thông báo: họp tổ dân phố lúc 15 giờ chiều nay.\n"
                        << "This is a typed notice, not a recording.\n";
    EXPECT_THAT(rejected(fake), StartsWith("not audio: "));
}

TEST_F(IngestRejectTest, EmptyFile) {
    const auto empty = dir_ / "empty.mp3";
    std::ofstream{empty}.close();
    EXPECT_THAT(rejected(empty), StartsWith("empty: "));
}

TEST_F(IngestRejectTest, WavWithNoSamples) {
    const auto path = wav("nothing", {});
    EXPECT_THAT(rejected(path), StartsWith("empty: "));
}

TEST_F(IngestRejectTest, Silence) {
    const auto path = wav("silence", std::vector<float>(kSampleRate * 3, 0.0F));
    EXPECT_THAT(rejected(path), StartsWith("silent: "));
}

TEST_F(IngestRejectTest, NearSilence) {
    // -80 dBFS hum: below the -70 LUFS gate.
    const auto path = wav("hum", sine(kSampleRate * 3, 100.0, 1e-4, kSampleRate));
    EXPECT_THAT(rejected(path), StartsWith("silent: "));
}

TEST_F(IngestRejectTest, OverLong) {
    const auto path = wav("long", sine(kSampleRate * 62, 440.0, 0.3, kSampleRate));
    IngestSettings settings;
    settings.max_duration = std::chrono::minutes{1};
    const auto message = rejected(path, settings);
    EXPECT_THAT(message, StartsWith("too long: "));
    EXPECT_THAT(message, HasSubstr("1:02"));
    EXPECT_THAT(message, HasSubstr("1:00"));
}

TEST_F(IngestRejectTest, MissingFile) {
    EXPECT_THAT(rejected(dir_ / "nowhere.wav"), StartsWith("not audio: no such file"));
}

TEST_F(IngestRejectTest, UnknownVoice) {
    auto report = ingest_speech("xin chào", "xx-nowhere", dir_ / "out.opus", IngestSettings{});
    ASSERT_FALSE(report.ok());
    EXPECT_THAT(report.error().message, StartsWith("unknown voice 'xx-nowhere' (available: vi"));
    EXPECT_EQ(entries_in(dir_.path()), 0U);
}

// --- every format a reporter or the department may send.

struct FormatCase {
    const char* name;
    const char* extension;
    const char* encoder;  // GStreamer, after audioconvert ! audioresample
    const char* element;  // needed for the encoder
    const char* format;   // in the reported format
};

class IngestFormatTest : public IngestTest, public ::testing::WithParamInterface<FormatCase> {};

TEST_P(IngestFormatTest, Decodes) {
    const auto& c = GetParam();
    if (!has_gstreamer_element(c.element)) {
        GTEST_SKIP() << "no " << c.element << " encoder installed";
    }
    // 44.1 kHz stereo source, as phones and editors write.
    const auto tone = music(4.0, 44100);
    std::vector<float> interleaved(tone.size() * 2);
    for (std::size_t i = 0; i < tone.size(); ++i) {
        interleaved[2 * i] = tone[i];
        interleaved[2 * i + 1] = tone[i];
    }
    const auto source = dir_ / "source.wav";
    ASSERT_TRUE(write_sound_file(source, interleaved, 44100, 2, SF_FORMAT_WAV | SF_FORMAT_PCM_16));
    const auto file = dir_ / (std::string{"input."} + c.extension);
    ASSERT_EQ(encode_with_gstreamer(source, file, c.encoder), "");

    auto decoded = decode_file(file);
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_THAT(decoded->format, HasSubstr(c.format));
    // About 4 s at 48 kHz (codecs add or drop a few ms).
    EXPECT_NEAR(static_cast<double>(decoded->pcm.size()) / kSampleRate, 4.0, 0.08);
    // The music came through: its loudness is where the source's is (lossy codecs and the
    // 8 kHz AMR band move it a little).
    EXPECT_NEAR(reference_loudness(decoded->pcm).lufs, reference_loudness(tone, 44100).lufs,
                std::string{c.name} == "amr" ? 3.0 : 1.0);

    auto report = ingest_file(file, dir_ / "out.opus", IngestSettings{});
    ASSERT_TRUE(report.ok()) << report.error().message;
    EXPECT_NEAR(reference_loudness(read_opus(dir_ / "out.opus")).lufs, kTarget, 0.5);
}

INSTANTIATE_TEST_SUITE_P(
    Formats, IngestFormatTest,
    ::testing::Values(FormatCase{"mp3", "mp3", "lamemp3enc", "lamemp3enc", "MP3"},
                      FormatCase{"m4a", "m4a", "avenc_aac ! mp4mux", "avenc_aac", "AAC"},
                      FormatCase{"wav", "wav", "wavenc", "wavenc", "WAV"},
                      FormatCase{"flac", "flac", "flacenc", "flacenc", "FLAC"},
                      FormatCase{"vorbis", "ogg", "vorbisenc ! oggmux", "vorbisenc", "Vorbis"},
                      FormatCase{"opus", "opus", "opusenc ! oggmux", "opusenc", "Opus"},
                      FormatCase{"amr", "3gp",
                                 "audio/x-raw,rate=8000,channels=1 ! amrnbenc ! 3gppmux",
                                 "amrnbenc", "AMR"}),
    [](const auto& test_info) { return std::string{test_info.param.name}; });

}  // namespace
