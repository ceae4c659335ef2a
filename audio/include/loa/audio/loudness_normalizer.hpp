#pragma once

#include "loa/audio/loudness_meter.hpp"
#include "loa/common/result.hpp"

#include <span>

namespace loa::audio {

// Where ingested audio is brought: EBU R128 integrated loudness and a true-peak ceiling.
struct LoudnessTarget {
    double integrated_lufs = -16.0;
    double true_peak_dbtp = -1.0;
    // The loudness reached is within this of the target (the limiter's loss is made up by more
    // gain, pass after pass).
    double tolerance_lu = 0.2;
};

// Integrated loudness at or below this counts as silence (it is the absolute gate of R128).
inline constexpr double kSilenceLufs = -70.0;

struct LoudnessReport {
    LoudnessMeasurement before;
    LoudnessMeasurement after;
    double gain_db = 0.0;               // the gain applied ahead of the limiter
    double limiter_reduction_db = 0.0;  // the limiter's largest gain reduction; 0 when unused
    int passes = 0;                     // passes over the audio, measurements included
    int estimates = 0;                  // limiter runs over excerpts, to find the gain
};

// Brings 48 kHz mono `pcm`, in place, to `target`: measures it (libebur128), applies the gain
// that reaches the target loudness and, when the true peak would then exceed the ceiling, runs
// a look-ahead peak limiter (PeakLimiter), adding gain until the limited audio is within
// tolerance of the target; then measures the result again.
//
// Fails, changing nothing, for audio that is empty ("empty: ...") or silent ("silent: ...",
// integrated loudness at or below -70 LUFS). Any thread; CPU-bound (a few passes over the
// audio), allocates only small buffers.
Result<LoudnessReport> normalize_loudness(std::span<float> pcm, const LoudnessTarget& target);

}  // namespace loa::audio
