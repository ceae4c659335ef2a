#pragma once

#include "loa/common/clock.hpp"
#include "loa/common/result.hpp"

#include <cstdint>
#include <span>
#include <string>

namespace loa::audio {

// What an output asks for audio. render() runs on the output's real-time thread ("loa-audio-rt"
// for the file sink, PortAudio's callback thread otherwise) and must not allocate, lock, log or
// do I/O: it only copies from buffers filled ahead and bumps atomic counters.
class IRenderSource {
public:
    virtual ~IRenderSource() = default;
    // Fill all of `out` (mono, 48 kHz). `first_frame_time` is the UTC wall-clock time at which
    // out[0] is heard; frame i is heard at first_frame_time + i / 48000 s.
    virtual void render(std::span<float> out, TimePoint first_frame_time) noexcept = 0;
};

// A place audio goes: a sound device, or a file for tests. Not thread-safe: start and stop from
// one control thread.
class IAudioOutput {
public:
    virtual ~IAudioOutput() = default;
    // Begins pulling audio from `source` (which must outlive the output or stop()).
    virtual Status start(IRenderSource& source) = 0;
    // Stops pulling; after it returns render() is not called again. Idempotent.
    virtual void stop() = 0;
    // Frames handed to the device (or file) since start.
    virtual std::uint64_t frames_rendered() const = 0;
    // "portaudio:JACK Audio Connection Kit/system", "file:/tmp/x.wav", for logs.
    virtual std::string describe() const = 0;
};

}  // namespace loa::audio
