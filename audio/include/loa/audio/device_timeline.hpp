#pragma once

#include "loa/common/clock.hpp"

#include <cstddef>

namespace loa::audio {

// Smooths the wall-clock times a sound device reports for its buffers. A device plays a
// continuous stream, so buffer k+1 starts exactly len(k) frames after buffer k; the times host
// APIs report (PortAudio's outputBufferDacTime) jitter by milliseconds around that. Each call
// predicts the time from the previous buffer, then moves 1/kGain of the way to what the device
// reported: jitter is filtered out while a slow drift between the device's sample clock and the
// wall clock is followed. A jump beyond kSnap (an xrun, a restarted stream) is taken as is.
//
// Threads: used by the output's real-time callback only; next() is real-time safe (arithmetic).
class DeviceTimeline {
public:
    static constexpr std::int64_t kGain = 64;
    static constexpr Duration kSnap = std::chrono::milliseconds{20};

    // The time of the first frame of a buffer of `frames` frames that the device reports at
    // `reported`.
    TimePoint next(TimePoint reported, std::size_t frames) noexcept;
    // Forget the past: the next buffer is taken at its reported time.
    void reset() noexcept { started_ = false; }

private:
    bool started_ = false;
    // The timeline is base_ + frames_ / 48000 (no rounding accumulates from block to block);
    // corrections move base_.
    TimePoint base_{};
    std::int64_t frames_ = 0;
};

}  // namespace loa::audio
