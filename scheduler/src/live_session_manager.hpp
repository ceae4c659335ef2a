#pragma once

#include "loa/audio/live_source.hpp"
#include "loa/common/clock.hpp"
#include "loa/common/result.hpp"
#include "loa/scheduler/link_events.hpp"
#include "loa/wire/loa.pb.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace loa::scheduler {

inline constexpr std::chrono::milliseconds kLiveMinDelay{150};
inline constexpr std::chrono::milliseconds kLiveMaxDelay{10000};
inline constexpr std::chrono::milliseconds kLiveDefaultDelay{500};

struct LiveSessionRequest {
    std::string source;                 // a FILE path, an http(s) URL, "mic" or "mic:DEVICE"
    std::vector<std::string> stations;  // resolved targets
    std::chrono::milliseconds delay = kLiveDefaultDelay;
    wire::PriorityClass priority = wire::DISTRICT;
    std::string title;
    std::string started_by;
    // The session's id; empty: the next "L<n>". An emergency's session is "E<emergency id>".
    std::string id;
    // The timeline items it airs in their stead (LiveStart.covers, repeated in every frame).
    std::vector<wire::CoveredItem> covers;
};

struct LiveSessionInfo {
    std::string id;  // "L1", "L2", ...
    std::string source;
    std::vector<std::string> stations;
    std::chrono::milliseconds delay{};
    wire::PriorityClass priority = wire::DISTRICT;
    std::string title;
    std::string started_by;
    std::int64_t first_capture_us = 0;
    std::int64_t ended_at_us = 0;  // 0 while it runs
    std::string state;             // "live", "ended" (source finished), "stopped"
    std::string stop_reason;
    std::uint64_t frames_sent = 0;
    std::uint64_t total_frames = 0;  // 0: unknown (a stream)
};

// Runs live sessions: each opens its source (audio::open_live_source: a file, a network stream,
// a microphone), which paces it in real time into 20 ms Opus frames stamped with their capture
// time, and hands LiveStart, every LiveFrame
// and LiveStop to the link (ILinkEvents::send_live), which fans them out to the targets.
//
// Threads: start(), stop(), list() and find() from any thread (the HTTP workers); each session
// runs on its own thread "loa-live"; the destructor stops them all.
class LiveSessionManager {
public:
    // `source_options`: stall and open timeouts of streams and devices, the host API of "mic".
    LiveSessionManager(ILinkEvents& link, const IClock& clock,
                       audio::LiveSourceOptions source_options = {});
    ~LiveSessionManager();
    LiveSessionManager(const LiveSessionManager&) = delete;
    LiveSessionManager& operator=(const LiveSessionManager&) = delete;

    // Opens the source (fails "source: <why>" and starts nothing) and starts the session.
    Result<LiveSessionInfo> start(LiveSessionRequest request);
    // Stops a running session at once (LiveStop after the last frame sent). Fails on an unknown
    // id; a session already over is answered as it is.
    Result<LiveSessionInfo> stop(const std::string& id, const std::string& reason);
    // Sets the timeline items the session airs in their stead (known only once they are
    // committed): every frame from the next one on carries them. Fails on an unknown id.
    Status set_covers(const std::string& id, std::vector<wire::CoveredItem> covers);
    std::vector<LiveSessionInfo> list() const;
    std::optional<LiveSessionInfo> find(const std::string& id) const;

    struct Session;

private:
    void run(Session& session);

    ILinkEvents& link_;
    const IClock& clock_;
    audio::LiveSourceOptions source_options_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::uint64_t next_id_ = 1;                                 // guarded by mu_
    std::map<std::string, std::unique_ptr<Session>> sessions_;  // guarded by mu_
};

}  // namespace loa::scheduler
