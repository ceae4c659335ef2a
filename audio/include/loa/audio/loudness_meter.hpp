#pragma once

#include "loa/audio/format.hpp"

#include <array>
#include <memory>
#include <span>

namespace loa::audio {

class InterSamplePeak;

// What EBU R128 / ITU-R BS.1770 says of a stretch of mono audio. A mono channel has weight 1
// (no dual-mono +3 dB), as it is played over a single loudspeaker line.
struct LoudnessMeasurement {
    // Gated integrated loudness in LUFS; -inf when no 400 ms block is louder than -70 LUFS.
    double integrated_lufs = 0.0;
    // Largest absolute value after 4x oversampling, in dBTP; -inf for digital silence.
    double true_peak_dbtp = 0.0;
    // Largest absolute sample value, in dBFS; -inf for digital silence.
    double sample_peak_dbfs = 0.0;
};

// An EBU R128 meter for one mono stream: integrated loudness from libebur128, sample peak, and
// true peak by 4x oversampling (the interpolation of ITU-R BS.1770 Annex 2, evaluated only
// where the samples around an interval could reach the largest peak seen so far, which keeps it
// several times faster than computing every interpolated point). Feed it with add(), read it at
// any point. Not thread-safe: one thread owns a meter. add() does not allocate.
class LoudnessMeter {
public:
    // Throws std::bad_alloc when libebur128 cannot make its state (out of memory or a sample
    // rate it refuses).
    explicit LoudnessMeter(int sample_rate = kSampleRate);
    ~LoudnessMeter();
    LoudnessMeter(const LoudnessMeter&) = delete;
    LoudnessMeter& operator=(const LoudnessMeter&) = delete;

    void add(std::span<const float> mono);
    LoudnessMeasurement measurement() const;

    // A meter over the whole of `mono`, in one call.
    static LoudnessMeasurement measure(std::span<const float> mono, int sample_rate = kSampleRate);

private:
    void scan_peaks(const float* data, std::size_t intervals);

    struct State;  // libebur128's state
    std::unique_ptr<State> state_;
    std::unique_ptr<const InterSamplePeak> interpolator_;
    float sample_peak_ = 0.0F;
    float true_peak_ = 0.0F;
    // The last samples of the previous add(), for the intervals that straddle two calls.
    static constexpr std::size_t kCarry = 11;
    std::array<float, 2 * kCarry + 1> carry_{};
    std::size_t carried_ = 0;
};

}  // namespace loa::audio
