#include "loa/audio/loudness_meter.hpp"

#include "inter_sample_peak.hpp"

#include <ebur128.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <new>

namespace loa::audio {
namespace {

static_assert(InterSamplePeak::kTaps == 12, "kCarry is the number of taps minus one");

// Intervals are judged in blocks of this many: a block is interpolated only when its loudest
// sample could give a peak above the largest one found so far.
constexpr std::size_t kBlock = 64;

double to_db(double linear) {
    return linear > 0.0 ? 20.0 * std::log10(linear) : -std::numeric_limits<double>::infinity();
}

float abs_max(const float* data, std::size_t n) {
    float m = 0.0F;
    for (std::size_t i = 0; i < n; ++i) {
        const float v = std::fabs(data[i]);
        m = m < v ? v : m;
    }
    return m;
}

}  // namespace

struct LoudnessMeter::State {
    explicit State(int sample_rate)
        : st{ebur128_init(1, static_cast<unsigned long>(sample_rate), EBUR128_MODE_I)} {
        if (st == nullptr) {
            throw std::bad_alloc{};
        }
        // Mono: one channel of weight 1.
        ebur128_set_channel(st, 0, EBUR128_CENTER);
    }
    ~State() { ebur128_destroy(&st); }
    State(const State&) = delete;
    State& operator=(const State&) = delete;

    ebur128_state* st;
};

LoudnessMeter::LoudnessMeter(int sample_rate)
    : state_{std::make_unique<State>(sample_rate)},
      interpolator_{std::make_unique<const InterSamplePeak>()} {
    // The signal starts after silence: the first intervals see zeros before it.
    carried_ = kCarry / 2;
}

LoudnessMeter::~LoudnessMeter() = default;

// Scans the `intervals` intervals whose windows start at data[0], data[1], ...: data holds
// intervals + kTaps - 1 samples.
void LoudnessMeter::scan_peaks(const float* data, std::size_t intervals) {
    constexpr std::size_t kTaps = InterSamplePeak::kTaps;
    const float bound = interpolator_->bound();
    for (std::size_t at = 0; at < intervals; at += kBlock) {
        const std::size_t n = std::min(kBlock, intervals - at);
        if (abs_max(data + at, n + kTaps - 1) * bound <= true_peak_) {
            continue;
        }
        for (std::size_t i = at; i < at + n; ++i) {
            true_peak_ = std::max(true_peak_, interpolator_->interval_peak(data + i));
        }
    }
}

void LoudnessMeter::add(std::span<const float> mono) {
    if (mono.empty()) {
        return;
    }
    ebur128_add_frames_float(state_->st, mono.data(), mono.size());
    const float peak = abs_max(mono.data(), mono.size());
    sample_peak_ = std::max(sample_peak_, peak);
    true_peak_ = std::max(true_peak_, peak);

    // Intervals that straddle the previous call and this one: carry_ holds the last kCarry
    // samples before, followed by the first ones of this call.
    const std::size_t head = std::min(mono.size(), kCarry);
    std::copy_n(mono.begin(), head, carry_.begin() + static_cast<std::ptrdiff_t>(carried_));
    const std::size_t joined = carried_ + head;
    if (joined >= InterSamplePeak::kTaps) {
        scan_peaks(carry_.data(), joined - InterSamplePeak::kTaps + 1);
    }
    // Intervals inside this call.
    if (mono.size() >= InterSamplePeak::kTaps) {
        scan_peaks(mono.data(), mono.size() - InterSamplePeak::kTaps + 1);
    }
    // Keep the last kCarry samples (fewer at the start of the stream).
    if (mono.size() >= kCarry) {
        std::copy_n(mono.end() - kCarry, kCarry, carry_.begin());
        carried_ = kCarry;
    } else {
        // Short call: what was carried plus all of it, the last kCarry at most.
        const std::size_t keep = std::min(joined, kCarry);
        std::copy(carry_.begin() + static_cast<std::ptrdiff_t>(joined - keep),
                  carry_.begin() + static_cast<std::ptrdiff_t>(joined), carry_.begin());
        carried_ = keep;
    }
}

LoudnessMeasurement LoudnessMeter::measurement() const {
    LoudnessMeasurement m;
    double value = 0.0;
    m.integrated_lufs = ebur128_loudness_global(state_->st, &value) == EBUR128_SUCCESS
                            ? value
                            : -std::numeric_limits<double>::infinity();
    // libebur128 answers -HUGE_VAL when nothing passed the gate.
    if (!std::isfinite(m.integrated_lufs)) {
        m.integrated_lufs = -std::numeric_limits<double>::infinity();
    }
    m.true_peak_dbtp = to_db(true_peak_);
    m.sample_peak_dbfs = to_db(sample_peak_);
    return m;
}

LoudnessMeasurement LoudnessMeter::measure(std::span<const float> mono, int sample_rate) {
    LoudnessMeter meter{sample_rate};
    meter.add(mono);
    return meter.measurement();
}

}  // namespace loa::audio
