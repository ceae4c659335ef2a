#include "loa/audio/loudness_meter.hpp"
#include "loa/audio/loudness_normalizer.hpp"
#include "loa/audio/peak_limiter.hpp"

#include "ingest_test_util.hpp"
#include "loa/audio/speech_synthesis.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

using namespace loa::audio;
using namespace loa::audio::test;
using ::testing::StartsWith;

namespace {

std::vector<float> speech() {
    auto s = synthesize_speech("Một hai ba bốn năm sáu bảy tám chín mười. Xin chào bà con.", "vi");
    return s ? std::move(s).value() : std::vector<float>{};
}

// A 1 kHz sine at -20 dBFS reads -20 LUFS... minus the mono weighting: BS.1770 puts a full-scale
// 997 Hz sine in one channel at -3.01 LUFS.
TEST(LoudnessMeter, SineHasTheLoudnessOfTheStandard) {
    const auto tone = sine(kSampleRate * 5, 997.0, std::pow(10.0, -20.0 / 20.0), kSampleRate);
    const auto m = LoudnessMeter::measure(tone);
    EXPECT_NEAR(m.integrated_lufs, -23.01, 0.05);
    EXPECT_NEAR(m.sample_peak_dbfs, -20.0, 0.01);
    EXPECT_NEAR(m.true_peak_dbtp, -20.0, 0.05);
}

TEST(LoudnessMeter, TruePeakMatchesLibebur128) {
    // Material with inter-sample peaks: speech, a near-Nyquist tone at an awkward phase, music,
    // clipped speech.
    std::vector<std::vector<float>> signals;
    signals.push_back(speech());
    std::vector<float> high(kSampleRate);
    for (std::size_t i = 0; i < high.size(); ++i) {
        high[i] = static_cast<float>(
            0.5 * std::sin(2.0 * std::numbers::pi * 11025.0 * static_cast<double>(i) / 48000.0 +
                           std::numbers::pi / 4));
    }
    signals.push_back(high);
    signals.push_back(music(3.0, kSampleRate));
    signals.push_back(hard_clipped(speech(), 12.0));
    for (const auto& s : signals) {
        ASSERT_FALSE(s.empty());
        const auto ours = LoudnessMeter::measure(s);
        const auto ref = reference_loudness(s);
        EXPECT_NEAR(ours.integrated_lufs, ref.lufs, 1e-6);
        EXPECT_NEAR(ours.sample_peak_dbfs, ref.sample_peak_db, 1e-4);
        EXPECT_NEAR(ours.true_peak_dbtp, ref.true_peak_db, 0.2);
        EXPECT_GE(ours.true_peak_dbtp, ours.sample_peak_dbfs);
    }
}

TEST(LoudnessMeter, FeedingInPiecesGivesTheSameAsAtOnce) {
    const auto s = speech();
    LoudnessMeter meter;
    // Pieces of every size, 1 sample to thousands, so intervals straddle every kind of seam.
    std::size_t at = 0;
    std::size_t n = 1;
    while (at < s.size()) {
        const std::size_t take = std::min(n, s.size() - at);
        meter.add(std::span<const float>{s}.subspan(at, take));
        at += take;
        n = n * 3 % 5003 + 1;
    }
    const auto whole = LoudnessMeter::measure(s);
    const auto pieces = meter.measurement();
    EXPECT_DOUBLE_EQ(pieces.integrated_lufs, whole.integrated_lufs);
    EXPECT_DOUBLE_EQ(pieces.true_peak_dbtp, whole.true_peak_dbtp);
    EXPECT_DOUBLE_EQ(pieces.sample_peak_dbfs, whole.sample_peak_dbfs);
}

TEST(LoudnessMeter, SilenceIsMinusInfinity) {
    const auto m = LoudnessMeter::measure(std::vector<float>(kSampleRate, 0.0F));
    EXPECT_EQ(m.integrated_lufs, -std::numeric_limits<double>::infinity());
    EXPECT_EQ(m.true_peak_dbtp, -std::numeric_limits<double>::infinity());
}

TEST(PeakLimiter, KeepsEverySampleAndTheAlignment) {
    // Below the ceiling the limiter is a delay line that gives back exactly its input, aligned.
    const auto tone = sine(10000, 440.0, 0.25, kSampleRate);
    PeakLimiter limiter{PeakLimiterSettings{}, 1.0F};
    std::vector<float> out;
    limiter.process(std::span<const float>{tone}.first(3333), out);
    EXPECT_EQ(out.size(), 3333 - limiter.latency());
    limiter.process(std::span<const float>{tone}.subspan(3333), out);
    limiter.flush(out);
    ASSERT_EQ(out.size(), tone.size());
    for (std::size_t i = 0; i < tone.size(); ++i) {
        ASSERT_EQ(out[i], tone[i]) << i;
    }
    EXPECT_EQ(limiter.max_reduction_db(), 0.0);
}

TEST(PeakLimiter, HoldsTheCeilingWithGainAhead) {
    // Speech pushed 10 dB up: every peak, between samples too, stays at or below -1 dBTP.
    const auto s = speech();
    PeakLimiter limiter{PeakLimiterSettings{}, 3.1623F};
    std::vector<float> out;
    limiter.process(s, out);
    limiter.flush(out);
    ASSERT_EQ(out.size(), s.size());
    const auto ref = reference_loudness(out);
    EXPECT_LE(ref.true_peak_db, -1.0 + 0.1);
    EXPECT_LE(ref.sample_peak_db, -1.0 + 1e-4);
    EXPECT_GT(limiter.max_reduction_db(), 5.0);
    // Still louder by much of the gain: the limiter only takes the peaks.
    EXPECT_GT(ref.lufs - reference_loudness(s).lufs, 4.0);
}

TEST(PeakLimiter, RampsDownBeforeASingleSpike) {
    // A lone full-scale spike in quiet audio: the gain falls over the look-ahead before it
    // (no step), reaches the ceiling at the spike and comes back after.
    std::vector<float> x(4800, 0.05F);
    x[2400] = 1.0F;
    PeakLimiterSettings settings;
    settings.ceiling_db = -6.0;
    PeakLimiter limiter{settings, 1.0F};
    std::vector<float> out;
    limiter.process(x, out);
    limiter.flush(out);
    ASSERT_EQ(out.size(), x.size());
    EXPECT_NEAR(out[2400], 0.501F, 0.002F);
    // 5 ms (240 samples) ahead of the spike the gain is falling, not yet at its floor.
    EXPECT_LT(out[2300], 0.05F);
    EXPECT_GT(out[2300], 0.025F);
    EXPECT_FLOAT_EQ(out[2000], 0.05F);
    // The gain ramps down monotonically to the spike, then is released.
    for (std::size_t i = 2100; i < 2400; ++i) {
        EXPECT_LE(out[i + 1] / x[i + 1], out[i] / x[i] + 1e-6F) << i;
    }
    EXPECT_GT(out[4700], out[2500]);
    EXPECT_LT(out[2500], 0.05F);
}

TEST(NormalizeLoudness, GainOnlyWhenThePeaksAllowIt) {
    // A sine has a 3 dB crest factor: -16 LUFS puts its peak near -13 dBTP.
    auto tone = sine(kSampleRate * 4, 997.0, 0.05, kSampleRate);
    auto report = normalize_loudness(tone, LoudnessTarget{});
    ASSERT_TRUE(report.ok()) << report.error().message;
    EXPECT_EQ(report->limiter_reduction_db, 0.0);
    EXPECT_EQ(report->passes, 2);
    EXPECT_NEAR(reference_loudness(tone).lufs, -16.0, 0.01);
    EXPECT_NEAR(report->after.integrated_lufs, -16.0, 0.01);
}

TEST(NormalizeLoudness, LimitsAndStillReachesTheTarget) {
    auto s = speech();
    const auto before = reference_loudness(s);
    auto report = normalize_loudness(s, LoudnessTarget{});
    ASSERT_TRUE(report.ok()) << report.error().message;
    EXPECT_NEAR(report->before.integrated_lufs, before.lufs, 1e-6);
    EXPECT_GT(report->limiter_reduction_db, 0.5);
    const auto after = reference_loudness(s);
    EXPECT_NEAR(after.lufs, -16.0, 0.2);
    EXPECT_LE(after.true_peak_db, -1.0 + 0.1);
    EXPECT_NEAR(report->after.integrated_lufs, after.lufs, 1e-6);
}

TEST(NormalizeLoudness, LongAudioIsEstimatedOnExcerptsAndStillHitsTheTarget) {
    // Over a minute: the limiter's loss is estimated on excerpts; the result is still on target.
    const auto piece = speech();
    const auto tune = music(7.0, kSampleRate);
    std::vector<float> program;
    while (program.size() < static_cast<std::size_t>(kSampleRate) * 150) {
        program.insert(program.end(), piece.begin(), piece.end());
        program.insert(program.end(), tune.begin(), tune.end());
    }
    auto report = normalize_loudness(program, LoudnessTarget{});
    ASSERT_TRUE(report.ok()) << report.error().message;
    const auto after = reference_loudness(program);
    EXPECT_NEAR(after.lufs, -16.0, 0.2);
    EXPECT_LE(after.true_peak_db, -1.0 + 0.1);
    EXPECT_LE(report->passes, 4);
}

TEST(NormalizeLoudness, RefusesSilenceAndEmptinessUntouched) {
    std::vector<float> none;
    auto empty = normalize_loudness(none, LoudnessTarget{});
    ASSERT_FALSE(empty.ok());
    EXPECT_THAT(empty.error().message, StartsWith("empty: "));

    auto hum = sine(kSampleRate * 2, 50.0, 1e-5, kSampleRate);
    const auto copy = hum;
    auto silent = normalize_loudness(hum, LoudnessTarget{});
    ASSERT_FALSE(silent.ok());
    EXPECT_THAT(silent.error().message, StartsWith("silent: "));
    EXPECT_EQ(hum, copy);
}

TEST(SpeechSynthesis, VietnameseIsInstalledAndListed) {
    const auto voices = list_voices();
    ASSERT_FALSE(voices.empty());
    auto vi = find_voice("vi");
    ASSERT_TRUE(vi.ok()) << vi.error().message;
    EXPECT_EQ(vi->language, "vi");
    EXPECT_TRUE(find_voice("VI").ok());
    EXPECT_TRUE(find_voice("vi-vn-x-south").ok());
    auto none = find_voice("xx-nowhere");
    ASSERT_FALSE(none.ok());
    EXPECT_THAT(none.error().message, StartsWith("unknown voice 'xx-nowhere' (available: vi"));
}

TEST(SpeechSynthesis, SpeaksAt48kHz) {
    auto s = synthesize_speech("Xin chào", "vi");
    ASSERT_TRUE(s.ok()) << s.error().message;
    // About a second of speech, not silence.
    EXPECT_GT(s->size(), static_cast<std::size_t>(kSampleRate) / 2);
    EXPECT_LT(s->size(), static_cast<std::size_t>(kSampleRate) * 3);
    EXPECT_GT(rms(*s), 0.01);
    // The same text in another voice differs.
    auto en = synthesize_speech("Xin chào", "en");
    ASSERT_TRUE(en.ok()) << en.error().message;
    EXPECT_NE(*en, *s);
}

TEST(SpeechSynthesis, RefusesEmptyText) {
    auto s = synthesize_speech("   \n ", "vi");
    ASSERT_FALSE(s.ok());
    EXPECT_THAT(s.error().message, StartsWith("empty: "));
}

}  // namespace
