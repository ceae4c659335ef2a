#include "loa/scheduler/scheduler_store.hpp"

#include "loa/common/digest.hpp"
#include "loa/protocol/envelope.hpp"
#include "loa/protocol/timeline_delta.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <set>
#include <span>
#include <variant>

namespace loa::scheduler {
namespace {

// Forward-only migrations: migration N (1-based) takes the schema from version N-1 to N. Never
// edit one that has shipped; append a new one. Times are UTC microseconds since the epoch.
constexpr std::array<std::string_view, 4> kMigrations{
    // 1: the first broadcast path.
    R"sql(
CREATE TABLE stations (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    public_key        TEXT NOT NULL UNIQUE,
    created_at        INTEGER NOT NULL,
    last_seen_at      INTEGER,
    software_version  TEXT NOT NULL DEFAULT '',
    timeline_revision INTEGER NOT NULL,
    acked_revision    INTEGER NOT NULL DEFAULT 0,
    timeline_digest   TEXT NOT NULL,
    outbox_depth      INTEGER NOT NULL DEFAULT 0,
    assets_missing    INTEGER NOT NULL DEFAULT 0,
    underruns         INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE assets (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    duration_ms   INTEGER NOT NULL,
    size_bytes    INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    source_sha256 TEXT NOT NULL
);
CREATE INDEX assets_by_source ON assets (source_sha256);
CREATE TABLE schedule_entries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    asset_id    TEXT NOT NULL REFERENCES assets (id),
    title       TEXT NOT NULL,
    priority    TEXT NOT NULL,
    start_at_us INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX schedule_entries_by_start ON schedule_entries (start_at_us);
CREATE TABLE entry_targets (
    entry_id   INTEGER NOT NULL REFERENCES schedule_entries (id),
    station_id TEXT NOT NULL REFERENCES stations (id),
    PRIMARY KEY (station_id, entry_id)
);
CREATE TABLE as_run (
    record_id         TEXT PRIMARY KEY,
    station_id        TEXT NOT NULL REFERENCES stations (id),
    item_id           TEXT NOT NULL,
    asset_id          TEXT NOT NULL,
    scheduled_at_us   INTEGER NOT NULL,
    started_at_us     INTEGER NOT NULL,
    ended_at_us       INTEGER NOT NULL,
    status            TEXT NOT NULL,
    reason            TEXT NOT NULL,
    timeline_revision INTEGER NOT NULL,
    received_at_us    INTEGER NOT NULL
);
CREATE INDEX as_run_by_station ON as_run (station_id, scheduled_at_us);
)sql",
    // 2: what the ingest measured of each asset (NULL for assets made before).
    R"sql(
ALTER TABLE assets ADD COLUMN loudness_lufs REAL;
ALTER TABLE assets ADD COLUMN true_peak_dbtp REAL;
ALTER TABLE assets ADD COLUMN source_format TEXT NOT NULL DEFAULT '';
)sql",
    // 3: broadcast planning. Units, stations attached to units with zones (a station imported
    // from a CSV may have no key yet), programmes, entries in the planning core's shape, and the
    // compiled timeline revisions. A station registered before gets a unit of its own (its id
    // as the code); old entries become approved one-off entries of one asset.
    R"sql(
CREATE TABLE admin_units (
    code           TEXT PRIMARY KEY,
    parent_code    TEXT NOT NULL DEFAULT '',
    level          TEXT NOT NULL,
    unit_type      TEXT NOT NULL DEFAULT '',
    name           TEXT NOT NULL,
    name_with_type TEXT NOT NULL
);
INSERT INTO admin_units (code, level, name, name_with_type)
    SELECT id, 'station', name, name FROM stations ORDER BY created_at, id;
CREATE TABLE stations_v3 (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    public_key        TEXT UNIQUE,
    unit_code         TEXT NOT NULL REFERENCES admin_units (code),
    zones             TEXT NOT NULL DEFAULT 'main',
    created_at        INTEGER NOT NULL,
    last_seen_at      INTEGER,
    software_version  TEXT NOT NULL DEFAULT '',
    timeline_revision INTEGER NOT NULL,
    acked_revision    INTEGER NOT NULL DEFAULT 0,
    outbox_depth      INTEGER NOT NULL DEFAULT 0,
    assets_missing    INTEGER NOT NULL DEFAULT 0,
    underruns         INTEGER NOT NULL DEFAULT 0
);
INSERT INTO stations_v3 (id, name, public_key, unit_code, created_at, last_seen_at,
                         software_version, timeline_revision, acked_revision, outbox_depth,
                         assets_missing, underruns)
    SELECT id, name, public_key, id, created_at, last_seen_at, software_version,
           timeline_revision, acked_revision, outbox_depth, assets_missing, underruns
    FROM stations;
DROP TABLE stations;
ALTER TABLE stations_v3 RENAME TO stations;
CREATE INDEX stations_by_unit ON stations (unit_code);
CREATE TABLE programmes (
    id         TEXT PRIMARY KEY,
    title      TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE programme_assets (
    programme_id TEXT NOT NULL REFERENCES programmes (id),
    position     INTEGER NOT NULL,
    asset_id     TEXT NOT NULL REFERENCES assets (id),
    PRIMARY KEY (programme_id, position)
);
CREATE TABLE entries (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    title          TEXT NOT NULL,
    asset_id       TEXT REFERENCES assets (id),
    programme_id   TEXT REFERENCES programmes (id),
    at_us          INTEGER NOT NULL DEFAULT 0,
    rrule          TEXT NOT NULL DEFAULT '',
    dtstart        TEXT NOT NULL DEFAULT '',
    exdates        TEXT NOT NULL DEFAULT '',
    tz             TEXT NOT NULL,
    priority       TEXT NOT NULL,
    cut_policy     TEXT NOT NULL,
    valid_from_us  INTEGER,
    valid_until_us INTEGER,
    state          TEXT NOT NULL,
    approved_at_us INTEGER NOT NULL DEFAULT 0,
    created_by     TEXT NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    CHECK ((asset_id IS NULL) <> (programme_id IS NULL))
);
INSERT INTO entries (id, title, asset_id, at_us, tz, priority, cut_policy, state,
                     approved_at_us, created_at)
    SELECT id, title, asset_id, start_at_us, 'Asia/Ho_Chi_Minh', priority, 'shorten',
           'approved', created_at, created_at
    FROM schedule_entries;
CREATE TABLE entry_targets_v3 (
    entry_id INTEGER NOT NULL REFERENCES entries (id),
    kind     TEXT NOT NULL CHECK (kind IN ('unit', 'station', 'zone')),
    target   TEXT NOT NULL,
    zone     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (entry_id, kind, target, zone)
);
INSERT INTO entry_targets_v3 (entry_id, kind, target)
    SELECT entry_id, 'station', station_id FROM entry_targets;
DROP TABLE entry_targets;
DROP TABLE schedule_entries;
ALTER TABLE entry_targets_v3 RENAME TO entry_targets;
CREATE TABLE timelines (
    station_id TEXT NOT NULL REFERENCES stations (id),
    revision   INTEGER NOT NULL,
    timeline   BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (station_id, revision)
);
)sql",
    // 4: station telemetry (issue 5). Events a station reported (each stored once), and each
    // station's liveness (online, or offline since it missed 3 heartbeats) with the telemetry
    // of its latest heartbeat.
    R"sql(
CREATE TABLE station_events (
    station_id     TEXT NOT NULL REFERENCES stations (id),
    event_id       TEXT NOT NULL,
    kind           TEXT NOT NULL,
    zone           TEXT NOT NULL DEFAULT '',
    at_us          INTEGER NOT NULL,
    detail         TEXT NOT NULL DEFAULT '',
    received_at_us INTEGER NOT NULL,
    PRIMARY KEY (station_id, event_id)
);
CREATE INDEX station_events_by_time ON station_events (at_us);
CREATE TABLE station_status (
    station_id           TEXT PRIMARY KEY REFERENCES stations (id),
    online               INTEGER NOT NULL DEFAULT 0,
    online_changed_at_us INTEGER NOT NULL DEFAULT 0,
    last_heartbeat_at_us INTEGER NOT NULL DEFAULT 0,
    clock_offset_us      INTEGER NOT NULL DEFAULT 0,
    clock_jitter_us      INTEGER NOT NULL DEFAULT 0,
    clock_synced         INTEGER NOT NULL DEFAULT 0,
    status_json          TEXT NOT NULL DEFAULT '{}'
);
)sql",
};

