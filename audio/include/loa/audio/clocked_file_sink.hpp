#pragma once

#include "loa/audio/audio_output.hpp"

#include <atomic>
#include <filesystem>
#include <memory>
#include <thread>

namespace loa::audio {

// An output that behaves like a sound card but writes a WAV file (16-bit mono 48 kHz): a thread
// ("loa-audio-rt") renders one block every block duration, paced in real time, silence included,
// so sample i of the file was "heard" at first_sample_time + i / 48000 s. At start it writes
// `<file>.json` with {"first_sample_utc_us": ..., "sample_rate": 48000}, which tests use to tell
// when each item really started. The WAV header is kept valid as the file grows. With an empty
// path it is a null output: paced and rendered the same way, the samples dropped (the fleet's
// stations that need no recording).
class ClockedFileSink final : public IAudioOutput {
public:
    ClockedFileSink(std::filesystem::path path, const IClock& clock,
                    std::size_t block_frames = 480);
    ~ClockedFileSink() override;
    Status start(IRenderSource& source) override;
    void stop() override;
    std::uint64_t frames_rendered() const override;
    std::string describe() const override;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace loa::audio
