#pragma once

#include "loa/audio/audio_output.hpp"

#include <atomic>
#include <filesystem>
#include <memory>
#include <thread>

namespace loa::audio {

// An output that behaves like a sound card but writes a WAV file (16-bit mono 48 kHz): a thread
// ("loa-audio-rt") renders one block every block duration, paced in real time by the steady
// clock, silence included, so sample i of the file was "heard" at first_sample_time + i / 48000 s
// on `file_clock`. At start it writes `<file>.json` with {"first_sample_utc_us": ...,
// "sample_rate": 48000}: first_sample_time on `file_clock`, which tests use to tell when each
// item really started. The WAV header is kept valid as the file grows. With an empty path it is
// a null output: paced and rendered the same way, the samples dropped (the fleet's stations that
// need no recording).
//
// The time handed to render() follows `play_clock` (an agent's corrected clock): before each
// block the thread reads it (outside render(); the clock may take a brief lock) and feeds it,
// less the block's lateness, through a DeviceTimeline, so the sink follows the clock's later
// corrections the way a sound card's output does (slews smoothly, re-anchors once on a step).
// With one clock both are the same.
class ClockedFileSink final : public IAudioOutput {
public:
    ClockedFileSink(std::filesystem::path path, const IClock& clock,
                    std::size_t block_frames = 480);
    // `play_clock`: the time render() is given; `file_clock`: the clock the sidecar states
    // sample 0 on (an agent's own, uncorrected clock).
    ClockedFileSink(std::filesystem::path path, const IClock& play_clock, const IClock& file_clock,
                    std::size_t block_frames = 480);
    ~ClockedFileSink() override;
    Status start(IRenderSource& source) override;
    void stop() override;
    std::uint64_t frames_rendered() const override;
    std::string describe() const override;
    // Times the play timeline re-anchored on a step of the play clock (any thread).
    std::uint64_t reanchors() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace loa::audio
