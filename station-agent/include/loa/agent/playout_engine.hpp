#pragma once

#include "loa/agent/frame_source.hpp"
#include "loa/common/clock.hpp"
#include "loa/wire/loa.pb.h"

#include <array>
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
class AmplifierSequencer;

// How the items of one priority class are played.
struct ClassPlayout {
    float gain = 1.0F;                // linear: the class volume
    std::vector<float> chime_before;  // decoded attention signal ending at the item's start
    std::vector<float> chime_after;   // and one starting when the item ends; empty: none
};

struct PlayoutOptions {
    // How long before its start an item is cued and its ring filled.
    Duration cue_lead = std::chrono::seconds{3};
    // An item whose asset became ready just after its start time is still cued (and plays
    // late, reported by the player's start error) up to this much after the start.
    Duration late_start_tolerance = std::chrono::milliseconds{500};
    // The feeder loop wakes at least this often to top up rings and collect finished items.
    std::chrono::milliseconds service_interval{20};
    // Per priority class, indexed by loa::wire::PriorityClass; an item whose class is
    // unspecified plays as COMMUNE.
    std::array<ClassPlayout, 6> classes{};
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

// Executes the timeline of one zone: about `cue_lead` before each item's first sample it opens
// the verified asset, cues it in the zone's Player (with its class, preempt policy, class gain
// and chimes: the before-chime ends exactly at the item's start, the after-chime follows its
// last frame) and keeps its ring topped up; when the player reports the item finished it writes
// the as-run record (and marks the item handled) in one store transaction and tells the link to
// send it. The as-run times are those of the item proper, chimes excluded; an item paused by a
// higher class and resumed is COMPLETED with the reason "paused 12.4 s by emergency e7", one
// stopped by it INTERRUPTED "preempted by emergency e7".
//
// The zone's AmplifierSequencer is driven from the same loop: on `lead` before the next item's
// first sample, off after `hold` without one. An item is cued only into a zone whose amplifier
// is on and not faulted: a faulted zone fails it ("amplifier fault: <text>"), an amplifier
// still off at its start fails it ("amplifier off"), and items playing when the amplifier
// faults are cancelled (INTERRUPTED "amplifier fault: <text>").
//
// The engine plays the items for its zone (the sequencer's zone name): those whose `zones` is
// empty or names it. Items for other zones are not played and not reported. An item whose
// duration_ms is shorter than its asset (the scheduler shortened it) stops at
// start + duration_ms, its last fade_frames ramping down like the player's own cuts, and is
// COMPLETED; an asset at most 1 ms longer than duration_ms plays whole.
//
// An item whose asset is missing at its start time fails with "asset missing"; one whose start
// passed while the agent was not running fails with "agent was not running at start time". A
// new timeline replaces the items not yet cued; items removed while cued are cancelled. Every
// decision reads the injected clock.
//
// Threads: the feeder loop runs on its own thread "loa-feeder", which alone calls the Player's
// feeder-side functions, the AmplifierSequencer and the IFrameSource objects. set_timeline()
// may be called from any
// thread (the link thread hands timelines over); the set_*() handlers, start() and stop() from
// the control thread, handlers before start(). Handlers run on "loa-feeder" (and on the
// control thread inside stop()).
class PlayoutEngine {
public:
    using EventHandler = std::function<void(const PlayoutEvent&)>;

    PlayoutEngine(const IClock& clock, audio::Player& player, AmplifierSequencer& amplifier,
                  AgentStore& store, const AssetCache& cache, FrameSourceOpener opener,
                  PlayoutOptions options = {});
    ~PlayoutEngine();
    PlayoutEngine(const PlayoutEngine&) = delete;
    PlayoutEngine& operator=(const PlayoutEngine&) = delete;

    // Called after each as-run record is written to the outbox (the link's wake()).
    void set_outbox_listener(std::function<void()> listener);
    void set_event_handler(EventHandler handler);

    void start();
    // Stops the feeder. Items playing are recorded as INTERRUPTED ("agent stopped while
    // playing"); items cued but not started are left to the next start; the amplifier is
    // switched off. Call after the audio output has stopped. Idempotent.
    void stop();

    // Hands over a (verified, stored) timeline. Any thread.
    void set_timeline(const wire::Timeline& timeline);

