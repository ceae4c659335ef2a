#pragma once

#include "loa/agent/live_frame_source.hpp"
#include "loa/common/clock.hpp"
#include "loa/wire/loa.pb.h"

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace loa::agent {

class PlayoutEngine;

// What the agent knows of one live session, for logs and tests.
struct LiveSessionInfo {
    std::string session_id;
    TimePoint first_capture{};
    Duration delay{};
    LiveSourceStats stats;
};

// Turns the live messages of the link (LiveStart, LiveFrame, LiveStop) into live sources played
// by the engine: the first message of a session (a LiveStart, or any LiveFrame for a late
// joiner) creates a LiveFrameSource and hands it to PlayoutEngine::play_live() as the item
// "live-<session>" starting at first capture + delay; frames go to its jitter buffer; LiveStop
// ends it after its last frame. A malformed message (no session id, a delay under 100 ms or over
// 10 s, no Opus data) is logged and ignored.
// Threads: on_message() on the link thread; sessions() from any thread.
class LiveReceiver {
public:
    LiveReceiver(const IClock& clock, PlayoutEngine& engine, LiveSourceOptions defaults = {});

    void on_message(const wire::Envelope& envelope);
    std::vector<LiveSessionInfo> sessions() const;

private:
    std::shared_ptr<LiveFrameSource> open(const std::string& session_id,
                                          wire::PriorityClass priority, std::uint32_t delay_ms,
                                          std::int64_t first_capture_us, const std::string& title);

    const IClock& clock_;
    PlayoutEngine& engine_;
    LiveSourceOptions defaults_;
    mutable std::mutex mu_;
    std::map<std::string, std::shared_ptr<LiveFrameSource>> sessions_;  // guarded by mu_
};

}  // namespace loa::agent
