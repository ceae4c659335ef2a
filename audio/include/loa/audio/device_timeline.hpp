#pragma once

#include "loa/common/clock.hpp"

#include <cstddef>
#include <cstdint>

namespace loa::audio {

// Smooths the wall-clock times a sound device reports for its buffers. A device plays a
// continuous stream, so buffer k+1 starts exactly len(k) frames after buffer k; the times host
// APIs report (PortAudio's outputBufferDacTime) jitter by milliseconds around that. Each call
// predicts the time from the previous buffer, then moves 1/kGain of the way to what the device
// reported: jitter is filtered out while a slow drift between the device's sample clock and the
// wall clock is followed. A jump beyond kSnap (an xrun, a restarted stream) is taken as is.
//
// The reported times come from the clock the agent plays by, re-read for every buffer, so the
// timeline follows that clock's corrections (docs/protocol.md, Clock synchronisation): a slewed
// correction (at most 0.5 ms per second) is followed smoothly, with a lag of about kGain buffers
// of slew (under 0.5 ms with 10 ms buffers); a step of the clock (beyond kSnap) re-anchors the
// timeline once, between two buffers. Audio is never cut or stretched by either: the next buffer
// simply carries the new time, items already playing go on sample by sample, and items not yet
// started start by the new time.
//
// Threads: used by the output's real-time thread only; next() is real-time safe (arithmetic).
class DeviceTimeline {
public:
    static constexpr std::int64_t kGain = 64;
    static constexpr Duration kSnap = std::chrono::milliseconds{20};

    // The time of the first frame of a buffer of `frames` frames that the device reports at
    // `reported`.
    TimePoint next(TimePoint reported, std::size_t frames) noexcept;
    // Forget the past: the next buffer is taken at its reported time.
    void reset() noexcept {
        started_ = false;
        reanchors_ = 0;
    }
    // Times the timeline was re-anchored on a report beyond kSnap (the first buffer excluded).
    std::uint64_t reanchors() const noexcept { return reanchors_; }

private:
    bool started_ = false;
    std::uint64_t reanchors_ = 0;
    // The timeline is base_ + frames_ / 48000 (no rounding accumulates from block to block);
    // corrections move base_.
    TimePoint base_{};
    std::int64_t frames_ = 0;
};

}  // namespace loa::audio
