#include "loa/scheduler/scheduler_store.hpp"

#include "loa/common/digest.hpp"
#include "loa/protocol/envelope.hpp"

#include <fmt/format.h>

#include <array>
#include <map>
#include <span>

namespace loa::scheduler {
namespace {

// Forward-only migrations: migration N (1-based) takes the schema from version N-1 to N. Never
// edit one that has shipped; append a new one. Times are UTC microseconds since the epoch.
constexpr std::array<std::string_view, 2> kMigrations{
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
};

// What a revision was issued for: a digest of everything an agent sees of the items.
std::string items_digest(const std::vector<TimelineItemRecord>& items) {
    std::string text;
    for (const auto& item : items) {
        text += fmt::format("{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1e", item.entry_id,
                            item.asset_id, item.start_at_us, item.duration_ms,
                            static_cast<int>(item.priority), item.asset_size, item.title);
    }
    return sha256_hex(std::span{reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

wire::PriorityClass priority_from_text(const std::string& text) {
    const auto p = protocol::parse_priority(text);
    return p.ok() ? *p : wire::PRIORITY_CLASS_UNSPECIFIED;
}

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
    "acked_revision, outbox_depth, assets_missing, underruns";

StationRecord read_station(const sqlite::Statement& s) {
    StationRecord r;
    r.id = s.text(0);
    r.name = s.text(1);
    r.public_key = s.text(2);
    r.created_at_us = s.int64(3);
    r.last_seen_at_us = s.optional_int64(4);
    r.software_version = s.text(5);
    r.timeline_revision = static_cast<std::uint64_t>(s.int64(6));
    r.acked_revision = static_cast<std::uint64_t>(s.int64(7));
    r.outbox_depth = static_cast<std::uint32_t>(s.int64(8));
    r.assets_missing = static_cast<std::uint32_t>(s.int64(9));
    r.underruns = static_cast<std::uint64_t>(s.int64(10));
    return r;
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
    db_->migrate(kMigrations, "loa-scheduler");
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
    {
        sqlite::Statement s{*db_, "SELECT id FROM stations WHERE public_key = ?"};
        s.bind(1, station.public_key);
        if (s.step()) {
            return Error{fmt::format("public_key: the key is already registered to station '{}'",
                                     s.text(0))};
        }
    }
    sqlite::Statement{*db_,
                      "INSERT INTO stations (id, name, public_key, created_at, timeline_revision, "
                      "timeline_digest) VALUES (?, ?, ?, ?, 1, ?)"}
        .bind(1, station.id)
        .bind(2, station.name)
        .bind(3, station.public_key)
        .bind(4, station.created_at_us)
        .bind(5, items_digest({}))
        .run();
    tx.commit();
    return Status::success();
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
    sqlite::Statement s{*db_, "SELECT public_key, id FROM stations"};
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
    sqlite::Statement{*db_,
                      "UPDATE stations SET last_seen_at = ?, outbox_depth = ?, assets_missing = ?, "
                      "underruns = ? WHERE id = ?"}
        .bind(1, to_unix_us(now))
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

// --- schedule

EntryRecord SchedulerStore::add_entry(const NewEntry& entry, TimePoint now, Duration horizon) {
    Transaction tx{*this};
    EntryRecord r;
    r.asset_id = entry.asset_id;
    r.title = entry.title;
    r.priority = entry.priority;
    r.start_at_us = entry.start_at_us;
    r.station_ids = entry.station_ids;
    r.created_at_us = to_unix_us(now);
    sqlite::Statement{*db_,
                      "INSERT INTO schedule_entries (asset_id, title, priority, start_at_us, "
                      "created_at) VALUES (?, ?, ?, ?, ?)"}
        .bind(1, r.asset_id)
        .bind(2, r.title)
        .bind(3, protocol::priority_name(r.priority))
        .bind(4, r.start_at_us)
        .bind(5, r.created_at_us)
        .run();
    r.id = db_->last_insert_rowid();
    for (const auto& station : r.station_ids) {
        sqlite::Statement{
            *db_, "INSERT OR IGNORE INTO entry_targets (entry_id, station_id) VALUES (?, ?)"}
            .bind(1, r.id)
            .bind(2, station)
            .run();
    }
    for (const auto& station : r.station_ids) {
        bool changed = false;
        compile_into(station, timeline_items(station, now, horizon), &changed);
    }
    tx.commit();
    return r;
}

std::vector<EntryRecord> SchedulerStore::list_entries() {
    std::map<std::int64_t, std::vector<std::string>> targets;
    {
        sqlite::Statement s{*db_,
                            "SELECT entry_id, station_id FROM entry_targets ORDER BY station_id"};
        while (s.step()) {
            targets[s.int64(0)].push_back(s.text(1));
        }
    }
    sqlite::Statement s{*db_,
                        "SELECT id, asset_id, title, priority, start_at_us, created_at FROM "
                        "schedule_entries ORDER BY start_at_us, id"};
    std::vector<EntryRecord> out;
    while (s.step()) {
        EntryRecord r;
        r.id = s.int64(0);
        r.asset_id = s.text(1);
        r.title = s.text(2);
        r.priority = priority_from_text(s.text(3));
        r.start_at_us = s.int64(4);
        r.created_at_us = s.int64(5);
        r.station_ids = targets[r.id];
        out.push_back(std::move(r));
    }
    return out;
}

// --- timelines

std::vector<TimelineItemRecord> SchedulerStore::timeline_items(const std::string& station_id,
                                                               TimePoint now, Duration horizon) {
    const std::int64_t keep_from = to_unix_us(now - kTimelineKeepPast);
    const std::int64_t until = to_unix_us(now + horizon);
    sqlite::Statement s{
        *db_,
        "SELECT e.id, e.asset_id, e.title, e.priority, e.start_at_us, a.duration_ms, "
        "a.size_bytes FROM schedule_entries e "
        "JOIN entry_targets t ON t.entry_id = e.id "
        "JOIN assets a ON a.id = e.asset_id "
        "WHERE t.station_id = ? AND e.start_at_us + a.duration_ms * 1000 >= ? "
        "AND e.start_at_us < ? ORDER BY e.start_at_us, e.id"};
    s.bind(1, station_id).bind(2, keep_from).bind(3, until);
    std::vector<TimelineItemRecord> out;
    while (s.step()) {
        TimelineItemRecord r;
        r.entry_id = s.int64(0);
        r.asset_id = s.text(1);
        r.title = s.text(2);
        r.priority = priority_from_text(s.text(3));
        r.start_at_us = s.int64(4);
        r.duration_ms = static_cast<std::uint32_t>(s.int64(5));
        r.asset_size = static_cast<std::uint64_t>(s.int64(6));
        out.push_back(std::move(r));
    }
    return out;
}

std::uint64_t SchedulerStore::compile_into(const std::string& station_id,
                                           const std::vector<TimelineItemRecord>& items,
                                           bool* changed) {
    sqlite::Statement s{*db_,
                        "SELECT timeline_revision, timeline_digest FROM stations WHERE id = ?"};
    s.bind(1, station_id);
    if (!s.step()) {
        throw StoreError{fmt::format("database: station '{}' vanished", station_id)};
    }
    auto revision = static_cast<std::uint64_t>(s.int64(0));
    const std::string digest = items_digest(items);
    *changed = digest != s.text(1);
    if (*changed) {
        ++revision;
        sqlite::Statement{
            *db_, "UPDATE stations SET timeline_revision = ?, timeline_digest = ? WHERE id = ?"}
            .bind(1, revision)
            .bind(2, digest)
            .bind(3, station_id)
            .run();
    }
    return revision;
}

Result<StationTimeline> SchedulerStore::compile_timeline(const std::string& station_id,
                                                         TimePoint now, Duration horizon) {
    Transaction tx{*this};
    if (!find_station(station_id)) {
        return Error{fmt::format("station '{}' is not registered", station_id)};
    }
    StationTimeline t;
    t.station_id = station_id;
    t.items = timeline_items(station_id, now, horizon);
    t.revision = compile_into(station_id, t.items, &t.changed);
    tx.commit();
    return t;
}

std::vector<std::string> SchedulerStore::compile_all_timelines(TimePoint now, Duration horizon) {
    Transaction tx{*this};
    std::vector<std::string> ids;
    {
        sqlite::Statement s{*db_, "SELECT id FROM stations ORDER BY id"};
        while (s.step()) {
            ids.push_back(s.text(0));
        }
    }
    std::vector<std::string> changed_ids;
    for (const auto& id : ids) {
        bool changed = false;
        compile_into(id, timeline_items(id, now, horizon), &changed);
        if (changed) {
            changed_ids.push_back(id);
        }
    }
    tx.commit();
    return changed_ids;
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

std::vector<AsRunRow> SchedulerStore::list_as_run(const std::string& station_id,
                                                  std::size_t limit) {
    sqlite::Statement s{*db_,
                        "SELECT record_id, station_id, item_id, asset_id, scheduled_at_us, "
                        "started_at_us, ended_at_us, status, reason, timeline_revision, "
                        "received_at_us FROM as_run WHERE (?1 = '' OR station_id = ?1) "
                        "ORDER BY scheduled_at_us DESC, received_at_us DESC, record_id LIMIT ?2"};
    s.bind(1, station_id).bind(2, static_cast<std::int64_t>(limit));
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

std::size_t SchedulerStore::count_as_run() {
    sqlite::Statement s{*db_, "SELECT COUNT(*) FROM as_run"};
    s.step();
    return static_cast<std::size_t>(s.int64(0));
}

}  // namespace loa::scheduler
