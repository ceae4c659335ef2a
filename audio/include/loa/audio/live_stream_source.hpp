#pragma once

#include "loa/audio/live_source.hpp"

#include <memory>
#include <string>

namespace loa::audio {

// A network stream (Icecast/SHOUTcast or plain HTTP: MP3, AAC, Ogg, ..., possibly endless) as a
// live source: <http source> ! decodebin ! audioconvert ! audioresample ! 48 kHz mono F32 !
// appsink.
//
// Paced by arrival and by the wall clock: frame n is taken from the stream at
// first_capture + 20 ms * (n + 1) at the earliest (so a finite file served over HTTP plays in
// real time) and as soon as its 960 samples have arrived after that. The appsink holds a few
// buffers only and blocks GStreamer's streaming thread when full, so the HTTP connection is read
// no faster than the audio is sent on (TCP holds the rest). Frame n's capture time is
// first_capture + 20 ms * n: the moment its samples were taken from the stream, less the 20 ms
// they span (the wire's rule for every source). A frame whose samples are still missing
// kLateTolerance after it was due is skipped (the agents conceal it); no new audio for
// options.stall_timeout ends the session ("source stalled 3 s"); the end of the stream ends it
// after its last (padded) frame.
//
// Threads: open() from any thread; the rest from one thread at a time (the session thread).
// GStreamer's streaming threads run behind it and are stopped (joined) by the destructor.
class LiveStreamSource final : public ILiveSource {
public:
    static constexpr Duration kLateTolerance = std::chrono::milliseconds{60};

    // Connects and waits for the first decoded audio. Fails, naming the URL, when the server
    // does not answer or answers an error ("Not Found (404)"), when what it sends is not audio
    // ("not audio: the server sent text/html"), or when no audio came within
    // options.open_timeout.
    static Result<std::unique_ptr<LiveStreamSource>> open(const std::string& url,
                                                          const IClock& clock,
                                                          const LiveSourceOptions& options = {});
    ~LiveStreamSource() override;
    LiveStreamSource(const LiveStreamSource&) = delete;
    LiveStreamSource& operator=(const LiveStreamSource&) = delete;

    void set_first_capture(TimePoint first_capture) override;
    Result<std::vector<EncodedLiveFrame>> poll(TimePoint now, std::size_t max = 50) override;
    TimePoint next_due() const override;
    bool finished() const override;
    std::uint64_t total_frames() const override { return 0; }

    // What the stream is, in GStreamer's words ("MPEG-1 Layer 3 (MP3)"); may be empty.
    std::string format() const;
    // Frames skipped because their audio had not arrived in time.
    std::uint64_t skipped_frames() const;

    struct Impl;

private:
    explicit LiveStreamSource(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace loa::audio
