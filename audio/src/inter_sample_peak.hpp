#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <numbers>

namespace loa::audio {

// Estimates the peak of the band-limited signal between two samples: the two samples and three
// points between them (4x oversampling), each interpolated from the kTaps samples around the
// interval by a Hann-windowed sinc. This is the true-peak method of ITU-R BS.1770 (4x at
// 48 kHz) with a filter of the same length. Immutable after construction: any thread.
class InterSamplePeak {
public:
    static constexpr std::size_t kHalf = 6;
    static constexpr std::size_t kTaps = 2 * kHalf;
    static constexpr std::size_t kPhases = 3;

    InterSamplePeak() {
        for (std::size_t p = 0; p < kPhases; ++p) {
            const double frac = static_cast<double>(p + 1) / 4.0;
            double sum = 0.0;
            for (std::size_t i = 0; i < kTaps; ++i) {
                const double t = static_cast<double>(i) - static_cast<double>(kHalf - 1) - frac;
                const double window =
                    0.5 * (1.0 + std::cos(std::numbers::pi * t / static_cast<double>(kHalf)));
                const double px = std::numbers::pi * t;
                coeffs_[p][i] = static_cast<float>(std::sin(px) / px * window);
                sum += coeffs_[p][i];
            }
            double magnitude = 0.0;
            for (std::size_t i = 0; i < kTaps; ++i) {
                coeffs_[p][i] = static_cast<float>(coeffs_[p][i] / sum);  // unity gain at DC
                magnitude += std::fabs(coeffs_[p][i]);
            }
            bound_ = std::max(bound_, static_cast<float>(magnitude));
        }
    }

    // The peak of the interval between window[kHalf - 1] and window[kHalf], `window` holding
    // kTaps samples.
    float interval_peak(const float* window) const {
        float peak = std::max(std::fabs(window[kHalf - 1]), std::fabs(window[kHalf]));
        for (const auto& c : coeffs_) {
            float acc = 0.0F;
            for (std::size_t i = 0; i < kTaps; ++i) {
                acc += c[i] * window[i];
            }
            peak = std::max(peak, std::fabs(acc));
        }
        return peak;
    }

    // No interval peak exceeds bound() times the largest absolute sample of its window: where
    // bound() * that maximum stays below a level, the interpolation can be skipped.
    float bound() const { return bound_; }

private:
    std::array<std::array<float, kTaps>, kPhases> coeffs_{};
    float bound_ = 1.0F;
};

}  // namespace loa::audio
