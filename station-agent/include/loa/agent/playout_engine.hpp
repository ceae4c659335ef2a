#pragma once

#include "loa/agent/frame_source.hpp"
#include "loa/common/clock.hpp"
#include "loa/wire/loa.pb.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace loa::audio {
class Player;
}

namespace loa::agent {

class AgentStore;
class AssetCache;

struct PlayoutOptions {
    // How long before its start an item is cued and its ring filled.
    Duration cue_lead = std::chrono::seconds{3};
    // An item whose asset became ready just after its start time is still cued (and plays
    // late, reported by the player's start error) up to this much after the start.
    Duration late_start_tolerance = std::chrono::milliseconds{500};
    // The feeder loop wakes at least this often to top up rings and collect finished items.
    std::chrono::milliseconds service_interval{20};
};

// What the engine did, for tests and logs.
struct PlayoutEvent {
    enum class Kind { cued, cancelled, as_run };
    Kind kind = Kind::cued;
    std::string item_id;
    std::int64_t start_at_us = 0;
    std::size_t slot = 0;
    wire::AsRunRecord record;  // for as_run: what went into the outbox
};

// Executes the timeline: about `cue_lead` before each item's start it opens the verified asset,
// cues it in the Player at the item's start time and keeps its ring topped up; when the player
// reports the item finished it writes the as-run record (and marks the item handled) in one
// store transaction and tells the link to send it. An item whose asset is missing at its start
// time fails with "asset missing"; one whose start passed while the agent was not running fails
// with "agent was not running at start time". A new timeline replaces the items not yet cued;
// items removed while cued are cancelled. Every decision reads the injected clock.
//
// Threads: the feeder loop runs on its own thread "loa-feeder", which alone calls the Player's
// feeder-side functions and the IFrameSource objects. set_timeline() may be called from any
// thread (the link thread hands timelines over); the set_*() handlers, start() and stop() from
// the control thread, handlers before start(). Handlers run on "loa-feeder" (and on the
// control thread inside stop()).
class PlayoutEngine {
public:
    using EventHandler = std::function<void(const PlayoutEvent&)>;

    PlayoutEngine(const IClock& clock, audio::Player& player, AgentStore& store,
                  const AssetCache& cache, FrameSourceOpener opener, PlayoutOptions options = {});
    ~PlayoutEngine();
    PlayoutEngine(const PlayoutEngine&) = delete;
    PlayoutEngine& operator=(const PlayoutEngine&) = delete;

    // Called after each as-run record is written to the outbox (the link's wake()).
    void set_outbox_listener(std::function<void()> listener);
    void set_event_handler(EventHandler handler);

    void start();
    // Stops the feeder. Items playing are recorded as INTERRUPTED ("agent stopped while
    // playing"); items cued but not started are left to the next start. Call after the audio
    // output has stopped. Idempotent.
    void stop();

    // Hands over a (verified, stored) timeline. Any thread.
    void set_timeline(const wire::Timeline& timeline);

    // Passes of the feeder loop so far (a watchdog sees it move). Any thread.
    std::uint64_t loops() const { return loops_.load(); }

    struct Run;

private:
    void run();
    void apply_timeline(const wire::Timeline& timeline);
    void schedule(TimePoint now);
    void top_up(Run& run);
    void collect_finished();
    void finalize(TimePoint now);
    void cue(Run& run, TimePoint now);
    void fail(Run& run, const std::string& reason);
    void record(Run& run, wire::AsRunStatus status, const std::string& reason,
                std::int64_t started_at_us, std::int64_t ended_at_us);
    void emit(const PlayoutEvent& event);

    const IClock& clock_;
    audio::Player& player_;
    AgentStore& store_;
    const AssetCache& cache_;
    FrameSourceOpener opener_;
    PlayoutOptions options_;
    std::function<void()> outbox_listener_;
    EventHandler event_handler_;

    std::mutex mu_;
    std::condition_variable cv_;
    std::optional<wire::Timeline> incoming_;  // guarded by mu_
    bool stop_ = false;                       // guarded by mu_

    // Feeder thread only.
    TimePoint started_at_{};
    std::uint64_t next_tag_ = 1;
    std::map<std::uint64_t, std::unique_ptr<Run>> runs_;  // by tag
    std::vector<float> buffer_;
    std::atomic<std::uint64_t> loops_{0};
    std::thread thread_;
};

}  // namespace loa::agent
