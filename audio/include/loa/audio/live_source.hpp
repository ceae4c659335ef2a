#pragma once

#include "loa/common/clock.hpp"
#include "loa/common/result.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace loa::audio {

// One encoded 20 ms frame of a live session.
struct EncodedLiveFrame {
    std::uint64_t index = 0;  // 0, 1, 2, ...
    TimePoint capture{};      // when its first sample was (or counts as) captured
    std::string opus;
};

// Where a live session's audio comes from: a file played as live (LiveFramePump), a microphone
// or line input (LiveCaptureSource), a network stream (LiveStreamSource). Each turns its audio
// into 20 ms Opus frames, frame n stamped first_capture + 20 ms * n (the wire's rule), released
// once its 20 ms have been captured. A frame the source could not fill in time (a stream that
// lags, a device clock slower than the wall clock) is skipped: its index is never returned and
// the agents conceal it.
//
// Threads: one thread at a time (the live session's thread "loa-live"); implementations may run
// threads of their own (PortAudio's callback, GStreamer's streaming threads) behind it.
class ILiveSource {
public:
    virtual ~ILiveSource() = default;

    // Frame 0's capture time, given once before the first poll() (the session's start).
    virtual void set_first_capture(TimePoint first_capture) = 0;
    // The frames ready by `now` not yet returned, at most `max`, in index order. Fails when the
    // session must end on an error: the message is the stop reason ("source stalled 3 s",
    // "source failed: ...").
    virtual Result<std::vector<EncodedLiveFrame>> poll(TimePoint now, std::size_t max = 50) = 0;
    // When to poll next; meaningless once finished().
    virtual TimePoint next_due() const = 0;
    // The source ended (end of file or stream) and every frame was returned.
    virtual bool finished() const = 0;
    // Frames in all; 0: unknown (a stream, a microphone).
    virtual std::uint64_t total_frames() const = 0;
};

struct LiveSourceOptions {
    // A stream or device that gives no new audio this long ends the session ("source stalled
    // 3 s"); 3 s is also when the agents give up ("live feed lost").
    Duration stall_timeout = std::chrono::seconds{3};
    // How long opening may wait for a stream's first audio before it fails.
    Duration open_timeout = std::chrono::seconds{10};
    // PortAudio host API for "mic" sources that do not name one ("" = any).
    std::string mic_host_api;
};

// Opens a source by its operator-facing name:
//   "mic"                      the default input device (PortAudio), on options.mic_host_api
//   "mic:DEVICE"               the input device of that name ("mic:HOST API / DEVICE" also
//                              picks the host API, as the device list prints it)
//   "http://..." "https://..." a network stream (Icecast/HTTP MP3, AAC, ...) decoded by GStreamer
//   anything else              a file, decoded whole and played as live
// Fails naming the problem (without the "source: " prefix the caller adds); nothing keeps
// running on failure. `clock` must outlive the source.
Result<std::unique_ptr<ILiveSource>> open_live_source(const std::string& source,
                                                      const IClock& clock,
                                                      const LiveSourceOptions& options = {});

}  // namespace loa::audio