    // Plays a live session like an item: `item` gives its id ("live-L3"), class, title and
    // start (first capture time + playout delay), `source` its audio (a LiveFrameSource, which
    // the link keeps feeding and ends). It is cued at once (no asset), survives timeline
    // changes and is reported in the as-run log like any item. Any thread.
    void play_live(const wire::TimelineItem& item, std::shared_ptr<IFrameSource> source);
    // The same for a live session that airs timeline items in their stead (an emergency's first
    // airing, LiveStart.covers): while it is pending or playing, the covered items (matched by
    // item id and start) are not played (one already cued is withdrawn); once it played, each
    // covered item is reported as aired with the session's status, start and end (reason "aired
    // live in session E7"), and the session itself gets no as-run record of its own. A session
    // that never started releases them: they play from the timeline as usual (or fail as late).
    // Any thread.
    void play_live(const wire::TimelineItem& item, std::shared_ptr<IFrameSource> source,
                   std::vector<wire::CoveredItem> covers);
    // Covered items named after the session was handed over (an emergency's frames name them
    // once its timeline entries are committed), for the live item `live_item_id` ("live-E7");
    // if the session is over already and aired, they are reported at once. Any thread.
    void add_covers(const std::string& live_item_id, std::vector<wire::CoveredItem> covers);

    // Passes of the feeder loop so far (a watchdog sees it move). Any thread.
    std::uint64_t loops() const { return loops_.load(); }
    // As-run records written so far, by status: aired whole (COMPLETED), cut short
    // (INTERRUPTED), not aired (FAILED). Any thread.
    std::uint64_t items_completed() const { return items_completed_.load(); }
    std::uint64_t items_interrupted() const { return items_interrupted_.load(); }
    std::uint64_t items_failed() const { return items_failed_.load(); }

    struct Run;

private:
    void run();
    void apply_timeline(const wire::Timeline& timeline);
    struct LiveCue {
        wire::TimelineItem item;
        std::shared_ptr<IFrameSource> source;
        std::vector<wire::CoveredItem> covers;
    };
    void add_live(LiveCue cue);
    void apply_covers(std::uint64_t live_tag, std::vector<wire::CoveredItem> covers);
    // Reports `covers` as aired by the live run `live` (its status, start and end).
    void record_covered(const Run& live, const std::vector<wire::CoveredItem>& covers,
                        std::uint64_t revision);
    // Marks `r` (a timeline item) as aired by the live run `live_tag` when that run covers it.
    void cover_if_covered(Run& r);
    void write_record(const wire::AsRunRecord& record, const Run& r);
    void schedule(TimePoint now);
    void drive_amplifier(TimePoint now);
    void top_up(Run& run);
    bool write_content(Run& run);
    bool for_this_zone(const wire::TimelineItem& item) const;
    void collect_finished();
    void finalize(TimePoint now);
    void cue(Run& run, TimePoint now);
    void fail(Run& run, const std::string& reason);
    void record(Run& run, wire::AsRunStatus status, const std::string& reason,
                std::int64_t started_at_us, std::int64_t ended_at_us);
    void emit(const PlayoutEvent& event);
    const ClassPlayout& class_of(const wire::TimelineItem& item) const;
    std::string label(std::uint64_t tag) const;

    const IClock& clock_;
    audio::Player& player_;
    AmplifierSequencer& amplifier_;
    AgentStore& store_;
    const AssetCache& cache_;
    FrameSourceOpener opener_;
    PlayoutOptions options_;
    std::function<void()> outbox_listener_;
    EventHandler event_handler_;

    std::mutex mu_;
    std::condition_variable cv_;
    std::optional<wire::Timeline> incoming_;  // guarded by mu_
    std::vector<LiveCue> incoming_live_;      // guarded by mu_
    std::vector<std::pair<std::string, std::vector<wire::CoveredItem>>>
        incoming_covers_;  // guarded by mu_
    bool stop_ = false;    // guarded by mu_

    // Feeder thread only.
    TimePoint started_at_{};
    std::uint64_t next_tag_ = 1;
    std::map<std::uint64_t, std::unique_ptr<Run>> runs_;  // by tag
    // Timeline items aired by a live session instead: (item id, start) -> the live run's tag.
    std::map<std::pair<std::string, std::int64_t>, std::uint64_t> covered_;
    // Of recent cues, by tag: ("emergency e7", "e7"), for as-run reasons.
    std::map<std::uint64_t, std::pair<std::string, std::string>> labels_;
    std::vector<float> buffer_;
    std::atomic<std::uint64_t> loops_{0};
    std::atomic<std::uint64_t> items_completed_{0};
    std::atomic<std::uint64_t> items_interrupted_{0};
    std::atomic<std::uint64_t> items_failed_{0};
    std::thread thread_;
};

}  // namespace loa::agent
