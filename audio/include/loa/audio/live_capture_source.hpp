#pragma once

#include "loa/audio/live_source.hpp"

#include <memory>
#include <string>
#include <vector>

namespace loa::audio {

// A microphone or line input as a live source: PortAudio capture, 48 kHz mono float.
//
// PortAudio's callback copies the samples into a lock-free ring (SpscRing, 2 s) and publishes,
// through a sequence lock, the ring position of the block it wrote and that block's ADC time
// (PaStreamCallbackTimeInfo::inputBufferAdcTime, or the callback's currentTime less the input
// latency where the host API leaves it 0): nothing else, no clock, lock, allocation or log.
// The session thread maps that stream time to the wall clock (it reads Pa_GetStreamTime
// around `clock.now()` at each poll), so every sample has a wall-clock capture time; it drops
// the samples captured before the session's first_capture, cuts the rest into 20 ms frames and
// encodes them. Frame n is stamped first_capture + 20 ms * n (the wire's rule); where the
// device's clock drifts from the wall clock so that a frame's true capture time strays more
// than kMaxStampError from its stamp, a frame index is skipped (device slow) or 20 ms of audio
// dropped (device fast). No samples for options.stall_timeout ends the session ("source
// stalled 3 s").
//
// Threads: open() and list_devices() from any thread; the rest from one thread at a time (the
// session thread). The callback runs on PortAudio's audio thread between open() and the
// destructor.
class LiveCaptureSource final : public ILiveSource {
public:
    static constexpr Duration kMaxStampError = std::chrono::milliseconds{15};

    // Opens and starts the input device named `device` ("default": the default input device)
    // on host API `host_api` when not empty ("JACK Audio Connection Kit", "ALSA"). A device
    // that is not there fails with a message listing every input device PortAudio found.
    static Result<std::unique_ptr<LiveCaptureSource>> open(const std::string& device,
                                                           const std::string& host_api,
                                                           const IClock& clock,
                                                           const LiveSourceOptions& options = {});
    // "host API / device name" for every input device.
    static std::vector<std::string> list_devices();

    ~LiveCaptureSource() override;
    LiveCaptureSource(const LiveCaptureSource&) = delete;
    LiveCaptureSource& operator=(const LiveCaptureSource&) = delete;

    void set_first_capture(TimePoint first_capture) override;
    Result<std::vector<EncodedLiveFrame>> poll(TimePoint now, std::size_t max = 50) override;
    TimePoint next_due() const override;
    bool finished() const override { return false; }
    std::uint64_t total_frames() const override { return 0; }

    // "portaudio:HOST API/DEVICE".
    std::string describe() const;
    // Frame indexes skipped and frames of audio dropped to keep the stamps on the device's
    // true capture times, and samples lost because the ring was full.
    std::uint64_t skipped_frames() const;
    std::uint64_t dropped_frames() const;
    std::uint64_t overflowed_samples() const;

    struct Impl;

private:
    explicit LiveCaptureSource(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace loa::audio
