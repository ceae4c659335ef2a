#include "loa/audio/device_timeline.hpp"

#include "loa/audio/frame_time.hpp"

namespace loa::audio {

TimePoint DeviceTimeline::next(TimePoint reported, std::size_t frames) noexcept {
    const Duration error = reported - (base_ + frames_to_duration(frames_));
    if (!started_ || error >= kSnap || error <= -kSnap) {
        if (started_) {
            ++reanchors_;
        }
        base_ = reported;
        frames_ = 0;
        started_ = true;
    } else {
        base_ += error / kGain;
    }
    const TimePoint t = base_ + frames_to_duration(frames_);
    frames_ += static_cast<std::int64_t>(frames);
    return t;
}

}  // namespace loa::audio