// Monitoring (issue 5), a named schema part migrated after the main schema: loudspeaker clusters,
// hamlets, the daily coverage history, and the log of stations going online and offline (written
// by triggers on station_status, so whoever changes a station's liveness logs it).
constexpr std::array<std::string_view, 2> kMonitoringMigrations{
    R"sql(
CREATE TABLE coverage_clusters (
    id         TEXT PRIMARY KEY,
    station_id TEXT NOT NULL,
    zone       TEXT NOT NULL,
    lon        REAL NOT NULL,
    lat        REAL NOT NULL,
    horns      INTEGER NOT NULL,
    power_w    REAL NOT NULL,
    reach_m    REAL NOT NULL
);
CREATE TABLE coverage_hamlets (
    id         TEXT PRIMARY KEY,
    unit_code  TEXT NOT NULL,
    name       TEXT NOT NULL DEFAULT '',
    households INTEGER NOT NULL,
    shape      TEXT NOT NULL
);
CREATE TABLE coverage_data_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO coverage_data_version (id, version) VALUES (1, 0);
CREATE TABLE coverage_history (
    day                  TEXT NOT NULL,
    unit_code            TEXT NOT NULL,
    households           REAL NOT NULL,
    households_installed REAL NOT NULL,
    households_working   REAL NOT NULL,
    area_m2              REAL NOT NULL,
    area_installed_m2    REAL NOT NULL,
    area_working_m2      REAL NOT NULL,
    taken_at_us          INTEGER NOT NULL,
    PRIMARY KEY (day, unit_code)
);
CREATE TABLE station_liveness (
    station_id TEXT NOT NULL,
    online     INTEGER NOT NULL,
    at_us      INTEGER NOT NULL
);
CREATE INDEX station_liveness_by_station ON station_liveness (station_id, at_us);
INSERT INTO station_liveness (station_id, online, at_us)
    SELECT station_id, online, online_changed_at_us FROM station_status;
CREATE TRIGGER station_liveness_insert AFTER INSERT ON station_status
BEGIN
    INSERT INTO station_liveness (station_id, online, at_us)
        VALUES (new.station_id, new.online, new.online_changed_at_us);
END;
CREATE TRIGGER station_liveness_update AFTER UPDATE OF online ON station_status
    WHEN old.online != new.online
BEGIN
    INSERT INTO station_liveness (station_id, online, at_us)
        VALUES (new.station_id, new.online, new.online_changed_at_us);
END;
)sql",
    // 2: monitoring history. The log of each station's clock going unsynchronised and
    // synchronised again (triggers on station_status, like station_liveness: a row when a
    // heartbeat's clock_synced differs from the one before, at that heartbeat's time); the alarm
    // book (active alarms and the cleared history); the log of the items each station was sent,
    // one row per (station, item), written with every timeline revision, so that compliance
    // knows what was scheduled long after the revisions themselves are pruned.
    R"sql(
CREATE TABLE station_clock (
    station_id TEXT NOT NULL,
    synced     INTEGER NOT NULL,
    at_us      INTEGER NOT NULL
);
CREATE INDEX station_clock_by_station ON station_clock (station_id, at_us);
INSERT INTO station_clock (station_id, synced, at_us)
    SELECT station_id, clock_synced, last_heartbeat_at_us FROM station_status
    WHERE last_heartbeat_at_us != 0;
CREATE TRIGGER station_clock_insert AFTER INSERT ON station_status
    WHEN new.last_heartbeat_at_us != 0
BEGIN
    INSERT INTO station_clock (station_id, synced, at_us)
        VALUES (new.station_id, new.clock_synced, new.last_heartbeat_at_us);
END;
CREATE TRIGGER station_clock_update AFTER UPDATE OF clock_synced, last_heartbeat_at_us
    ON station_status
    WHEN new.last_heartbeat_at_us != 0
         AND (old.last_heartbeat_at_us = 0 OR old.clock_synced != new.clock_synced)
BEGIN
    INSERT INTO station_clock (station_id, synced, at_us)
        VALUES (new.station_id, new.clock_synced, new.last_heartbeat_at_us);
END;
CREATE TABLE alarm_history (
    id            INTEGER PRIMARY KEY,
    key           TEXT NOT NULL,
    kind          TEXT NOT NULL,
    severity      TEXT NOT NULL,
    unit_code     TEXT NOT NULL DEFAULT '',
    station_id    TEXT NOT NULL DEFAULT '',
    zone          TEXT NOT NULL DEFAULT '',
    text_vi       TEXT NOT NULL DEFAULT '',
    text_en       TEXT NOT NULL DEFAULT '',
    since_us      INTEGER NOT NULL,
    raised_at_us  INTEGER NOT NULL,
    cleared_at_us INTEGER
);
CREATE UNIQUE INDEX alarm_history_active ON alarm_history (key) WHERE cleared_at_us IS NULL;
CREATE INDEX alarm_history_by_cleared ON alarm_history (cleared_at_us);
CREATE TABLE scheduled_items (
    station_id      TEXT NOT NULL,
    item_id         TEXT NOT NULL,
    start_at_us     INTEGER NOT NULL,
    duration_ms     INTEGER NOT NULL,
    asset_id        TEXT NOT NULL,
    entry_id        INTEGER,
    priority        INTEGER NOT NULL,
    title           TEXT NOT NULL DEFAULT '',
    zones           TEXT NOT NULL DEFAULT '',
    first_revision  INTEGER NOT NULL,
    issued_at_us    INTEGER NOT NULL,
    withdrawn_at_us INTEGER,
    PRIMARY KEY (station_id, item_id)
);
CREATE INDEX scheduled_items_by_start ON scheduled_items (start_at_us);
CREATE TABLE scheduled_items_backfill (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    done INTEGER NOT NULL
);
INSERT INTO scheduled_items_backfill (id, done) VALUES (1, 0);
)sql",
};

// Station positions (issue 6), a named schema part migrated after the main schema and the
// monitoring part: a station's own position, optional (CAP polygons and circles match it and the
// station's loudspeaker clusters, docs/alerts.md). A later main migration that rebuilds the
// stations table must carry these two columns over.
constexpr std::array<std::string_view, 1> kPositionMigrations{
    R"sql(
ALTER TABLE stations ADD COLUMN lat REAL;
ALTER TABLE stations ADD COLUMN lon REAL;
)sql",
};

wire::AsRunStatus status_from_text(const std::string& text) {
    for (const auto s : {wire::COMPLETED, wire::FAILED, wire::INTERRUPTED}) {
        if (protocol::as_run_status_name(s) == text) {
            return s;
        }
    }
    return wire::AS_RUN_STATUS_UNSPECIFIED;
}

constexpr const char* kStationColumns =
    "id, name, public_key, created_at, last_seen_at, software_version, timeline_revision, "
    "acked_revision, outbox_depth, assets_missing, underruns, unit_code, zones, lat, lon";

constexpr char kListSeparator = ';';

std::string join_list(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) {
            out += kListSeparator;
        }
        out += item;
    }
    return out;
}

std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        const auto end = text.find(kListSeparator);
        out.emplace_back(text.substr(0, end));
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    }
    return out;
}

// The rows of a log of one station state (station_liveness: online, station_clock: synced) with
// at_us < to_us, by station then time; all stations when `station_id` is empty.
template <class Change>
std::vector<Change> read_state_changes(sqlite::Database& db, std::string_view table,
                                       std::string_view flag, const std::string& station_id,
                                       std::int64_t to_us) {
    sqlite::Statement s{db, fmt::format("SELECT station_id, {}, at_us FROM {} WHERE (?1 = '' OR "
                                        "station_id = ?1) AND at_us < ?2 ORDER BY station_id, "
                                        "at_us, rowid",
                                        flag, table)};
    s.bind(1, station_id).bind(2, to_us);
    std::vector<Change> out;
    while (s.step()) {
        out.push_back({s.text(0), s.int64(1) != 0, s.int64(2)});
    }
    return out;
}

StationRecord read_station(const sqlite::Statement& s) {
    StationRecord r;
    r.id = s.text(0);
    r.name = s.text(1);
    r.public_key = s.is_null(2) ? std::string{} : s.text(2);
    r.created_at_us = s.int64(3);
    r.last_seen_at_us = s.optional_int64(4);
    r.software_version = s.text(5);
    r.timeline_revision = static_cast<std::uint64_t>(s.int64(6));
    r.acked_revision = static_cast<std::uint64_t>(s.int64(7));
    r.outbox_depth = static_cast<std::uint32_t>(s.int64(8));
    r.assets_missing = static_cast<std::uint32_t>(s.int64(9));
    r.underruns = static_cast<std::uint64_t>(s.int64(10));
    r.unit_code = s.text(11);
    r.zones = split_list(s.text(12));
    if (!s.is_null(13) && !s.is_null(14)) {
        r.position = std::pair{s.real(13), s.real(14)};
    }
    return r;
}

void bind_key(sqlite::Statement& s, int index, const std::string& public_key) {
    if (public_key.empty()) {
        s.bind_null(index);
    } else {
        s.bind(index, public_key);
    }
}

// The bytes of a timeline's items alone: what tells whether a revision changed anything.
std::string items_bytes(const wire::Timeline& timeline) {
    wire::Timeline items;
    *items.mutable_items() = timeline.items();
    return protocol::serialize_timeline(items);
}

constexpr const char* kEntryColumns =
    "id, title, asset_id, programme_id, at_us, rrule, dtstart, exdates, tz, priority, "
    "cut_policy, valid_from_us, valid_until_us, state, approved_at_us, created_by, created_at, "
    "(SELECT duration_ms FROM assets WHERE assets.id = entries.asset_id)";

TimePoint time_or(const std::optional<std::int64_t>& us, TimePoint otherwise) {
    return us ? from_unix_us(*us) : otherwise;
}

void bind_time_unless(sqlite::Statement& s, int index, TimePoint t, TimePoint unbounded) {
    if (t == unbounded) {
        s.bind_null(index);
    } else {
        s.bind(index, to_unix_us(t));
    }
}

