#pragma once

#include "loa/agent/frame_source.hpp"
#include "loa/common/clock.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace loa::audio {
class LiveOpusDecoder;
}

namespace loa::agent {

struct LiveSourceOptions {
    TimePoint first_capture{};  // capture time of frame 0, on the scheduler's (corrected) clock
    Duration delay = std::chrono::milliseconds{500};  // frame t plays at t + delay
    // A frame is committed to the player's ring this long before it plays: a frame that has not
    // come by then is recovered from the next one's FEC or concealed, and if it comes later it
    // is dropped (late). Must exceed the feeder's service interval with margin.
    Duration commit_lead = std::chrono::milliseconds{60};
    // Most frames held ahead of the one playing next; a frame further ahead is dropped.
    std::size_t max_buffered = 500;
    // No frame received for this long (while one was due) ends the session ("live feed lost").
    Duration feed_timeout = std::chrono::seconds{3};
};

// What a live source did, for tests, logs and telemetry.
struct LiveSourceStats {
    std::uint64_t received = 0;   // frames accepted into the jitter buffer
    std::uint64_t played = 0;     // frames decoded from their own packet
    std::uint64_t recovered = 0;  // missing frames rebuilt from the next frame's FEC
    std::uint64_t concealed = 0;  // missing frames replaced by Opus PLC
    std::uint64_t late = 0;       // frames that came after their commit time: dropped
    std::uint64_t duplicates = 0;
    std::uint64_t too_early = 0;  // beyond max_buffered ahead: dropped
    std::uint64_t corrupt = 0;    // packets libopus rejected (concealed instead)
};

// A live session as an IFrameSource: a jitter buffer of received Opus frames, decoded on the
// feeder thread as their playout time approaches. Frame n is due at
// first_capture + delay + 20 ms * n; read() hands out decoded frames only once now has reached
// due - commit_lead, so the player (which starts the session at first_capture + delay with its
// sample-accurate start) plays frame n at exactly its due time. In the meantime read() returns 0
// with pending() true: nothing is due yet, the stream goes on.
//
// Threads: push(), end_after() and stats() from any thread (the link thread); read(), pending()
// and error() from the feeder thread only. The mutex guards only the packet map; decoding runs
// outside it. No real-time thread ever calls it.
class LiveFrameSource final : public IFrameSource {
public:
    LiveFrameSource(const IClock& clock, LiveSourceOptions options);
    ~LiveFrameSource() override;
    LiveFrameSource(const LiveFrameSource&) = delete;
    LiveFrameSource& operator=(const LiveFrameSource&) = delete;

    // A received frame. Returns false when it was dropped (late, duplicate, too far ahead).
    bool push(std::uint64_t index, std::string opus);
    // The session ends after frame `last_index` (a LiveStop).
    void end_after(std::uint64_t last_index);
    // Ends at once (LiveStop without frames, or the session was cancelled).
    void end_now();
    LiveSourceStats stats() const;
    const LiveSourceOptions& options() const { return options_; }

    std::size_t read(std::span<float> out) override;
    bool pending() const override { return pending_; }
    std::string error() const override { return error_; }

private:
    TimePoint commit_time(std::uint64_t index) const;
    void produce(std::uint64_t index);

    const IClock& clock_;
    LiveSourceOptions options_;

    mutable std::mutex mu_;
    std::map<std::uint64_t, std::string> packets_;  // guarded by mu_
    std::uint64_t next_ = 0;                        // next frame to commit; guarded by mu_
    std::optional<std::uint64_t> last_index_;       // guarded by mu_
    bool ended_now_ = false;                        // guarded by mu_
    TimePoint last_arrival_{};                      // guarded by mu_
    LiveSourceStats stats_;                         // guarded by mu_

    // Feeder thread only.
    std::unique_ptr<audio::LiveOpusDecoder> decoder_;
    std::vector<float> frame_;   // the decoded frame being handed out
    std::size_t frame_pos_ = 0;  // how much of it was handed out
    bool pending_ = false;
    bool finished_ = false;
    std::string error_;
};

}  // namespace loa::agent
