#pragma once

#include "loa/agent/live_frame_source.hpp"
#include "loa/common/clock.hpp"
#include "loa/wire/loa.pb.h"

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <random>
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
    std::uint64_t dropped_by_fault = 0;  // frames thrown away by LiveFaults (a fault drill)
};

// Fault injection for drills and tests (agent config [faults]): each live frame that arrives is
// thrown away with this probability before it reaches the jitter buffer, as if it were lost on
// the way (ZeroMQ runs over TCP, so a lossy link delays frames rather than losing them). The
// choice comes from one pseudo-random generator per receiver seeded with `seed`: the same seed
// drops the same frames of the same frames received since start. Off by default.
struct LiveFaults {
    double drop_frames_percent = 0.0;  // 0 to 100
    std::uint64_t seed = 1;
};

// Turns the live messages of the link (LiveStart, LiveFrame, LiveStop) into live sources played
// by the engine: the first message of a session (a LiveStart, or any LiveFrame for a late
// joiner) creates a LiveFrameSource and hands it to PlayoutEngine::play_live() as the item
// "live-<session>" starting at first capture + delay, with the timeline items it covers; frames
// go to its jitter buffer; LiveStop ends it after its last frame. A malformed message (no session
// id, a delay under 100 ms or over 10 s, no Opus data) is logged and ignored. With LiveFaults,
// frames are dropped on arrival at random (counted in LiveSessionInfo::dropped_by_fault, each drop
// logged at debug level). Threads: on_message() on the link thread; sessions() from any thread.
class LiveReceiver {
public:
    LiveReceiver(const IClock& clock, PlayoutEngine& engine, LiveSourceOptions defaults = {},
                 LiveFaults faults = {});

    void on_message(const wire::Envelope& envelope);
    std::vector<LiveSessionInfo> sessions() const;

private:
    using CoveredItems = google::protobuf::RepeatedPtrField<wire::CoveredItem>;
    // `covers`: the timeline items the session airs instead (PlayoutEngine::play_live).
    std::shared_ptr<LiveFrameSource> open(const std::string& session_id,
                                          wire::PriorityClass priority, std::uint32_t delay_ms,
                                          std::int64_t first_capture_us, const std::string& title,
                                          const CoveredItems& covers);

    const IClock& clock_;
    PlayoutEngine& engine_;
    LiveSourceOptions defaults_;
    mutable std::mutex mu_;
    std::map<std::string, std::shared_ptr<LiveFrameSource>> sessions_;  // guarded by mu_
    LiveFaults faults_;
    std::bernoulli_distribution drop_;              // guarded by mu_
    std::mt19937_64 drop_rng_;                      // guarded by mu_
    std::map<std::string, std::uint64_t> dropped_;  // per session; guarded by mu_
    // Per session: how many covered items the engine was given (frames may name them late).
    std::map<std::string, std::size_t> covers_given_;  // guarded by mu_
};

}  // namespace loa::agent