constexpr const char* kAssetColumns =
    "id, name, duration_ms, size_bytes, created_at, source_sha256, loudness_lufs, "
    "true_peak_dbtp, source_format";

std::optional<double> optional_real(const sqlite::Statement& s, int column) {
    return s.is_null(column) ? std::nullopt : std::optional<double>{s.real(column)};
}

void bind_optional(sqlite::Statement& s, int index, const std::optional<double>& value) {
    if (value) {
        s.bind(index, *value);
    } else {
        s.bind_null(index);
    }
}

AssetRecord read_asset(const sqlite::Statement& s) {
    AssetRecord r;
    r.id = s.text(0);
    r.name = s.text(1);
    r.duration_ms = static_cast<std::uint32_t>(s.int64(2));
    r.size_bytes = static_cast<std::uint64_t>(s.int64(3));
    r.created_at_us = s.int64(4);
    r.source_sha256 = s.text(5);
    r.loudness_lufs = optional_real(s, 6);
    r.true_peak_dbtp = optional_real(s, 7);
    r.source_format = s.text(8);
    return r;
}

}  // namespace

SchedulerStore::SchedulerStore(const std::string& path)
    : db_{std::make_unique<sqlite::Database>(path)} {
    // Migration 3 rebuilds tables that others reference: foreign keys are checked after it.
    db_->exec("PRAGMA foreign_keys = OFF");
    db_->migrate(kMigrations, "loa-scheduler");
    db_->migrate(kMonitoringMigrations, "loa-scheduler", "monitoring");
    db_->migrate(kPositionMigrations, "loa-scheduler", "station_positions");
    db_->exec("PRAGMA foreign_keys = ON");
    {
        sqlite::Statement check{*db_, "PRAGMA foreign_key_check"};
        if (check.step()) {
            throw StoreError{fmt::format("{}: a row of table {} references a missing row",
                                         db_->name(), check.text(0))};
        }
    }
    Transaction tx{*this};
    ensure_timelines();
    backfill_scheduled_items();
    tx.commit();
}

SchedulerStore::~SchedulerStore() = default;

int SchedulerStore::latest_schema_version() {
    return static_cast<int>(kMigrations.size());
}

int SchedulerStore::schema_version() {
    return db_->schema_version();
}

// --- stations

Status SchedulerStore::add_station(const StationRecord& station) {
    Transaction tx{*this};
    if (find_station(station.id)) {
        return Error{fmt::format("id: station '{}' already exists", station.id)};
    }
    if (!station.public_key.empty()) {
        sqlite::Statement s{*db_, "SELECT id FROM stations WHERE public_key = ?"};
        s.bind(1, station.public_key);
        if (s.step()) {
            return Error{fmt::format("public_key: the key is already registered to station '{}'",
                                     s.text(0))};
        }
    }
    std::string unit = station.unit_code;
    if (unit.empty()) {
        unit = station.id;
        sqlite::Statement{*db_,
                          "INSERT OR IGNORE INTO admin_units (code, level, name, name_with_type) "
                          "VALUES (?, 'station', ?, ?)"}
            .bind(1, unit)
            .bind(2, station.name)
            .bind(3, station.name)
            .run();
    } else {
        sqlite::Statement s{*db_, "SELECT 1 FROM admin_units WHERE code = ?"};
        s.bind(1, unit);
        if (!s.step()) {
            return Error{fmt::format("unit: '{}' is not a known unit", unit)};
        }
    }
    const std::vector<std::string> zones =
        station.zones.empty() ? std::vector<std::string>{std::string{kMainZone}} : station.zones;
    sqlite::Statement insert{*db_,
                             "INSERT INTO stations (id, name, public_key, unit_code, zones, "
                             "created_at, timeline_revision) VALUES (?, ?, ?, ?, ?, ?, 1)"};
    insert.bind(1, station.id).bind(2, station.name);
    bind_key(insert, 3, station.public_key);
    insert.bind(4, unit).bind(5, join_list(zones)).bind(6, station.created_at_us).run();
    ensure_timelines();
    tx.commit();
    return Status::success();
}

void SchedulerStore::put_station(const Station& station, TimePoint now) {
    Transaction tx{*this};
    sqlite::Statement put{*db_,
                          "INSERT INTO stations (id, name, unit_code, zones, created_at, "
                          "timeline_revision, lat, lon) VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7) "
                          "ON CONFLICT (id) DO UPDATE SET name = ?2, unit_code = ?3, zones = ?4, "
                          "lat = ?6, lon = ?7"};
    put.bind(1, station.id)
        .bind(2, station.name)
        .bind(3, station.unit_code)
        .bind(4, join_list(station.zones))
        .bind(5, to_unix_us(now));
    bind_optional(put, 6, station.position ? std::optional{station.position->lat} : std::nullopt);
    bind_optional(put, 7, station.position ? std::optional{station.position->lon} : std::nullopt);
    put.run();
    ensure_timelines();
    tx.commit();
}

std::vector<Station> SchedulerStore::list_planned_stations() {
    sqlite::Statement s{*db_,
                        "SELECT id, unit_code, name, zones, lat, lon FROM stations ORDER BY id"};
    std::vector<Station> out;
    while (s.step()) {
        std::optional<StationPosition> position;
        if (!s.is_null(4) && !s.is_null(5)) {
            position = StationPosition{s.real(4), s.real(5)};
        }
        out.push_back(Station{s.text(0), s.text(1), s.text(2), split_list(s.text(3)), position});
    }
    return out;
}

Status SchedulerStore::set_station_key(const std::string& station_id,
                                       const std::string& public_key) {
    Transaction tx{*this};
    if (!find_station(station_id)) {
        return Error{fmt::format("station '{}' does not exist", station_id)};
    }
    sqlite::Statement s{*db_, "SELECT id FROM stations WHERE public_key = ? AND id <> ?"};
    s.bind(1, public_key).bind(2, station_id);
    if (s.step()) {
        return Error{
            fmt::format("public_key: the key is already registered to station '{}'", s.text(0))};
    }
    sqlite::Statement{*db_, "UPDATE stations SET public_key = ? WHERE id = ?"}
        .bind(1, public_key)
        .bind(2, station_id)
        .run();
    tx.commit();
    return Status::success();
}

// --- administrative units

void SchedulerStore::put_units(std::span<const AdminUnit> units) {
    Transaction tx{*this};
    sqlite::Statement s{*db_,
                        "INSERT INTO admin_units (code, parent_code, level, unit_type, name, "
                        "name_with_type) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (code) DO "
                        "UPDATE SET parent_code = ?2, level = ?3, unit_type = ?4, name = ?5, "
                        "name_with_type = ?6"};
    for (const auto& u : units) {
        s.reset();
        s.bind(1, u.code)
            .bind(2, u.parent_code)
            .bind(3, u.level)
            .bind(4, u.unit_type)
            .bind(5, u.name)
            .bind(6, u.name_with_type)
            .run();
    }
    tx.commit();
}

std::vector<AdminUnit> SchedulerStore::list_units() {
    sqlite::Statement s{*db_,
                        "SELECT code, parent_code, level, unit_type, name, name_with_type FROM "
                        "admin_units ORDER BY rowid"};
    std::vector<AdminUnit> out;
    while (s.step()) {
        out.push_back(AdminUnit{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5)});
    }
    return out;
}

std::optional<StationRecord> SchedulerStore::find_station(const std::string& id) {
    sqlite::Statement s{*db_, fmt::format("SELECT {} FROM stations WHERE id = ?", kStationColumns)};
    s.bind(1, id);
    if (!s.step()) {
        return std::nullopt;
    }
    return read_station(s);
}

