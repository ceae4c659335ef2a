#pragma once

#include "loa/audio/audio_output.hpp"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace loa::audio {

// Plays through a PortAudio output device, mono 48 kHz float. Maps PortAudio's stream time to the
// wall clock of `clock`, so render() knows when each frame is heard: a thread "loa-audio-clock"
// (started and joined by start/stop) re-reads the clock against the stream time every 50 ms and
// publishes the mapping in an atomic; the callback smooths it through a DeviceTimeline, so the
// output follows the clock's corrections (slews smoothly, re-anchors once on a step). The
// callback itself never reads the clock.
class PortAudioOutput final : public IAudioOutput {
public:
    // Opens the device whose name is `device` ("default" = PortAudio's default output), on host
    // API `host_api` when not empty ("JACK Audio Connection Kit", "ALSA"). A device that is not
    // there fails with a message listing every output device PortAudio found.
    static Result<std::unique_ptr<PortAudioOutput>> open(const std::string& device,
                                                         const std::string& host_api,
                                                         const IClock& clock);
    // "host API / device name" for every output device.
    static std::vector<std::string> list_devices();

    ~PortAudioOutput() override;
    Status start(IRenderSource& source) override;
    void stop() override;
    std::uint64_t frames_rendered() const override;
    std::string describe() const override;

    struct Impl;

private:
    explicit PortAudioOutput(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace loa::audio
