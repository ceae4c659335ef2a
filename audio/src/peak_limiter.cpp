#include "loa/audio/peak_limiter.hpp"

#include "inter_sample_peak.hpp"

#include <algorithm>
#include <cmath>

namespace loa::audio {
namespace {

constexpr std::size_t kHalf = InterSamplePeak::kHalf;
constexpr std::size_t kTaps = InterSamplePeak::kTaps;

void advance(std::size_t& pos, std::size_t size) {
    if (++pos == size) {
        pos = 0;
    }
}

}  // namespace

PeakLimiter::PeakLimiter(const PeakLimiterSettings& settings, float input_gain)
    : detector_{std::make_unique<const InterSamplePeak>()},
      input_gain_{input_gain},
      ceiling_{static_cast<float>(std::pow(10.0, settings.ceiling_db / 20.0))},
      loud_{ceiling_ / detector_->bound()},
      window_{std::max<std::size_t>(
          1, static_cast<std::size_t>(settings.lookahead_ms * settings.sample_rate / 1000.0))},
      latency_{window_ - 1 + kHalf},
      release_coeff_{static_cast<float>(
          1.0 - std::exp(-1000.0 / (std::max(settings.release_ms, 0.01) * settings.sample_rate)))},
      history_(2 * kTaps, 0.0F),
      since_loud_{kTaps},
      delay_(latency_ + 1, 0.0F),
      min_ring_(window_ + 1),
      average_ring_(window_, 1.0F),
      average_sum_{static_cast<double>(window_)} {}

PeakLimiter::~PeakLimiter() = default;

double PeakLimiter::max_reduction_db() const {
    return min_gain_ < 1.0F ? -20.0 * std::log10(static_cast<double>(min_gain_)) : 0.0;
}

void PeakLimiter::process(std::span<const float> in, std::vector<float>& out) {
    for (const float x : in) {
        ++received_;
        push(x * input_gain_, out);
    }
}

void PeakLimiter::flush(std::vector<float>& out) {
    while (emitted_ < received_) {
        push(0.0F, out);
    }
}

void PeakLimiter::push(float y, std::vector<float>& out) {
    const std::uint64_t n = pushed_++;

    // Detector history: y[n - kTaps + 1 .. n] contiguous at history_[history_pos_ + 1 ..].
    advance(history_pos_, kTaps);
    history_[history_pos_] = y;
    history_[history_pos_ + kTaps] = y;
    since_loud_ = std::fabs(y) > loud_ ? 0 : since_loud_ + 1;

    // Delay line: y[n] in, y[n - latency_] out.
    advance(delay_pos_, delay_.size());
    delay_[delay_pos_] = y;
    std::size_t oldest = delay_pos_;
    advance(oldest, delay_.size());
    const float delayed = delay_[oldest];

    if (n < kHalf) {
        return;
    }
    // The interval (m, m + 1), m = n - kHalf: its peak matters only when a sample of its window
    // is loud enough to take it above the ceiling.
    const std::uint64_t m = n - kHalf;
    float interval_peak = 0.0F;
    if (since_loud_ < kTaps) {
        interval_peak = detector_->interval_peak(&history_[history_pos_ + 1]);
    }
    // Sample m bounds the intervals on both of its sides.
    const float peak = std::max(previous_interval_peak_, interval_peak);
    const float required = peak > ceiling_ ? ceiling_ / peak : 1.0F;
    previous_interval_peak_ = interval_peak;

    // Sliding minimum over [m - window_ + 1, m].
    const std::size_t ring = min_ring_.size();
    const auto back = [&] {
        std::size_t i = min_front_ + min_size_ - 1;
        return i >= ring ? i - ring : i;
    };
    while (min_size_ > 0 && min_ring_[back()].gain >= required) {
        --min_size_;
    }
    ++min_size_;
    min_ring_[back()] = MinEntry{m, required};
    while (min_ring_[min_front_].index + window_ <= m) {
        advance(min_front_, ring);
        --min_size_;
    }
    const float minimum = min_ring_[min_front_].gain;

    // Moving average of the minimum: the attack ramp.
    average_sum_ += static_cast<double>(minimum) - average_ring_[average_pos_];
    average_ring_[average_pos_] = minimum;
    advance(average_pos_, window_);
    if (m + 1 < window_) {
        return;  // the output sample m - window_ + 1 lies before the start
    }
    const auto attack = static_cast<float>(average_sum_ / static_cast<double>(window_));

    // Release towards unity, never above what the attack requires.
    gain_ = std::min(attack, gain_ + (1.0F - gain_) * release_coeff_);
    min_gain_ = std::min(min_gain_, gain_);
    if (emitted_ < received_) {
        out.push_back(delayed * gain_);
        ++emitted_;
    }
}

}  // namespace loa::audio
