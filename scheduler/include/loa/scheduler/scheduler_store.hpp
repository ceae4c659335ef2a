#pragma once

#include "loa/common/clock.hpp"
#include "loa/common/result.hpp"
#include "loa/common/sqlite.hpp"
#include "loa/scheduler/records.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace loa::scheduler {

// The database failed (cannot open, disk full, a schema newer than this build, ...). What the
// store expects to happen (a duplicate key, an unknown row) is a Result or an optional instead.
using StoreError = sqlite::Error;

// How far back an item stays in a timeline after it ended.
inline constexpr Duration kTimelineKeepPast = std::chrono::hours{1};

// The scheduler's durable state in SQLite: stations, assets, schedule entries with their target
// stations, compiled timeline revisions, and the as-run log.
//
// One instance is one SQLite connection (WAL, busy timeout, foreign keys on). It is NOT
// thread-safe: each thread opens its own instance on the same file. In loa-scheduler the link
// thread ("loa-link") owns one, and the HTTP API owns one that its worker threads share behind
// the API's mutex. Opening applies any pending schema migration in one transaction.
// Methods throw StoreError when SQLite fails.
class SchedulerStore {
public:
    // `path` is a file, or ":memory:" for a private in-memory database (tests).
    explicit SchedulerStore(const std::string& path);
    ~SchedulerStore();
    SchedulerStore(const SchedulerStore&) = delete;
    SchedulerStore& operator=(const SchedulerStore&) = delete;

    // The newest schema version this build knows, and the one the database is at.
    static int latest_schema_version();
    int schema_version();

    // A scoped transaction: rolled back when destroyed without commit(). Transactions nest
    // (the inner ones are savepoints). The outermost one takes the write lock at once
    // (BEGIN IMMEDIATE), so a read-then-write inside it cannot be overtaken.
    class Transaction : public sqlite::Transaction {
    public:
        explicit Transaction(SchedulerStore& store) : sqlite::Transaction{*store.db_} {}
    };

    // --- stations
    // Adds a station with timeline revision 1 (an empty timeline). Fails, naming the field, if
    // the id or the public key is already registered.
    Status add_station(const StationRecord& station);
    std::optional<StationRecord> find_station(const std::string& id);
    std::vector<StationRecord> list_stations();
    // (public key, station id) of every station: the link's allow-list.
    std::vector<std::pair<std::string, std::string>> station_keys();
    void record_hello(const std::string& station_id, const std::string& software_version,
                      TimePoint now);
    void record_heartbeat(const std::string& station_id, const StationStatus& status,
                          TimePoint now);
    void touch_station(const std::string& station_id, TimePoint now);
    // Fails when `revision` was never issued to the station.
    Status record_timeline_ack(const std::string& station_id, std::uint64_t revision);

    // --- assets
    // Inserts the asset; false when an asset with that id exists already (nothing changed).
    bool add_asset(const AssetRecord& asset);
    std::optional<AssetRecord> find_asset(const std::string& id);
    std::optional<AssetRecord> find_asset_by_source(const std::string& source_sha256);
    std::vector<AssetRecord> list_assets();

    // --- schedule
    // Inserts the entry and its targets, then recompiles the timelines of exactly the target
    // stations at `now` (bumping the revision of those whose item set changed), in one
    // transaction. The caller has checked that the asset and the stations exist (foreign keys
    // would throw otherwise).
    EntryRecord add_entry(const NewEntry& entry, TimePoint now, Duration horizon);
    std::vector<EntryRecord> list_entries();

    // --- timelines
    // The items of a station's timeline at `now`: entries targeting the station whose item has
    // not ended before now - 1 h and that start before now + horizon, ordered by start.
    std::vector<TimelineItemRecord> timeline_items(const std::string& station_id, TimePoint now,
                                                   Duration horizon);
    // Compiles the station's timeline at `now`; when its item set differs from the one the
    // current revision was issued for, bumps the revision. Fails for an unknown station.
    Result<StationTimeline> compile_timeline(const std::string& station_id, TimePoint now,
                                             Duration horizon);
    // compile_timeline for every station; answers the ids whose revision was bumped.
    std::vector<std::string> compile_all_timelines(TimePoint now, Duration horizon);

    // --- as-run
    // Stores the record once: true when it was new, false when that record_id was stored before
    // (the stored row is left as it was).
    bool add_as_run(const AsRunRow& row);
    // Newest first (by scheduled time, then arrival); all stations when `station_id` is empty.
    std::vector<AsRunRow> list_as_run(const std::string& station_id, std::size_t limit);
    std::size_t count_as_run();

private:
    std::uint64_t compile_into(const std::string& station_id,
                               const std::vector<TimelineItemRecord>& items, bool* changed);

    std::unique_ptr<sqlite::Database> db_;
};

}  // namespace loa::scheduler