std::vector<StationRecord> SchedulerStore::list_stations() {
    sqlite::Statement s{*db_, fmt::format("SELECT {} FROM stations ORDER BY id", kStationColumns)};
    std::vector<StationRecord> out;
    while (s.step()) {
        out.push_back(read_station(s));
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> SchedulerStore::station_keys() {
    sqlite::Statement s{*db_, "SELECT public_key, id FROM stations WHERE public_key IS NOT NULL"};
    std::vector<std::pair<std::string, std::string>> out;
    while (s.step()) {
        out.emplace_back(s.text(0), s.text(1));
    }
    return out;
}

void SchedulerStore::record_hello(const std::string& station_id,
                                  const std::string& software_version, TimePoint now) {
    sqlite::Statement{*db_,
                      "UPDATE stations SET software_version = ?, last_seen_at = ? WHERE id = ?"}
        .bind(1, software_version)
        .bind(2, to_unix_us(now))
        .bind(3, station_id)
        .run();
}

void SchedulerStore::record_heartbeat(const std::string& station_id, const StationStatus& status,
                                      TimePoint now) {
    if (!heartbeat_update_) {
        heartbeat_update_ = std::make_unique<sqlite::Statement>(
            *db_,
            "UPDATE stations SET last_seen_at = ?, outbox_depth = ?, assets_missing = ?, "
            "underruns = ? WHERE id = ?");
    }
    heartbeat_update_->reset();
    heartbeat_update_->bind(1, to_unix_us(now))
        .bind(2, status.outbox_depth)
        .bind(3, status.assets_missing)
        .bind(4, status.underruns)
        .bind(5, station_id)
        .run();
}

void SchedulerStore::touch_station(const std::string& station_id, TimePoint now) {
    sqlite::Statement{*db_, "UPDATE stations SET last_seen_at = ? WHERE id = ?"}
        .bind(1, to_unix_us(now))
        .bind(2, station_id)
        .run();
}

Status SchedulerStore::record_timeline_ack(const std::string& station_id, std::uint64_t revision) {
    Transaction tx{*this};
    const auto station = find_station(station_id);
    if (!station) {
        return Error{fmt::format("station '{}' is not registered", station_id)};
    }
    if (revision == 0 || revision > station->timeline_revision) {
        return Error{fmt::format("revision {} was never issued to station '{}' (newest is {})",
                                 revision, station_id, station->timeline_revision)};
    }
    sqlite::Statement{*db_,
                      "UPDATE stations SET acked_revision = MAX(acked_revision, ?) WHERE id = ?"}
        .bind(1, revision)
        .bind(2, station_id)
        .run();
    tx.commit();
    return Status::success();
}

// --- assets

bool SchedulerStore::add_asset(const AssetRecord& asset) {
    sqlite::Statement s{*db_,
                        "INSERT OR IGNORE INTO assets (id, name, duration_ms, size_bytes, "
                        "created_at, source_sha256, loudness_lufs, true_peak_dbtp, "
                        "source_format) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"};
    s.bind(1, asset.id)
        .bind(2, asset.name)
        .bind(3, asset.duration_ms)
        .bind(4, asset.size_bytes)
        .bind(5, asset.created_at_us)
        .bind(6, asset.source_sha256);
    bind_optional(s, 7, asset.loudness_lufs);
    bind_optional(s, 8, asset.true_peak_dbtp);
    s.bind(9, asset.source_format);
    s.run();
    return db_->changes() == 1;
}

std::optional<AssetRecord> SchedulerStore::find_asset(const std::string& id) {
    sqlite::Statement s{*db_, fmt::format("SELECT {} FROM assets WHERE id = ?", kAssetColumns)};
    s.bind(1, id);
    if (!s.step()) {
        return std::nullopt;
    }
    return read_asset(s);
}

std::optional<AssetRecord> SchedulerStore::find_asset_by_source(const std::string& source_sha256) {
    sqlite::Statement s{*db_, fmt::format("SELECT {} FROM assets WHERE source_sha256 = ? "
                                          "ORDER BY created_at LIMIT 1",
                                          kAssetColumns)};
    s.bind(1, source_sha256);
    if (!s.step()) {
        return std::nullopt;
    }
    return read_asset(s);
}

std::vector<AssetRecord> SchedulerStore::list_assets() {
    sqlite::Statement s{
        *db_, fmt::format("SELECT {} FROM assets ORDER BY created_at, id", kAssetColumns)};
    std::vector<AssetRecord> out;
    while (s.step()) {
        out.push_back(read_asset(s));
    }
    return out;
}

// --- programmes

std::string SchedulerStore::put_programme(const Programme& programme, TimePoint now) {
    Transaction tx{*this};
    std::string id = programme.id;
    if (id.empty()) {
        sqlite::Statement s{*db_,
                            "SELECT COALESCE(MAX(CAST(SUBSTR(id, 2) AS INTEGER)), 0) + 1 FROM "
                            "programmes WHERE id GLOB 'p[0-9]*'"};
        s.step();
        id = fmt::format("p{}", s.int64(0));
    }
    sqlite::Statement{*db_,
                      "INSERT INTO programmes (id, title, created_at) VALUES (?1, ?2, ?3) "
                      "ON CONFLICT (id) DO UPDATE SET title = ?2"}
        .bind(1, id)
        .bind(2, programme.title)
        .bind(3, to_unix_us(now))
        .run();
    sqlite::Statement{*db_, "DELETE FROM programme_assets WHERE programme_id = ?"}
        .bind(1, id)
        .run();
    sqlite::Statement insert{
        *db_, "INSERT INTO programme_assets (programme_id, position, asset_id) VALUES (?, ?, ?)"};
    for (std::size_t i = 0; i < programme.assets.size(); ++i) {
        insert.reset();
        insert.bind(1, id)
            .bind(2, static_cast<std::int64_t>(i))
            .bind(3, programme.assets[i].asset_id)
            .run();
    }
    tx.commit();
    return id;
}

std::vector<Programme> SchedulerStore::list_programmes() {
    std::vector<Programme> out;
    {
        sqlite::Statement s{*db_, "SELECT id, title FROM programmes ORDER BY id"};
        while (s.step()) {
            out.push_back(Programme{s.text(0), s.text(1), {}});
        }
    }
    sqlite::Statement s{*db_,
                        "SELECT p.programme_id, p.asset_id, a.duration_ms FROM programme_assets p "
                        "JOIN assets a ON a.id = p.asset_id ORDER BY p.programme_id, p.position"};
    std::size_t i = 0;
    while (s.step()) {
        const std::string id = s.text(0);
        while (i < out.size() && out[i].id < id) {
            ++i;
        }
        if (i < out.size() && out[i].id == id) {
            out[i].assets.push_back(
                ProgrammeAsset{s.text(1), std::chrono::milliseconds{s.int64(2)}});
        }
    }
    return out;
}

std::optional<Programme> SchedulerStore::find_programme(const std::string& id) {
    for (auto& p : list_programmes()) {
        if (p.id == id) {
            return std::move(p);
        }
    }
    return std::nullopt;
}

// --- schedule entries

std::int64_t SchedulerStore::write_entry(const ScheduleEntry& e, std::optional<std::int64_t> id,
                                         const std::string& created_by,
                                         std::int64_t created_at_us) {
    sqlite::Statement s{
        *db_,
        "INSERT INTO entries (id, title, asset_id, programme_id, at_us, rrule, dtstart, exdates, "
        "tz, priority, cut_policy, valid_from_us, valid_until_us, state, approved_at_us, "
        "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET title = excluded.title, asset_id = excluded.asset_id, "
        "programme_id = excluded.programme_id, at_us = excluded.at_us, rrule = excluded.rrule, "
        "dtstart = excluded.dtstart, exdates = excluded.exdates, tz = excluded.tz, "
        "priority = excluded.priority, cut_policy = excluded.cut_policy, "
        "valid_from_us = excluded.valid_from_us, valid_until_us = excluded.valid_until_us, "
        "state = excluded.state, approved_at_us = excluded.approved_at_us"};
    if (id) {
        s.bind(1, *id);
    } else {
        s.bind_null(1);
    }
    s.bind(2, e.title);
    if (const auto* asset = std::get_if<AssetContent>(&e.what)) {
        s.bind(3, asset->asset_id).bind_null(4);
    } else {
        s.bind_null(3).bind(4, std::get<ProgrammeContent>(e.what).programme_id);
    }
    s.bind(5, to_unix_us(e.at));
    if (e.recurrence) {
        std::vector<std::string> exdates;
        for (const auto& x : e.recurrence->exdates()) {
            exdates.push_back(x.to_string());
        }
        s.bind(6, e.recurrence->rule())
            .bind(7, e.recurrence->start().to_string())
            .bind(8, join_list(exdates))
            .bind(9, e.recurrence->zone());
    } else {
        s.bind(6, "").bind(7, "").bind(8, "").bind(9, kDefaultZone);
    }
    s.bind(10, priority_class_name(e.priority)).bind(11, cut_policy_name(e.cut_policy));
    bind_time_unless(s, 12, e.valid_from, TimePoint::min());
    bind_time_unless(s, 13, e.valid_until, TimePoint::max());
    s.bind(14, entry_state_name(e.state))
        .bind(15, to_unix_us(e.approved_at))
        .bind(16, created_by)
        .bind(17, created_at_us)
        .run();
    const std::int64_t written = id ? *id : db_->last_insert_rowid();
    write_entry_targets(written, e.where);
    return written;
}

void SchedulerStore::write_entry_targets(std::int64_t id, const EntryTargets& targets) {
    sqlite::Statement{*db_, "DELETE FROM entry_targets WHERE entry_id = ?"}.bind(1, id).run();
    sqlite::Statement s{
        *db_,
        "INSERT OR IGNORE INTO entry_targets (entry_id, kind, target, zone) VALUES (?, ?, ?, ?)"};
    const auto add = [&](std::string_view kind, const std::string& target,
                         const std::string& zone) {
        s.reset();
        s.bind(1, id).bind(2, kind).bind(3, target).bind(4, zone).run();
    };
    for (const auto& u : targets.units) {
        add("unit", u, "");
    }
    for (const auto& st : targets.stations) {
        add("station", st, "");
    }
    for (const auto& z : targets.zones) {
        add("zone", z.station_id, z.zone);
    }
}

std::int64_t SchedulerStore::insert_entry(const StoredEntry& entry) {
    Transaction tx{*this};
    const auto id = write_entry(entry.entry, std::nullopt, entry.created_by, entry.created_at_us);
    tx.commit();
    return id;
}

bool SchedulerStore::update_entry(const ScheduleEntry& entry) {
    Transaction tx{*this};
    sqlite::Statement s{*db_, "SELECT 1 FROM entries WHERE id = ?"};
    s.bind(1, entry.id);
    if (!s.step()) {
        return false;
    }
    write_entry(entry, entry.id, "", 0);
    tx.commit();
    return true;
}

StoredEntry SchedulerStore::read_entry(const sqlite::Statement& s,
                                       std::vector<std::string>* problems) {
    StoredEntry r;
    auto& e = r.entry;
    e.id = s.int64(0);
    e.title = s.text(1);
    if (!s.is_null(2)) {
        e.what =
            AssetContent{s.text(2), std::chrono::milliseconds{s.is_null(17) ? 0 : s.int64(17)}};
    } else {
        e.what = ProgrammeContent{s.is_null(3) ? std::string{} : s.text(3)};
    }
    e.at = from_unix_us(s.int64(4));
    if (const std::string rule = s.text(5); !rule.empty()) {
        std::vector<LocalDateTime> exdates;
        std::string problem;
        for (const auto& x : split_list(s.text(7))) {
            if (auto parsed = parse_local_date_time(x)) {
                exdates.push_back(*parsed);
            }
        }
        auto start = parse_local_date_time(s.text(6));
        if (start) {
            auto recurrence = Recurrence::create(rule, *start, s.text(8), std::move(exdates));
            if (recurrence) {
                e.recurrence = std::move(recurrence).value();
            } else {
                problem = recurrence.error().message;
            }
        } else {
            problem = start.error().message;
        }
        if (!problem.empty() && problems != nullptr) {
            problems->push_back(fmt::format("entry {}: {}", e.id, problem));
        }
    }
    e.priority = parse_priority_class(s.text(9)).value_or(wire::COMMUNE);
    e.cut_policy = parse_cut_policy(s.text(10)).value_or(CutPolicy::shorten);
    e.valid_from = time_or(s.optional_int64(11), TimePoint::min());
    e.valid_until = time_or(s.optional_int64(12), TimePoint::max());
    e.state = parse_entry_state(s.text(13)).value_or(EntryState::draft);
    e.approved_at = from_unix_us(s.int64(14));
    r.created_by = s.text(15);
    r.created_at_us = s.int64(16);
    return r;
}

std::optional<StoredEntry> SchedulerStore::find_entry(std::int64_t id) {
    for (auto& e : list_entries()) {
        if (e.entry.id == id) {
            return std::move(e);
        }
    }
    return std::nullopt;
}

std::vector<StoredEntry> SchedulerStore::list_entries(std::vector<std::string>* problems) {
    std::vector<StoredEntry> out;
    std::map<std::int64_t, std::size_t> index;
    {
        sqlite::Statement s{*db_, fmt::format("SELECT {} FROM entries ORDER BY id", kEntryColumns)};
        while (s.step()) {
            index[s.int64(0)] = out.size();
            out.push_back(read_entry(s, problems));
        }
    }
    sqlite::Statement s{*db_,
                        "SELECT entry_id, kind, target, zone FROM entry_targets ORDER BY "
                        "entry_id, rowid"};
    while (s.step()) {
        const auto it = index.find(s.int64(0));
        if (it == index.end()) {
            continue;
        }
        auto& where = out[it->second].entry.where;
        const std::string kind = s.text(1);
        if (kind == "unit") {
            where.units.push_back(s.text(2));
        } else if (kind == "station") {
            where.stations.push_back(s.text(2));
        } else {
            where.zones.push_back(ZoneTarget{s.text(2), s.text(3)});
        }
    }
    return out;
}

// --- timelines

void SchedulerStore::insert_timeline(const std::string& station_id, std::uint64_t revision,
                                     wire::Timeline& timeline, TimePoint now) {
    timeline.set_station_id(station_id);
    timeline.set_revision(revision);
    timeline.set_issued_at_us(to_unix_us(now));
    sqlite::Statement{*db_,
                      "INSERT INTO timelines (station_id, revision, timeline, created_at) "
                      "VALUES (?, ?, ?, ?)"}
        .bind(1, station_id)
        .bind(2, revision)
        .bind_blob(3, protocol::serialize_timeline(timeline))
        .bind(4, to_unix_us(now))
        .run();
    sqlite::Statement{*db_, "UPDATE stations SET timeline_revision = ? WHERE id = ?"}
        .bind(1, revision)
        .bind(2, station_id)
        .run();
    sqlite::Statement{*db_, "DELETE FROM timelines WHERE station_id = ? AND revision <= ?"}
        .bind(1, station_id)
        .bind(2, static_cast<std::int64_t>(revision) -
                     static_cast<std::int64_t>(kTimelineRevisionsKept))
        .run();
}

void SchedulerStore::ensure_timelines() {
    struct Missing {
        std::string id;
        std::uint64_t revision;
        std::int64_t created_at_us;
    };
    std::vector<Missing> missing;
    {
        sqlite::Statement s{*db_,
                            "SELECT id, MAX(timeline_revision, 1), created_at FROM stations s "
                            "WHERE NOT EXISTS (SELECT 1 FROM timelines t WHERE t.station_id = "
                            "s.id)"};
        while (s.step()) {
            missing.push_back({s.text(0), static_cast<std::uint64_t>(s.int64(1)), s.int64(2)});
        }
    }
    for (const auto& m : missing) {
        wire::Timeline empty;
        empty.set_horizon_end_us(m.created_at_us);
        insert_timeline(m.id, m.revision, empty, from_unix_us(m.created_at_us));
    }
}

namespace {

std::optional<SchedulerStore::StoredTimeline> read_timeline(sqlite::Statement& s) {
    if (!s.step()) {
        return std::nullopt;
    }
    return SchedulerStore::StoredTimeline{s.text(0), static_cast<std::uint64_t>(s.int64(1)),
                                          s.blob(2), s.int64(3)};
}

}  // namespace

std::optional<SchedulerStore::StoredTimeline> SchedulerStore::latest_timeline(
    const std::string& station_id) {
    sqlite::Statement s{*db_,
                        "SELECT station_id, revision, timeline, created_at FROM timelines WHERE "
                        "station_id = ? ORDER BY revision DESC LIMIT 1"};
    s.bind(1, station_id);
    return read_timeline(s);
}

std::optional<SchedulerStore::StoredTimeline> SchedulerStore::timeline_at(
    const std::string& station_id, std::uint64_t revision) {
    sqlite::Statement s{*db_,
                        "SELECT station_id, revision, timeline, created_at FROM timelines WHERE "
                        "station_id = ? AND revision = ?"};
    s.bind(1, station_id).bind(2, revision);
    return read_timeline(s);
}

std::optional<std::uint64_t> SchedulerStore::store_timeline(const std::string& station_id,
                                                            wire::Timeline timeline,
                                                            TimePoint now) {
    Transaction tx{*this};
    const auto latest = latest_timeline(station_id);
    if (!latest) {
        throw StoreError{fmt::format("database: station '{}' has no timeline", station_id)};
    }
    wire::Timeline previous;
    if (!previous.ParseFromString(latest->timeline)) {
        throw StoreError{fmt::format("database: timeline revision {} of station '{}' is corrupt",
                                     latest->revision, station_id)};
    }
    if (items_bytes(previous) == items_bytes(timeline)) {
        return std::nullopt;
    }
    const auto revision = latest->revision + 1;
    insert_timeline(station_id, revision, timeline, now);
    log_scheduled_items(station_id, revision, &previous, timeline, to_unix_us(now), false);
    tx.commit();
    return revision;
}

std::vector<TimelineItemRecord> SchedulerStore::timeline_items(const std::string& station_id,
                                                               TimePoint now, Duration horizon) {
    std::vector<TimelineItemRecord> out;
    const auto latest = latest_timeline(station_id);
    wire::Timeline t;
    if (!latest || !t.ParseFromString(latest->timeline)) {
        return out;
    }
    const std::int64_t keep_from = to_unix_us(now - kTimelineKeepPast);
    const std::int64_t until = to_unix_us(now + horizon);
    for (const auto& item : t.items()) {
        const std::int64_t end =
            item.start_at_us() + static_cast<std::int64_t>(item.duration_ms()) * 1000;
        if (end < keep_from || item.start_at_us() >= until) {
            continue;
        }
        TimelineItemRecord r;
        r.item_id = item.item_id();
        r.zones.assign(item.zones().begin(), item.zones().end());
        r.asset_id = item.asset_id();
        r.title = item.title();
        r.priority = item.priority();
        r.start_at_us = item.start_at_us();
        r.duration_ms = item.duration_ms();
        r.asset_size = item.asset_size();
        out.push_back(std::move(r));
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const auto& a, const auto& b) { return a.start_at_us < b.start_at_us; });
    return out;
}

Result<StationTimeline> SchedulerStore::compile_timeline(const std::string& station_id,
                                                         TimePoint now, Duration horizon) {
    const auto station = find_station(station_id);
    if (!station) {
        return Error{fmt::format("station '{}' is not registered", station_id)};
    }
    StationTimeline t;
    t.station_id = station_id;
    t.revision = station->timeline_revision;
    t.items = timeline_items(station_id, now, horizon);
    return t;
}

std::vector<std::string> SchedulerStore::compile_all_timelines(TimePoint /*now*/,
                                                               Duration /*horizon*/) {
    return {};
}

// --- as-run

bool SchedulerStore::add_as_run(const AsRunRow& row) {
    sqlite::Statement s{
        *db_,
        "INSERT OR IGNORE INTO as_run (record_id, station_id, item_id, asset_id, "
        "scheduled_at_us, started_at_us, ended_at_us, status, reason, "
        "timeline_revision, received_at_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"};
    s.bind(1, row.record_id)
        .bind(2, row.station_id)
        .bind(3, row.item_id)
        .bind(4, row.asset_id)
        .bind(5, row.scheduled_at_us)
        .bind(6, row.started_at_us)
        .bind(7, row.ended_at_us)
        .bind(8, protocol::as_run_status_name(row.status))
        .bind(9, row.reason)
        .bind(10, row.timeline_revision)
        .bind(11, row.received_at_us);
    s.run();
    return db_->changes() == 1;
}

namespace {

constexpr std::string_view kAsRunSelect =
    "SELECT record_id, station_id, item_id, asset_id, scheduled_at_us, started_at_us, "
    "ended_at_us, status, reason, timeline_revision, received_at_us FROM as_run ";

// The rows of a statement that selects kAsRunSelect's columns.
std::vector<AsRunRow> read_as_run_rows(sqlite::Statement& s) {
    std::vector<AsRunRow> out;
    while (s.step()) {
        AsRunRow r;
        r.record_id = s.text(0);
        r.station_id = s.text(1);
        r.item_id = s.text(2);
        r.asset_id = s.text(3);
        r.scheduled_at_us = s.int64(4);
        r.started_at_us = s.int64(5);
        r.ended_at_us = s.int64(6);
        r.status = status_from_text(s.text(7));
        r.reason = s.text(8);
        r.timeline_revision = static_cast<std::uint64_t>(s.int64(9));
        r.received_at_us = s.int64(10);
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace

std::vector<AsRunRow> SchedulerStore::list_as_run(const std::string& station_id,
                                                  std::size_t limit) {
    sqlite::Statement s{
        *db_, std::string{kAsRunSelect} +
                  "WHERE (?1 = '' OR station_id = ?1) "
                  "ORDER BY scheduled_at_us DESC, received_at_us DESC, record_id LIMIT ?2"};
    s.bind(1, station_id).bind(2, static_cast<std::int64_t>(limit));
    return read_as_run_rows(s);
}

std::size_t SchedulerStore::count_as_run() {
    sqlite::Statement s{*db_, "SELECT COUNT(*) FROM as_run"};
    s.step();
    return static_cast<std::size_t>(s.int64(0));
}

// --- station telemetry

bool SchedulerStore::add_station_event(const StationEventRow& row) {
    sqlite::Statement{
        *db_,
        "INSERT INTO station_events (station_id, event_id, kind, zone, at_us, detail, "
        "received_at_us) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"}
        .bind(1, row.station_id)
        .bind(2, row.event_id)
        .bind(3, row.kind)
        .bind(4, row.zone)
        .bind(5, row.at_us)
        .bind(6, row.detail)
        .bind(7, row.received_at_us)
        .run();
    return db_->changes() > 0;
}

std::vector<StationEventRow> SchedulerStore::list_station_events(const std::string& station_id,
                                                                 std::int64_t from_us,
                                                                 std::int64_t to_us,
                                                                 std::size_t limit) {
    sqlite::Statement st{*db_,
                         "SELECT station_id, event_id, kind, zone, at_us, detail, received_at_us "
                         "FROM station_events WHERE (? = '' OR station_id = ?) AND at_us >= ? "
                         "AND at_us < ? ORDER BY at_us, station_id, rowid LIMIT ?"};
    st.bind(1, station_id)
        .bind(2, station_id)
        .bind(3, from_us)
        .bind(4, to_us)
        .bind(5, static_cast<std::int64_t>(limit));
    std::vector<StationEventRow> out;
    while (st.step()) {
        StationEventRow r;
        r.station_id = st.text(0);
        r.event_id = st.text(1);
        r.kind = st.text(2);
        r.zone = st.text(3);
        r.at_us = st.int64(4);
        r.detail = st.text(5);
        r.received_at_us = st.int64(6);
        out.push_back(std::move(r));
    }
    return out;
}

void SchedulerStore::record_station_health(const StationHealth& health) {
    if (!health_upsert_) {
        health_upsert_ = std::make_unique<sqlite::Statement>(
            *db_,
            "INSERT INTO station_status (station_id, online, online_changed_at_us, "
            "last_heartbeat_at_us, clock_offset_us, clock_jitter_us, clock_synced, status_json) "
            "VALUES (?, 1, ?, ?, ?, ?, ?, ?) ON CONFLICT (station_id) DO UPDATE SET "
            "last_heartbeat_at_us = excluded.last_heartbeat_at_us, "
            "clock_offset_us = excluded.clock_offset_us, "
            "clock_jitter_us = excluded.clock_jitter_us, "
            "clock_synced = excluded.clock_synced, status_json = excluded.status_json");
    }
    health_upsert_->reset();
    health_upsert_->bind(1, health.station_id)
        .bind(2, health.last_heartbeat_at_us)
        .bind(3, health.last_heartbeat_at_us)
        .bind(4, health.clock_offset_us)
        .bind(5, health.clock_jitter_us)
        .bind(6, health.clock_synced ? 1 : 0)
        .bind(7, health.status_json)
        .run();
}

bool SchedulerStore::set_station_online(const std::string& station_id, bool online, TimePoint at) {
    sqlite::Statement{
        *db_,
        "INSERT INTO station_status (station_id, online, online_changed_at_us) "
        "VALUES (?, ?, ?) ON CONFLICT (station_id) DO UPDATE SET "
        "online = excluded.online, online_changed_at_us = excluded.online_changed_at_us "
        "WHERE online != excluded.online"}
        .bind(1, station_id)
        .bind(2, online ? 1 : 0)
        .bind(3, to_unix_us(at))
        .run();
    return db_->changes() > 0;
}

namespace {

constexpr const char* kHealthColumns =
    "station_id, online, online_changed_at_us, last_heartbeat_at_us, clock_offset_us, "
    "clock_jitter_us, clock_synced, status_json";

StationHealth read_health(const sqlite::Statement& s) {
    StationHealth h;
    h.station_id = s.text(0);
    h.online = s.int64(1) != 0;
    h.online_changed_at_us = s.int64(2);
    h.last_heartbeat_at_us = s.int64(3);
    h.clock_offset_us = s.int64(4);
    h.clock_jitter_us = s.int64(5);
    h.clock_synced = s.int64(6) != 0;
    h.status_json = s.text(7);
    return h;
}

}  // namespace

std::optional<StationHealth> SchedulerStore::station_health(const std::string& station_id) {
    sqlite::Statement st{
        *db_, fmt::format("SELECT {} FROM station_status WHERE station_id = ?", kHealthColumns)};
    st.bind(1, station_id);
    if (!st.step()) {
        return std::nullopt;
    }
    return read_health(st);
}

std::vector<StationHealth> SchedulerStore::list_station_health() {
    sqlite::Statement st{
        *db_, fmt::format("SELECT {} FROM station_status ORDER BY station_id", kHealthColumns)};
    std::vector<StationHealth> out;
    while (st.step()) {
        out.push_back(read_health(st));
    }
    return out;
}

std::optional<TimePoint> SchedulerStore::offline_since(const std::string& station_id) {
    const auto health = station_health(station_id);
    if (!health || health->online) {
        return std::nullopt;
    }
    return from_unix_us(health->online_changed_at_us);
}

// --- monitoring

namespace {

nlohmann::json ring_json(const coverage::Ring& ring) {
    auto out = nlohmann::json::array();
    for (const auto& p : ring) {
        out.push_back({p.lon, p.lat});
    }
    return out;
}

// A hamlet's shape as a GeoJSON geometry (Point or MultiPolygon).
std::string shape_text(const coverage::AreaShape& shape) {
    if (const auto* point = std::get_if<coverage::LonLat>(&shape)) {
        return nlohmann::json{{"type", "Point"}, {"coordinates", {point->lon, point->lat}}}.dump();
    }
    auto polygons = nlohmann::json::array();
    for (const auto& polygon : std::get<std::vector<coverage::Polygon>>(shape)) {
        auto rings = nlohmann::json::array();
        rings.push_back(ring_json(polygon.outer));
        for (const auto& hole : polygon.holes) {
            rings.push_back(ring_json(hole));
        }
        polygons.push_back(std::move(rings));
    }
    return nlohmann::json{{"type", "MultiPolygon"}, {"coordinates", polygons}}.dump();
}

coverage::Ring ring_of(const nlohmann::json& j) {
    coverage::Ring ring;
    for (const auto& p : j) {
        ring.push_back({p.at(0).get<double>(), p.at(1).get<double>()});
    }
    return ring;
}

coverage::AreaShape shape_of(const std::string& text, const std::string& id) {
    const auto j = nlohmann::json::parse(text, nullptr, false);
    try {
        if (j.is_object() && j.value("type", "") == "Point") {
            const auto& c = j.at("coordinates");
            return coverage::LonLat{c.at(0).get<double>(), c.at(1).get<double>()};
        }
        if (j.is_object() && j.value("type", "") == "MultiPolygon") {
            std::vector<coverage::Polygon> polygons;
            for (const auto& rings : j.at("coordinates")) {
                coverage::Polygon polygon;
                for (std::size_t i = 0; i < rings.size(); ++i) {
                    (i == 0 ? polygon.outer : polygon.holes.emplace_back()) = ring_of(rings[i]);
                }
                polygons.push_back(std::move(polygon));
            }
            return polygons;
        }
    } catch (const nlohmann::json::exception&) {
    }
    throw StoreError{fmt::format("database: the shape of hamlet '{}' is corrupt", id)};
}

std::string day_text(std::chrono::year_month_day d) {
    return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(d.year()),
                       static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
}

std::chrono::year_month_day day_of(const std::string& text) {
    int y = 0;
    unsigned m = 0;
    unsigned d = 0;
    if (std::sscanf(text.c_str(), "%d-%u-%u", &y, &m, &d) != 3) {
        throw StoreError{fmt::format("database: coverage history day '{}' is corrupt", text)};
    }
    return std::chrono::year_month_day{std::chrono::year{y}, std::chrono::month{m},
                                       std::chrono::day{d}};
}

}  // namespace

void SchedulerStore::put_clusters(std::span<const coverage::Cluster> clusters) {
    Transaction tx{*this};
    for (const auto& c : clusters) {
        sqlite::Statement{*db_,
                          "INSERT OR REPLACE INTO coverage_clusters (id, station_id, zone, lon, "
                          "lat, horns, power_w, reach_m) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"}
            .bind(1, c.id)
            .bind(2, c.station_id)
            .bind(3, c.zone)
            .bind(4, c.lon)
            .bind(5, c.lat)
            .bind(6, c.horns)
            .bind(7, c.power_w)
            .bind(8, c.reach_m)
            .run();
    }
    db_->exec("UPDATE coverage_data_version SET version = version + 1");
    tx.commit();
}

std::vector<coverage::Cluster> SchedulerStore::list_clusters() {
    sqlite::Statement s{*db_,
                        "SELECT id, station_id, zone, lon, lat, horns, power_w, reach_m FROM "
                        "coverage_clusters ORDER BY id"};
    std::vector<coverage::Cluster> out;
    while (s.step()) {
        coverage::Cluster c;
        c.id = s.text(0);
        c.station_id = s.text(1);
        c.zone = s.text(2);
        c.lon = s.real(3);
        c.lat = s.real(4);
        c.horns = static_cast<int>(s.int64(5));
        c.power_w = s.real(6);
        c.reach_m = s.real(7);
        out.push_back(std::move(c));
    }
    return out;
}

void SchedulerStore::put_hamlets(std::span<const coverage::ResidentialArea> hamlets) {
    Transaction tx{*this};
    for (const auto& h : hamlets) {
        sqlite::Statement{*db_,
                          "INSERT OR REPLACE INTO coverage_hamlets (id, unit_code, name, "
                          "households, shape) VALUES (?, ?, ?, ?, ?)"}
            .bind(1, h.id)
            .bind(2, h.unit_code)
            .bind(3, h.name)
            .bind(4, h.households)
            .bind(5, shape_text(h.shape))
            .run();
    }
    db_->exec("UPDATE coverage_data_version SET version = version + 1");
    tx.commit();
}

std::vector<coverage::ResidentialArea> SchedulerStore::list_hamlets() {
    sqlite::Statement s{
        *db_, "SELECT id, unit_code, name, households, shape FROM coverage_hamlets ORDER BY id"};
    std::vector<coverage::ResidentialArea> out;
    while (s.step()) {
        coverage::ResidentialArea h;
        h.id = s.text(0);
        h.unit_code = s.text(1);
        h.name = s.text(2);
        h.households = s.int64(3);
        h.shape = shape_of(s.text(4), h.id);
        out.push_back(std::move(h));
    }
    return out;
}

std::int64_t SchedulerStore::coverage_data_version() {
    sqlite::Statement s{*db_, "SELECT version FROM coverage_data_version WHERE id = 1"};
    return s.step() ? s.int64(0) : 0;
}

void SchedulerStore::put_coverage_snapshots(std::span<const coverage::CoverageSnapshot> snapshots,
                                            TimePoint taken_at) {
    Transaction tx{*this};
    for (const auto& snap : snapshots) {
        const auto& f = snap.figures;
        sqlite::Statement{*db_,
                          "INSERT OR REPLACE INTO coverage_history (day, unit_code, households, "
                          "households_installed, households_working, area_m2, area_installed_m2, "
                          "area_working_m2, taken_at_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"}
            .bind(1, day_text(snap.date))
            .bind(2, snap.unit_code)
            .bind(3, f.households)
            .bind(4, f.households_installed)
            .bind(5, f.households_working)
            .bind(6, f.area_m2)
            .bind(7, f.area_installed_m2)
            .bind(8, f.area_working_m2)
            .bind(9, to_unix_us(taken_at))
            .run();
    }
    tx.commit();
}

bool SchedulerStore::has_coverage_snapshot(std::chrono::year_month_day date) {
    sqlite::Statement s{*db_, "SELECT 1 FROM coverage_history WHERE day = ? LIMIT 1"};
    s.bind(1, day_text(date));
    return s.step();
}

std::vector<coverage::CoverageSnapshot> SchedulerStore::list_coverage_history(
    const std::string& unit_code) {
    sqlite::Statement s{*db_,
                        "SELECT day, unit_code, households, households_installed, "
                        "households_working, area_m2, area_installed_m2, area_working_m2 FROM "
                        "coverage_history WHERE (?1 = '' OR unit_code = ?1) ORDER BY day, "
                        "unit_code"};
    s.bind(1, unit_code);
    std::vector<coverage::CoverageSnapshot> out;
    while (s.step()) {
        coverage::CoverageSnapshot snap;
        snap.date = day_of(s.text(0));
        snap.unit_code = s.text(1);
        snap.figures.households = s.real(2);
        snap.figures.households_installed = s.real(3);
        snap.figures.households_working = s.real(4);
        snap.figures.area_m2 = s.real(5);
        snap.figures.area_installed_m2 = s.real(6);
        snap.figures.area_working_m2 = s.real(7);
        out.push_back(std::move(snap));
    }
    return out;
}

std::vector<SchedulerStore::LivenessChange> SchedulerStore::list_liveness_changes(
    const std::string& station_id, std::int64_t to_us) {
    return read_state_changes<LivenessChange>(*db_, "station_liveness", "online", station_id,
                                              to_us);
}

std::vector<SchedulerStore::StoredTimeline> SchedulerStore::list_timelines(
    const std::string& station_id) {
    sqlite::Statement s{*db_,
                        "SELECT station_id, revision, timeline, created_at FROM timelines WHERE "
                        "station_id = ? ORDER BY revision"};
    s.bind(1, station_id);
    std::vector<StoredTimeline> out;
    while (auto t = read_timeline(s)) {
        out.push_back(std::move(*t));
    }
    return out;
}

std::vector<AsRunRow> SchedulerStore::list_as_run_between(std::int64_t from_us,
                                                          std::int64_t to_us) {
    sqlite::Statement s{
        *db_, std::string{kAsRunSelect} +
                  "WHERE scheduled_at_us >= ? AND "
                  "scheduled_at_us < ? ORDER BY scheduled_at_us, received_at_us, record_id"};
    s.bind(1, from_us).bind(2, to_us);
    return read_as_run_rows(s);
}

// --- monitoring history

std::optional<std::int64_t> SchedulerStore::entry_of_item(std::string_view item_id) {
    if (item_id.size() < 2 || item_id[0] != 'e') {
        return std::nullopt;
    }
    std::int64_t id = 0;
    std::size_t i = 1;
    for (; i < item_id.size() && i < 19 && item_id[i] >= '0' && item_id[i] <= '9'; ++i) {
        id = id * 10 + (item_id[i] - '0');
    }
    if (i == 1) {
        return std::nullopt;
    }
    return id;
}

void SchedulerStore::log_scheduled_items(const std::string& station_id, std::uint64_t revision,
                                         const wire::Timeline* previous,
                                         const wire::Timeline& timeline, std::int64_t now_us,
                                         bool backfill) {
    std::map<std::string, std::string> before;  // item id -> its bytes in the previous revision
    if (previous != nullptr) {
        for (const auto& item : previous->items()) {
            before.emplace(item.item_id(), item.SerializeAsString());
        }
    }
    sqlite::Statement upsert{
        *db_,
        "INSERT INTO scheduled_items (station_id, item_id, start_at_us, duration_ms, asset_id, "
        "entry_id, priority, title, zones, first_revision, issued_at_us) VALUES (?, ?, ?, ?, ?, "
        "?, ?, ?, ?, ?, ?) ON CONFLICT (station_id, item_id) DO UPDATE SET start_at_us = "
        "excluded.start_at_us, duration_ms = excluded.duration_ms, asset_id = "
        "excluded.asset_id, entry_id = excluded.entry_id, priority = excluded.priority, title = "
        "excluded.title, zones = excluded.zones, withdrawn_at_us = NULL"};
    std::set<std::string> present;
    for (const auto& item : timeline.items()) {
        present.insert(item.item_id());
        const auto it = before.find(item.item_id());
        if (it != before.end() && it->second == item.SerializeAsString()) {
            continue;  // unchanged: its row is already right
        }
        std::vector<std::string> zones(item.zones().begin(), item.zones().end());
        const std::int64_t issued = backfill ? std::min(now_us, item.start_at_us()) : now_us;
        upsert.reset();
        upsert.bind(1, station_id)
            .bind(2, item.item_id())
            .bind(3, item.start_at_us())
            .bind(4, item.duration_ms())
            .bind(5, item.asset_id())
            .bind(6, entry_of_item(item.item_id()))
            .bind(7, static_cast<int>(item.priority()))
            .bind(8, item.title())
            .bind(9, join_list(zones))
            .bind(10, revision)
            .bind(11, issued)
            .run();
    }
    if (previous == nullptr) {
        return;
    }
    sqlite::Statement withdraw{*db_,
                               "UPDATE scheduled_items SET withdrawn_at_us = ? WHERE station_id = "
                               "? AND item_id = ? AND withdrawn_at_us IS NULL"};
    for (const auto& item : previous->items()) {
        const std::int64_t end =
            item.start_at_us() + static_cast<std::int64_t>(item.duration_ms()) * 1000;
        // Gone before its end: withdrawn. Gone after it: it rolled out of the horizon.
        if (present.count(item.item_id()) != 0 || end <= now_us) {
            continue;
        }
        withdraw.reset();
        withdraw.bind(1, now_us).bind(2, station_id).bind(3, item.item_id()).run();
    }
}

void SchedulerStore::backfill_scheduled_items() {
    {
        sqlite::Statement s{*db_, "SELECT done FROM scheduled_items_backfill WHERE id = 1"};
        if (!s.step() || s.int64(0) != 0) {
            return;
        }
    }
    std::vector<std::string> stations;
    {
        sqlite::Statement s{*db_, "SELECT DISTINCT station_id FROM timelines"};
        while (s.step()) {
            stations.push_back(s.text(0));
        }
    }
    for (const auto& id : stations) {
        std::optional<wire::Timeline> previous;
        for (const auto& stored : list_timelines(id)) {
            wire::Timeline t;
            if (!t.ParseFromString(stored.timeline)) {
                continue;
            }
            log_scheduled_items(id, stored.revision, previous ? &*previous : nullptr, t,
                                stored.created_at_us, !previous.has_value());
            previous = std::move(t);
        }
    }
    db_->exec("UPDATE scheduled_items_backfill SET done = 1 WHERE id = 1");
}

std::vector<SchedulerStore::ScheduledItemRow> SchedulerStore::list_scheduled_items(
    std::int64_t from_us, std::int64_t to_us) {
    sqlite::Statement s{*db_,
                        "SELECT station_id, item_id, start_at_us, duration_ms, asset_id, "
                        "entry_id, priority, title, zones, first_revision, issued_at_us, "
                        "withdrawn_at_us FROM scheduled_items WHERE start_at_us >= ? AND "
                        "start_at_us < ? ORDER BY station_id, start_at_us, item_id"};
    s.bind(1, from_us).bind(2, to_us);
    std::vector<ScheduledItemRow> out;
    while (s.step()) {
        ScheduledItemRow r;
        r.station_id = s.text(0);
        r.item_id = s.text(1);
        r.start_at_us = s.int64(2);
        r.duration_ms = static_cast<std::uint32_t>(s.int64(3));
        r.asset_id = s.text(4);
        r.entry_id = s.optional_int64(5);
        const auto priority = static_cast<int>(s.int64(6));
        r.priority = wire::PriorityClass_IsValid(priority)
                         ? static_cast<wire::PriorityClass>(priority)
                         : wire::PRIORITY_CLASS_UNSPECIFIED;
        r.title = s.text(7);
        r.zones = split_list(s.text(8));
        r.first_revision = static_cast<std::uint64_t>(s.int64(9));
        r.issued_at_us = s.int64(10);
        r.withdrawn_at_us = s.optional_int64(11);
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<SchedulerStore::ClockChange> SchedulerStore::list_clock_changes(
    const std::string& station_id, std::int64_t to_us) {
    return read_state_changes<ClockChange>(*db_, "station_clock", "synced", station_id, to_us);
}

namespace {

constexpr const char* kAlarmColumns =
    "key, kind, severity, unit_code, station_id, zone, text_vi, text_en, since_us, "
    "raised_at_us, cleared_at_us";

SchedulerStore::StoredAlarm read_alarm(const sqlite::Statement& s) {
    SchedulerStore::StoredAlarm a;
    a.key = s.text(0);
    a.kind = s.text(1);
    a.severity = s.text(2);
    a.unit_code = s.text(3);
    a.station_id = s.text(4);
    a.zone = s.text(5);
    a.text_vi = s.text(6);
    a.text_en = s.text(7);
    a.since_us = s.int64(8);
    a.raised_at_us = s.int64(9);
    a.cleared_at_us = s.optional_int64(10);
    return a;
}

}  // namespace

void SchedulerStore::record_alarm(const StoredAlarm& alarm) {
    if (alarm.cleared_at_us) {
        sqlite::Statement{*db_,
                          "UPDATE alarm_history SET cleared_at_us = ? WHERE key = ? AND "
                          "cleared_at_us IS NULL"}
            .bind(1, *alarm.cleared_at_us)
            .bind(2, alarm.key)
            .run();
        return;
    }
    Transaction tx{*this};
    // A stale active row of the key (never cleared) gives way to the new raise.
    sqlite::Statement{*db_,
                      "UPDATE alarm_history SET cleared_at_us = ? WHERE key = ? AND "
                      "cleared_at_us IS NULL"}
        .bind(1, alarm.raised_at_us)
        .bind(2, alarm.key)
        .run();
    sqlite::Statement{*db_,
                      "INSERT INTO alarm_history (key, kind, severity, unit_code, station_id, "
                      "zone, text_vi, text_en, since_us, raised_at_us) VALUES (?, ?, ?, ?, ?, ?, "
                      "?, ?, ?, ?)"}
        .bind(1, alarm.key)
        .bind(2, alarm.kind)
        .bind(3, alarm.severity)
        .bind(4, alarm.unit_code)
        .bind(5, alarm.station_id)
        .bind(6, alarm.zone)
        .bind(7, alarm.text_vi)
        .bind(8, alarm.text_en)
        .bind(9, alarm.since_us)
        .bind(10, alarm.raised_at_us)
        .run();
    tx.commit();
}

void SchedulerStore::update_active_alarm(const StoredAlarm& alarm) {
    sqlite::Statement{*db_,
                      "UPDATE alarm_history SET severity = ?, text_vi = ?, text_en = ? WHERE key "
                      "= ? AND cleared_at_us IS NULL"}
        .bind(1, alarm.severity)
        .bind(2, alarm.text_vi)
        .bind(3, alarm.text_en)
        .bind(4, alarm.key)
        .run();
}

std::vector<SchedulerStore::StoredAlarm> SchedulerStore::list_active_alarms() {
    sqlite::Statement s{*db_, fmt::format("SELECT {} FROM alarm_history WHERE cleared_at_us IS "
                                          "NULL ORDER BY key",
                                          kAlarmColumns)};
    std::vector<StoredAlarm> out;
    while (s.step()) {
        out.push_back(read_alarm(s));
    }
    return out;
}

std::vector<SchedulerStore::StoredAlarm> SchedulerStore::list_cleared_alarms(std::size_t limit) {
    sqlite::Statement s{*db_, fmt::format("SELECT {} FROM alarm_history WHERE cleared_at_us IS "
                                          "NOT NULL ORDER BY cleared_at_us DESC, id DESC LIMIT ?",
                                          kAlarmColumns)};
    s.bind(1, static_cast<std::int64_t>(limit));
    std::vector<StoredAlarm> out;
    while (s.step()) {
        out.push_back(read_alarm(s));
    }
    return out;
}

std::size_t SchedulerStore::prune_monitoring_history(std::int64_t keep_from_us,
                                                     std::int64_t alarms_keep_from_us) {
    Transaction tx{*this};
    std::size_t removed = 0;
    sqlite::Statement{*db_, "DELETE FROM scheduled_items WHERE start_at_us < ?"}
        .bind(1, keep_from_us)
        .run();
    removed += static_cast<std::size_t>(db_->changes());
    for (const char* table : {"station_clock", "station_liveness"}) {
        sqlite::Statement{*db_, fmt::format("DELETE FROM {0} WHERE at_us < ?1 AND rowid NOT IN "
                                            "(SELECT max(rowid) FROM {0} WHERE at_us < ?1 GROUP "
                                            "BY station_id)",
                                            table)}
            .bind(1, keep_from_us)
            .run();
        removed += static_cast<std::size_t>(db_->changes());
    }
    sqlite::Statement{*db_,
                      "DELETE FROM alarm_history WHERE cleared_at_us IS NOT NULL AND "
                      "cleared_at_us < ?"}
        .bind(1, alarms_keep_from_us)
        .run();
    removed += static_cast<std::size_t>(db_->changes());
    tx.commit();
    return removed;
}

}  // namespace loa::scheduler
