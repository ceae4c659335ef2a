#pragma once

#include "loa/common/clock.hpp"
#include "loa/common/result.hpp"
#include "loa/common/sqlite.hpp"
#include "loa/coverage/cluster.hpp"
#include "loa/coverage/coverage_snapshot.hpp"
#include "loa/coverage/residential_area.hpp"
#include "loa/scheduler/admin_units.hpp"
#include "loa/scheduler/records.hpp"
#include "loa/scheduler/station_csv.hpp"
#include "loa/scheduler/station_health.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace loa::scheduler {

// The database failed (cannot open, disk full, a schema newer than this build, ...). What the
// store expects to happen (a duplicate key, an unknown row) is a Result or an optional instead.
using StoreError = sqlite::Error;

// How far back an item stays in a timeline after it ended.
inline constexpr Duration kTimelineKeepPast = std::chrono::hours{1};
// How many of a station's newest timeline revisions are kept.
inline constexpr std::size_t kTimelineRevisionsKept = 32;

// The scheduler's durable state in SQLite: the administrative units, stations with their zones,
// assets, programmes, schedule entries with their targets, compiled timeline revisions, and the
// as-run log.
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

    // The connection itself, for the tables other parts keep in the same file (auth, audit log,
    // bulletins) so that their rows share this store's transactions.
    sqlite::Database& database() { return *db_; }

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

    // --- administrative units
    // Inserts or replaces (by code) every unit; a replaced unit keeps its place in the order.
    void put_units(std::span<const AdminUnit> units);
    // Every unit, in the order they were first stored (parents may come after children).
    std::vector<AdminUnit> list_units();

    // --- stations
    // Adds a station with timeline revision 1 (an empty timeline). An empty unit_code attaches
    // it to the unit whose code is its id, creating that unit (level "station", no parent) when
    // there is none. Fails, naming the field, if the id or the public key is already registered,
    // or the unit is unknown.
    Status add_station(const StationRecord& station);
    // Inserts the station (without a key, revision 1, an empty timeline) or updates the name,
    // unit, zones and position (none clears it) of the one with that id (its key and timelines
    // stay). The unit must exist.
    void put_station(const Station& station, TimePoint now);
    // The planning core's view of every station (with its position, if stored), by id.
    std::vector<Station> list_planned_stations();
    // Sets (or replaces) the station's CURVE public key. Fails for an unknown station or a key
    // registered to another station.
    Status set_station_key(const std::string& station_id, const std::string& public_key);
    std::optional<StationRecord> find_station(const std::string& id);
    std::vector<StationRecord> list_stations();
    // (public key, station id) of every station that has a key: the link's allow-list.
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

    // --- programmes
    // Inserts or replaces the programme and its ordered assets (which must exist). A new
    // programme with an empty id gets the next free one ("p1", "p2", ...); answers the id.
    std::string put_programme(const Programme& programme, TimePoint now);
    // Every programme with its assets' durations, by id.
    std::vector<Programme> list_programmes();
    std::optional<Programme> find_programme(const std::string& id);

    // --- schedule entries
    // Inserts the entry (its id is ignored) and answers the id it got. The caller has checked
    // its content and targets (foreign keys would throw otherwise).
    std::int64_t insert_entry(const StoredEntry& entry);
    // Replaces the entry with entry.entry.id (its created_by/created_at stay); false when there
    // is none.
    bool update_entry(const ScheduleEntry& entry);
    std::optional<StoredEntry> find_entry(std::int64_t id);
    // Every entry, by id. An entry whose stored recurrence no longer parses (a zone libical
    // dropped) comes as a one-off at its DTSTART and is named in `problems` when given.
    std::vector<StoredEntry> list_entries(std::vector<std::string>* problems = nullptr);

    // --- timelines
    // One revision of a station's compiled timeline.
    struct StoredTimeline {
        std::string station_id;
        std::uint64_t revision = 0;
        std::string timeline;  // a wire::Timeline serialized with deterministic serialization
        std::int64_t created_at_us = 0;
    };
    std::optional<StoredTimeline> latest_timeline(const std::string& station_id);
    // The newest kTimelineRevisionsKept revisions per station are kept.
    std::optional<StoredTimeline> timeline_at(const std::string& station_id,
                                              std::uint64_t revision);
    // Stores `timeline` (its items; station_id, revision and issued_at are set here) as the
    // station's next revision when its items differ from the latest revision's, and prunes old
    // revisions. Answers the new revision, or nullopt when nothing changed.
    std::optional<std::uint64_t> store_timeline(const std::string& station_id,
                                                wire::Timeline timeline, TimePoint now);

    // Deprecated (the link reads latest_timeline()/timeline_at() instead; to be removed): the
    // items of the station's latest revision that have not ended before now - 1 h and start
    // before now + horizon, ordered by start.
    std::vector<TimelineItemRecord> timeline_items(const std::string& station_id, TimePoint now,
                                                   Duration horizon);
    // Deprecated: the station's latest stored revision (nothing is compiled here any more; the
    // Planner stores revisions). Fails for an unknown station.
    Result<StationTimeline> compile_timeline(const std::string& station_id, TimePoint now,
                                             Duration horizon);
    // Deprecated: compiles nothing and answers no ids (the Planner reports changes).
    std::vector<std::string> compile_all_timelines(TimePoint now, Duration horizon);

    // --- as-run
    // Stores the record once: true when it was new, false when that record_id was stored before
    // (the stored row is left as it was).
    bool add_as_run(const AsRunRow& row);
    // Newest first (by scheduled time, then arrival); all stations when `station_id` is empty.
    std::vector<AsRunRow> list_as_run(const std::string& station_id, std::size_t limit);
    std::size_t count_as_run();

    // --- station telemetry (issue 5; written by the link thread)
    // Stores the event once: true when new, false when (station_id, event_id) was stored before.
    bool add_station_event(const StationEventRow& row);
    // Events with from_us <= at_us < to_us, oldest first; all stations when `station_id` is empty.
    std::vector<StationEventRow> list_station_events(const std::string& station_id,
                                                     std::int64_t from_us, std::int64_t to_us,
                                                     std::size_t limit);
    // Stores the telemetry of a heartbeat (health.last_heartbeat_at_us, the clock fields and
    // status_json); a station without a row yet starts online from that heartbeat.
    void record_station_health(const StationHealth& health);
    // Marks the station online or offline from `at`; true when that changed its state (a
    // repeat keeps the first time).
    bool set_station_online(const std::string& station_id, bool online, TimePoint at);
    // The liveness and latest telemetry of one station, or of every station that has any.
    std::optional<StationHealth> station_health(const std::string& station_id);
    std::vector<StationHealth> list_station_health();
    // When the station went offline; nullopt when it is online or was never seen.
    std::optional<TimePoint> offline_since(const std::string& station_id);

    // --- monitoring (issue 5; schema part "monitoring", see docs/api.md, Monitoring)
    // Loudspeaker clusters and residential areas (hamlets): inserted, or replaced by id, all in
    // one transaction.
    void put_clusters(std::span<const coverage::Cluster> clusters);
    std::vector<coverage::Cluster> list_clusters();
    void put_hamlets(std::span<const coverage::ResidentialArea> hamlets);
    std::vector<coverage::ResidentialArea> list_hamlets();
    // Bumped by every put_clusters()/put_hamlets(): tells a cached coverage engine it is stale.
    std::int64_t coverage_data_version();
    // The daily coverage history: a snapshot replaces the one of the same date and unit.
    void put_coverage_snapshots(std::span<const coverage::CoverageSnapshot> snapshots,
                                TimePoint taken_at);
    bool has_coverage_snapshot(std::chrono::year_month_day date);
    // Oldest first; every unit when `unit_code` is empty.
    std::vector<coverage::CoverageSnapshot> list_coverage_history(const std::string& unit_code);
    // A station going online or offline, as logged (by a trigger) whenever station_status
    // changes its `online` column.
    struct LivenessChange {
        std::string station_id;
        bool online = false;
        std::int64_t at_us = 0;
    };
    // Changes with at_us < to_us, by station then time; all stations when `station_id` is empty.
    std::vector<LivenessChange> list_liveness_changes(const std::string& station_id,
                                                      std::int64_t to_us);
    // A station's clock going unsynchronised (synced false) or synchronised again, as logged
    // (by triggers) when a heartbeat's clock_synced differs from the previous heartbeat's, at
    // that heartbeat's time; a station's first heartbeat with telemetry is logged either way.
    struct ClockChange {
        std::string station_id;
        bool synced = false;
        std::int64_t at_us = 0;
    };
    // Changes with at_us < to_us, by station then time; all stations when `station_id` is empty.
    std::vector<ClockChange> list_clock_changes(const std::string& station_id, std::int64_t to_us);

    // One item a station was sent, as logged by store_timeline(): the newest content of the
    // item id, when a revision first held it, and when it left the plan before it ended
    // (withdrawn; an item that ended and rolled out of the timeline is not withdrawn).
    struct ScheduledItemRow {
        std::string station_id;
        std::string item_id;
        std::int64_t start_at_us = 0;
        std::uint32_t duration_ms = 0;
        std::string asset_id;
        std::optional<std::int64_t> entry_id;  // the schedule entry, when the item id names one
        wire::PriorityClass priority = wire::PRIORITY_CLASS_UNSPECIFIED;
        std::string title;
        std::vector<std::string> zones;
        std::uint64_t first_revision = 0;
        std::int64_t issued_at_us = 0;  // when that revision was stored (made for sending)
        std::optional<std::int64_t> withdrawn_at_us;
    };
    // Logged items with from_us <= start_at_us < to_us, by station then start.
    std::vector<ScheduledItemRow> list_scheduled_items(std::int64_t from_us, std::int64_t to_us);
    // The entry id a compiled item id starts with ("e42-1764230400-0" -> 42), if any.
    static std::optional<std::int64_t> entry_of_item(std::string_view item_id);

    // The alarm book (docs/monitoring.md, Alarms) as kept across restarts: one row per raise,
    // cleared_at_us set when it clears. Kind and severity are the monitoring names
    // ("zone_fault", "major").
    struct StoredAlarm {
        std::string key;
        std::string kind;
        std::string severity;
        std::string unit_code;
        std::string station_id;
        std::string zone;
        std::string text_vi;
        std::string text_en;
        std::int64_t since_us = 0;
        std::int64_t raised_at_us = 0;
        std::optional<std::int64_t> cleared_at_us;

        bool operator==(const StoredAlarm&) const = default;
    };
    // A raise (no cleared_at_us) inserts the active row of its key (replacing a stale one); a
    // clear sets cleared_at_us on the active row of its key.
    void record_alarm(const StoredAlarm& alarm);
    // Rewrites the texts and severity of the key's active row (an ongoing alarm's words follow
    // the newest evaluation).
    void update_active_alarm(const StoredAlarm& alarm);
    // Active alarms by key; cleared ones newest first, at most `limit`.
    std::vector<StoredAlarm> list_active_alarms();
    std::vector<StoredAlarm> list_cleared_alarms(std::size_t limit);

    // Retention: deletes logged items that started before `keep_from_us`, clock and liveness
    // changes older than it (but the newest of each station, which tells its state then), and
    // alarms cleared
    // before `alarms_keep_from_us`. Answers how many rows went.
    std::size_t prune_monitoring_history(std::int64_t keep_from_us,
                                         std::int64_t alarms_keep_from_us);

    // Every kept revision of the station's timeline, oldest first.
    std::vector<StoredTimeline> list_timelines(const std::string& station_id);
    // As-run records with from_us <= scheduled_at_us < to_us, oldest first.
    std::vector<AsRunRow> list_as_run_between(std::int64_t from_us, std::int64_t to_us);

