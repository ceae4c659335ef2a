#pragma once

#include "loa/audio/format.hpp"
#include "loa/common/clock.hpp"

#include <cstdint>

namespace loa::audio {

// Conversions between frame counts at kSampleRate and wall-clock durations. Pure functions,
// real-time safe, callable from any thread.

// The duration of `frames` frames, rounded to the nearest nanosecond.
constexpr Duration frames_to_duration(std::int64_t frames) {
    // frames * 1e9 / 48000 = frames * 62500 / 3
    static_assert(kSampleRate == 48000);
    const std::int64_t scaled = frames * 62500;
    return Duration{scaled >= 0 ? (scaled + 1) / 3 : -((-scaled + 1) / 3)};
}

// The number of frames in `d`, rounded to the nearest frame (halves away from zero). Exact for
// any duration representable in nanoseconds: no overflow.
constexpr std::int64_t duration_to_frames(Duration d) {
    constexpr std::int64_t kNsPerSecond = 1'000'000'000;
    const std::int64_t seconds = d.count() / kNsPerSecond;
    const std::int64_t rest = (d.count() % kNsPerSecond) * kSampleRate;  // |rest| < 4.8e13
    const std::int64_t rounded = rest >= 0 ? (rest + kNsPerSecond / 2) / kNsPerSecond
                                           : -((-rest + kNsPerSecond / 2) / kNsPerSecond);
    return seconds * kSampleRate + rounded;
}

}  // namespace loa::audio
