#pragma once

#include "loa/audio/format.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace loa::audio {

class InterSamplePeak;

struct PeakLimiterSettings {
    double ceiling_db = -1.0;   // no (inter-sample) peak of the output above this, in dBFS
    double lookahead_ms = 5.0;  // the gain reaches its value over this time before a peak
    double release_ms = 80.0;   // time constant of the gain's return towards unity
    int sample_rate = kSampleRate;
};

// A look-ahead peak limiter for mono audio, for offline use (ingest).
//
// Each sample is multiplied by `input_gain`, then by a gain envelope that keeps the output below
// the ceiling: the detector estimates the true peak around every sample (the samples and three
// points between each pair, interpolated 4x), the required gain is the minimum over the
// look-ahead window, smoothed by a moving average of the same length (a ramp that still never
// exceeds the requirement at any sample) and released exponentially.
//
// The output lags the input by latency() samples; process() emits one output sample per input
// sample once the line is full, and flush() emits the rest, so that in total the output has as
// many samples as the input, aligned with it.
//
// Not thread-safe: one thread owns a limiter. process() and flush() do not allocate when `out`
// has the capacity.
class PeakLimiter {
public:
    PeakLimiter(const PeakLimiterSettings& settings, float input_gain);
    ~PeakLimiter();
    PeakLimiter(const PeakLimiter&) = delete;
    PeakLimiter& operator=(const PeakLimiter&) = delete;

    // Appends to `out` the samples the limiter can emit after taking `in`.
    void process(std::span<const float> in, std::vector<float>& out);
    // Appends the samples still in the line (the input ended).
    void flush(std::vector<float>& out);

    std::size_t latency() const { return latency_; }
    // The largest gain reduction applied so far, in dB (0 when the limiter never acted).
    double max_reduction_db() const;

private:
    void push(float y, std::vector<float>& out);

    std::unique_ptr<const InterSamplePeak> detector_;
    float input_gain_;
    float ceiling_;
    float loud_;           // |y| above this may make an interval peak above the ceiling
    std::size_t window_;   // look-ahead in samples (at least 1)
    std::size_t latency_;  // window_ - 1 + half the detector's taps
    float release_coeff_;

    // Gained input, the detector's taps twice over, so that the last ones are contiguous.
    std::vector<float> history_;
    std::size_t history_pos_ = 0;
    std::size_t since_loud_;  // samples since the last one above loud_
    float previous_interval_peak_ = 0.0F;

    // Gained input waiting for its gain, latency_ + 1 samples.
    std::vector<float> delay_;
    std::size_t delay_pos_ = 0;

    // Sliding minimum of the required gain over window_ samples: a ring of (index, gain) kept
    // increasing in gain from front to back.
    struct MinEntry {
        std::uint64_t index = 0;
        float gain = 1.0F;
    };
    std::vector<MinEntry> min_ring_;
    std::size_t min_front_ = 0;
    std::size_t min_size_ = 0;

    // Moving average of the sliding minimum over window_ samples.
    std::vector<float> average_ring_;
    std::size_t average_pos_ = 0;
    double average_sum_ = 0.0;

    float gain_ = 1.0F;  // after release smoothing
    float min_gain_ = 1.0F;
    std::uint64_t pushed_ = 0;    // samples pushed (input and flush padding)
    std::uint64_t received_ = 0;  // real input samples
    std::uint64_t emitted_ = 0;
};

}  // namespace loa::audio
