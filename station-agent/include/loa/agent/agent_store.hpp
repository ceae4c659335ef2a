#pragma once

#include "loa/common/clock.hpp"
#include "loa/wire/loa.pb.h"

#include "loa/common/sqlite.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace loa::agent {

// A database that cannot be opened, migrated or written. Thrown by AgentStore (the database
// layer); the link and feeder threads catch it, log it and carry on.
using StoreError = sqlite::Error;

// The timeline with its proof, so it can be verified again on load: either exactly as the
// scheduler signed it, or rebuilt from a signed delta whose result digest covers it.
struct StoredTimeline {
    std::uint64_t revision = 0;
    std::string station_id;
    std::string bytes;      // serialized loa.wire.Timeline
    std::string signature;  // Ed25519 over `bytes`, or over `delta` when that is set
    std::string delta;      // the serialized TimelineDelta it was made from; empty: sent whole
};

// The agent's durable state in one SQLite file (WAL, synchronous=FULL): the current timeline,
// which timeline items were already handled (aired or reported), the outbox of as-run
// records and the outbox of station events not yet acknowledged by the scheduler. Survives kill -9.
//
// Threads: every method may be called from any thread (the link thread "loa-link", the feeder
// thread "loa-feeder", the control thread); calls are serialised by an internal mutex.
class AgentStore {
public:
    // Opens or creates the database at `path` (":memory:" for tests) and brings its schema up to
    // date. Throws StoreError on failure, or when the file was written by a newer agent.
    AgentStore(const std::filesystem::path& path, const IClock& clock);
    ~AgentStore();
    AgentStore(const AgentStore&) = delete;
    AgentStore& operator=(const AgentStore&) = delete;

    // The schema version this build writes.
    static int latest_schema_version();
    int schema_version() const;

    // --- timeline ---
    std::optional<StoredTimeline> timeline() const;
    // Replaces the stored timeline (durably, before the agent acknowledges it).
    void save_timeline(const StoredTimeline& timeline);
    std::uint64_t timeline_revision() const;

    // --- item state: an item (item_id at start_at_us) is aired and reported at most once ---
    bool item_handled(const std::string& item_id, std::int64_t start_at_us) const;

    // Records the as-run record of an item in ONE transaction: marks the item (record.item_id at
    // record.scheduled_at_us) as handled and puts the record into the outbox. Returns false and
    // changes nothing when the item was already handled.
    bool record_as_run(const wire::AsRunRecord& record);

    // --- outbox ---
    // Up to `limit` records not yet acknowledged, oldest first.
    std::vector<wire::AsRunRecord> pending_as_run(std::size_t limit) const;
    std::size_t outbox_depth() const;
    // Deletes acknowledged records; ids not in the outbox are ignored. Returns how many went.
    std::size_t acknowledge_as_run(const std::vector<std::string>& record_ids);

    // --- station events (faults, monitor events), queued like the as-run outbox ---
    // Queues the event durably; an event_id already queued is ignored.
    void queue_event(const wire::StationEvent& event);
    // Up to `limit` events not yet acknowledged, oldest first.
    std::vector<wire::StationEvent> pending_events(std::size_t limit) const;
    std::size_t event_outbox_depth() const;
    // Deletes acknowledged events; unknown ids are ignored. Returns how many went.
    std::size_t acknowledge_events(const std::vector<std::string>& event_ids);

private:
    const IClock& clock_;
    mutable std::mutex mu_;
    std::unique_ptr<sqlite::Database> db_;
};

}  // namespace loa::agent
