#include "loa/audio/loudness_normalizer.hpp"

#include "loa/audio/peak_limiter.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace loa::audio {
namespace {

constexpr std::size_t kChunk = 65536;
// The limiter's loss of loudness is estimated on excerpts: kExcerpt of every kExcerptPeriod, at
// a varying place in the period (so that no rhythm of the content is sampled at one phase),
// each after kPreroll of audio that sets the limiter's state. Audio up to kWholeBelow is used
// whole (the estimate is then exact).
constexpr std::size_t kExcerpt = frames_for_ms(4000);
constexpr std::size_t kExcerptPeriod = frames_for_ms(20000);
constexpr std::size_t kPreroll = frames_for_ms(500);
constexpr std::size_t kWholeBelow = frames_for_ms(60000);
constexpr int kMaxEstimates = 8;
constexpr int kMaxCorrections = 2;

float db_to_gain(double db) {
    return static_cast<float>(std::pow(10.0, db / 20.0));
}

struct Range {
    std::size_t preroll_from = 0;  // the limiter starts here
    std::size_t from = 0;          // measured from here
    std::size_t to = 0;
};

std::vector<Range> excerpts(std::size_t frames) {
    if (frames <= kWholeBelow) {
        return {Range{0, 0, frames}};
    }
    std::vector<Range> out;
    std::uint32_t hash = 2166136261U;
    for (std::size_t period = 0; period + kExcerptPeriod <= frames; period += kExcerptPeriod) {
        hash = hash * 16777619U + 12345U;
        const std::size_t slack = kExcerptPeriod - kExcerpt - kPreroll;
        const std::size_t start = period + kPreroll + (hash >> 8) % slack;
        out.push_back(Range{start - kPreroll, start, start + kExcerpt});
    }
    return out;
}

// Measures `ranges` of `pcm` after `gain_db`, through the limiter when `settings` is given.
LoudnessMeasurement measure_ranges(std::span<const float> pcm, const std::vector<Range>& ranges,
                                   double gain_db, const PeakLimiterSettings* settings) {
    LoudnessMeter meter;
    std::vector<float> out;
    const float gain = db_to_gain(gain_db);
    for (const auto& r : ranges) {
        if (settings == nullptr) {
            out.assign(pcm.begin() + static_cast<std::ptrdiff_t>(r.from),
                       pcm.begin() + static_cast<std::ptrdiff_t>(r.to));
            for (float& x : out) {
                x *= gain;
            }
            meter.add(out);
            continue;
        }
        PeakLimiter limiter{*settings, gain};
        out.clear();
        limiter.process(pcm.subspan(r.preroll_from, r.to - r.preroll_from), out);
        limiter.flush(out);
        meter.add(std::span<const float>{out}.subspan(r.from - r.preroll_from));
    }
    return meter.measurement();
}

// Runs the limiter over `pcm` in place (the output lags the input, so it is written behind the
// point being read) and measures the result.
LoudnessMeasurement limit_in_place(std::span<float> pcm, const PeakLimiterSettings& settings,
                                   double gain_db, double* reduction_db) {
    PeakLimiter limiter{settings, db_to_gain(gain_db)};
    LoudnessMeter meter;
    std::vector<float> out;
    out.reserve(kChunk + limiter.latency());
    std::size_t written = 0;
    const auto put = [&] {
        meter.add(out);
        std::copy(out.begin(), out.end(), pcm.begin() + static_cast<std::ptrdiff_t>(written));
        written += out.size();
        out.clear();
    };
    for (std::size_t at = 0; at < pcm.size(); at += kChunk) {
        limiter.process(pcm.subspan(at, std::min(kChunk, pcm.size() - at)), out);
        put();
    }
    limiter.flush(out);
    put();
    *reduction_db = std::max(*reduction_db, limiter.max_reduction_db());
    return meter.measurement();
}

}  // namespace

Result<LoudnessReport> normalize_loudness(std::span<float> pcm, const LoudnessTarget& target) {
    if (pcm.empty()) {
        return Error{"empty: there is no audio in it (0 samples)"};
    }
    LoudnessReport report;
    report.before = LoudnessMeter::measure(pcm);
    report.passes = 1;
    if (!(report.before.integrated_lufs > kSilenceLufs)) {
        return Error{fmt::format(
            "silent: its loudness is below {} LUFS (peak {:.1f} dBFS), nothing to broadcast",
            kSilenceLufs, report.before.sample_peak_dbfs)};
    }

    const double ceiling = target.true_peak_dbtp;
    report.gain_db = target.integrated_lufs - report.before.integrated_lufs;
    if (report.before.true_peak_dbtp + report.gain_db <= ceiling) {
        // A plain gain keeps the peaks below the ceiling.
        const float gain = db_to_gain(report.gain_db);
        for (float& x : pcm) {
            x *= gain;
        }
        report.after = LoudnessMeter::measure(pcm);
        ++report.passes;
        return report;
    }

    // The limiter takes some loudness away: find the gain that makes up for it, estimating the
    // loss on excerpts (secant steps), then limit the whole and measure it.
    PeakLimiterSettings settings;
    settings.ceiling_db = ceiling;
    const auto ranges = excerpts(pcm.size());
    const double excerpt_lufs = measure_ranges(pcm, ranges, 0.0, nullptr).integrated_lufs;
    const auto predict = [&](double gain_db) {
        // Whole loudness = unlimited loudness - the loss the excerpts show.
        const auto m = measure_ranges(pcm, ranges, gain_db, &settings);
        ++report.estimates;
        return report.before.integrated_lufs - excerpt_lufs + m.integrated_lufs;
    };
    double gain_db = report.gain_db;
    double slope = 1.0;  // dB of loudness per dB of gain (below 1 while the limiter works)
    double previous_gain = 0.0;
    double previous_lufs = 0.0;
    for (int i = 0; i < kMaxEstimates; ++i) {
        const double lufs = predict(gain_db);
        const double miss = target.integrated_lufs - lufs;
        if (i > 0 && gain_db != previous_gain) {
            slope = std::clamp((lufs - previous_lufs) / (gain_db - previous_gain), 0.05, 1.0);
        }
        if (std::fabs(miss) <= target.tolerance_lu / 2) {
            break;
        }
        previous_gain = gain_db;
        previous_lufs = lufs;
        gain_db += miss / slope;
    }
    report.gain_db = gain_db;
    report.after = limit_in_place(pcm, settings, gain_db, &report.limiter_reduction_db);
    ++report.passes;

    // The excerpts may not tell the whole: correct the limited audio itself when it missed.
    for (int i = 0; i < kMaxCorrections; ++i) {
        const double miss = target.integrated_lufs - report.after.integrated_lufs;
        const double over = report.after.true_peak_dbtp - ceiling;
        if (std::fabs(miss) <= target.tolerance_lu && over <= 0.05) {
            break;
        }
        if (over > 0.05) {
            settings.ceiling_db -= over;
        }
        const double extra = std::fabs(miss) <= target.tolerance_lu ? 0.0 : miss / slope;
        report.gain_db += extra;
        report.after = limit_in_place(pcm, settings, extra, &report.limiter_reduction_db);
        ++report.passes;
    }
    return report;
}

}  // namespace loa::audio