private:
    // Stores an empty timeline as revision `revision` for every station that has none.
    void ensure_timelines();
    void insert_timeline(const std::string& station_id, std::uint64_t revision,
                         wire::Timeline& timeline, TimePoint now);
    // Logs the items of revision `revision` (issued at `now`) against the previous revision's:
    // new or changed items are written, items gone before their end are withdrawn. `backfill`:
    // items of a first revision count as issued by their start at the latest.
    void log_scheduled_items(const std::string& station_id, std::uint64_t revision,
                             const wire::Timeline* previous, const wire::Timeline& timeline,
                             std::int64_t now_us, bool backfill);
    // Fills the log of scheduled items from the kept revisions, once (a database from before
    // the log).
    void backfill_scheduled_items();
    void write_entry_targets(std::int64_t id, const EntryTargets& targets);
    // Inserts (no id: a new one) or replaces the entry's row and targets; answers its id.
    std::int64_t write_entry(const ScheduleEntry& entry, std::optional<std::int64_t> id,
                             const std::string& created_by, std::int64_t created_at_us);
    StoredEntry read_entry(const sqlite::Statement& s, std::vector<std::string>* problems);

    std::unique_ptr<sqlite::Database> db_;
    // Prepared once: a scheduler with thousands of agents runs them for every heartbeat.
    std::unique_ptr<sqlite::Statement> heartbeat_update_;
    std::unique_ptr<sqlite::Statement> health_upsert_;
};

}  // namespace loa::scheduler
