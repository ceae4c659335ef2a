#include "loa/scheduler/scheduler_store.hpp"

#include "loa/common/digest.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

using namespace loa;
using namespace loa::scheduler;
using namespace std::chrono_literals;

namespace {

constexpr Duration kHorizon = std::chrono::hours{24 * 7};

StationRecord station(const std::string& id) {
    StationRecord s;
    s.id = id;
    s.name = "Station " + id;
    s.public_key = transport::CurveKeyPair::generate().public_key;
    s.created_at_us = to_unix_us(test::test_epoch());
    return s;
}

AssetRecord asset(const std::string& seed, std::uint32_t duration_ms = 60000) {
    AssetRecord a;
    a.id = sha256_hex(std::span{reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size()});
    a.name = seed;
    a.duration_ms = duration_ms;
    a.size_bytes = 1234;
    a.created_at_us = to_unix_us(test::test_epoch());
    a.source_sha256 = a.id;
    return a;
}

std::uint64_t revision(SchedulerStore& store, const std::string& id) {
    return store.find_station(id)->timeline_revision;
}

AsRunRow as_run(const std::string& record_id, const std::string& station_id) {
    AsRunRow r;
    r.record_id = record_id;
    r.station_id = station_id;
    r.item_id = "e1";
    r.asset_id = std::string(64, 'a');
    r.scheduled_at_us = to_unix_us(test::test_epoch() + 1h);
    r.started_at_us = r.scheduled_at_us + 2000;
    r.ended_at_us = r.scheduled_at_us + 60'000'000;
    r.status = wire::COMPLETED;
    r.timeline_revision = 2;
    r.received_at_us = to_unix_us(test::test_epoch() + 2h);
    return r;
}

}  // namespace

TEST(SchedulerStore, FreshDatabaseIsMigratedToTheLatestSchema) {
    SchedulerStore store{":memory:"};
    EXPECT_EQ(store.schema_version(), SchedulerStore::latest_schema_version());
    EXPECT_GE(SchedulerStore::latest_schema_version(), 1);
    EXPECT_TRUE(store.list_stations().empty());
    EXPECT_TRUE(store.list_assets().empty());
    EXPECT_TRUE(store.list_entries().empty());
    EXPECT_EQ(store.count_as_run(), 0U);
}

TEST(SchedulerStore, ReopeningAnExistingFileKeepsItsDataAndVersion) {
    test::TempDir dir;
    const auto path = (dir.path() / "scheduler.db").string();
    const auto s = station("30280");
    {
        SchedulerStore store{path};
        ASSERT_TRUE(store.add_station(s).ok());
        EXPECT_TRUE(store.add_asset(asset("a")));
    }
    SchedulerStore store{path};
    EXPECT_EQ(store.schema_version(), SchedulerStore::latest_schema_version());
    const auto found = store.find_station("30280");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->public_key, s.public_key);
    EXPECT_EQ(found->timeline_revision, 1U);
    EXPECT_EQ(store.list_assets().size(), 1U);

    // WAL mode is on for files.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
    sqlite3_finalize(stmt);
    sqlite3_close(db);
}

TEST(SchedulerStore, RefusesADatabaseFromANewerVersion) {
    test::TempDir dir;
    const auto path = (dir.path() / "scheduler.db").string();
    { SchedulerStore store{path}; }
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(
        sqlite3_exec(db, "UPDATE schema_version SET version = 999", nullptr, nullptr, nullptr),
        SQLITE_OK);
    sqlite3_close(db);
    try {
        SchedulerStore store{path};
        FAIL() << "a newer schema was accepted";
    } catch (const StoreError& e) {
        EXPECT_NE(std::string{e.what()}.find("999"), std::string::npos) << e.what();
    }
}

TEST(SchedulerStore, TransactionWithoutCommitRollsBack) {
    SchedulerStore store{":memory:"};
    {
        SchedulerStore::Transaction tx{store};
        ASSERT_TRUE(store.add_station(station("a")).ok());  // a nested transaction inside
        {
            SchedulerStore::Transaction inner{store};
            ASSERT_TRUE(store.add_station(station("b")).ok());
            inner.commit();
        }
        EXPECT_EQ(store.list_stations().size(), 2U);
    }
    EXPECT_TRUE(store.list_stations().empty());
    {
        SchedulerStore::Transaction tx{store};
        ASSERT_TRUE(store.add_station(station("c")).ok());
        tx.commit();
    }
    EXPECT_EQ(store.list_stations().size(), 1U);
}

TEST(SchedulerStore, DuplicateStationIdOrKeyIsRefused) {
    SchedulerStore store{":memory:"};
    const auto a = station("a");
    ASSERT_TRUE(store.add_station(a).ok());
    auto same_id = station("a");
    const auto s1 = store.add_station(same_id);
    EXPECT_FALSE(s1.ok());
    EXPECT_NE(s1.message().find("id"), std::string::npos);
    auto same_key = station("b");
    same_key.public_key = a.public_key;
    const auto s2 = store.add_station(same_key);
    EXPECT_FALSE(s2.ok());
    EXPECT_NE(s2.message().find("public_key"), std::string::npos);
    ASSERT_EQ(store.list_stations().size(), 1U);
    EXPECT_EQ(store.list_stations()[0].name, a.name);
}

TEST(SchedulerStore, AsRunRecordIsStoredExactlyOnce) {
    SchedulerStore store{":memory:"};
    ASSERT_TRUE(store.add_station(station("30280")).ok());
    auto row = as_run("0123456789abcdef0123456789abcdef", "30280");
    EXPECT_TRUE(store.add_as_run(row));
    auto repeat = row;
    repeat.reason = "a repeat must not overwrite";
    repeat.status = wire::FAILED;
    EXPECT_FALSE(store.add_as_run(repeat));
    EXPECT_EQ(store.count_as_run(), 1U);
    const auto rows = store.list_as_run("30280", 10);
    ASSERT_EQ(rows.size(), 1U);
    EXPECT_EQ(rows[0].status, wire::COMPLETED);
    EXPECT_EQ(rows[0].reason, "");
    EXPECT_EQ(rows[0].started_at_us, row.started_at_us);
    EXPECT_TRUE(store.add_as_run(as_run("another", "30280")));
    EXPECT_EQ(store.count_as_run(), 2U);
}

wire::Timeline one_item(const std::string& item_id, const std::string& asset_id) {
    wire::Timeline t;
    auto* i = t.add_items();
    i->set_item_id(item_id);
    i->set_asset_id(asset_id);
    i->set_start_at_us(to_unix_us(test::test_epoch() + 1h));
    i->set_duration_ms(60000);
    return t;
}

TEST(SchedulerStore, StoresATimelineRevisionOnlyWhenItsItemsChange) {
    SchedulerStore store{":memory:"};
    ASSERT_TRUE(store.add_station(station("a")).ok());
    const auto now = test::test_epoch();
    auto first = store.latest_timeline("a");
    ASSERT_TRUE(first);
    EXPECT_EQ(first->revision, 1U);
    wire::Timeline empty;
    ASSERT_TRUE(empty.ParseFromString(first->timeline));
    EXPECT_EQ(empty.station_id(), "a");
    EXPECT_EQ(empty.items_size(), 0);

    EXPECT_FALSE(store.store_timeline("a", wire::Timeline{}, now));
    EXPECT_EQ(store.store_timeline("a", one_item("e1-0-0", std::string(64, 'a')), now), 2U);
    EXPECT_FALSE(store.store_timeline("a", one_item("e1-0-0", std::string(64, 'a')), now + 1min));
    EXPECT_EQ(revision(store, "a"), 2U);
    const auto t = store.compile_timeline("a", now, kHorizon);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->revision, 2U);
    ASSERT_EQ(t->items.size(), 1U);
    EXPECT_EQ(t->items[0].item_id, "e1-0-0");
    EXPECT_TRUE(store.compile_all_timelines(now, kHorizon).empty());
}

TEST(SchedulerStore, KeepsTheNewest32Revisions) {
    SchedulerStore store{":memory:"};
    ASSERT_TRUE(store.add_station(station("a")).ok());
    for (int i = 0; i < 40; ++i) {
        ASSERT_TRUE(
            store.store_timeline("a", one_item(std::to_string(i), "x"), test::test_epoch()));
    }
    EXPECT_EQ(store.latest_timeline("a")->revision, 41U);
    EXPECT_FALSE(store.timeline_at("a", 9));
    ASSERT_TRUE(store.timeline_at("a", 10));
    wire::Timeline t;
    ASSERT_TRUE(t.ParseFromString(store.timeline_at("a", 10)->timeline));
    EXPECT_EQ(t.revision(), 10U);
    EXPECT_EQ(t.items(0).item_id(), "8");
}

TEST(SchedulerStore, StationWithoutKeyAndUnits) {
    SchedulerStore store{":memory:"};
    store.put_units(
        std::vector<AdminUnit>{{"89", "", "province", "tỉnh", "An Giang", "Tỉnh An Giang"}});
    store.put_station(Station{"89", "89", "Tỉnh An Giang", {"main", "market"}}, test::test_epoch());
    auto s = store.find_station("89");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->public_key, "");
    EXPECT_EQ(s->zones, (std::vector<std::string>{"main", "market"}));
    EXPECT_EQ(s->timeline_revision, 1U);
    EXPECT_TRUE(store.station_keys().empty());
    const auto key = transport::CurveKeyPair::generate().public_key;
    ASSERT_TRUE(store.set_station_key("89", key).ok());
    EXPECT_EQ(store.station_keys().size(), 1U);
    auto other = station("b");
    other.public_key = key;
    EXPECT_FALSE(store.add_station(other).ok());
    EXPECT_FALSE(store.set_station_key("nope", key).ok());
}

// A database at schema 2 with a station, an asset and an entry becomes schema 3 with the same
// data in the new model.
TEST(SchedulerStore, MigratesSchema2WithData) {
    test::TempDir dir;
    const auto path = dir.path() / "old.db";
    {
        sqlite::Database db{path};
        db.exec(R"sql(
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
DELETE FROM schema_version;
INSERT INTO schema_version (version) VALUES (2);
CREATE TABLE stations (id TEXT PRIMARY KEY, name TEXT NOT NULL, public_key TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL, last_seen_at INTEGER, software_version TEXT NOT NULL DEFAULT '',
    timeline_revision INTEGER NOT NULL, acked_revision INTEGER NOT NULL DEFAULT 0,
    timeline_digest TEXT NOT NULL, outbox_depth INTEGER NOT NULL DEFAULT 0,
    assets_missing INTEGER NOT NULL DEFAULT 0, underruns INTEGER NOT NULL DEFAULT 0);
CREATE TABLE assets (id TEXT PRIMARY KEY, name TEXT NOT NULL, duration_ms INTEGER NOT NULL,
    size_bytes INTEGER NOT NULL, created_at INTEGER NOT NULL, source_sha256 TEXT NOT NULL,
    loudness_lufs REAL, true_peak_dbtp REAL, source_format TEXT NOT NULL DEFAULT '');
CREATE TABLE schedule_entries (id INTEGER PRIMARY KEY AUTOINCREMENT,
    asset_id TEXT NOT NULL REFERENCES assets (id), title TEXT NOT NULL, priority TEXT NOT NULL,
    start_at_us INTEGER NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE entry_targets (entry_id INTEGER NOT NULL REFERENCES schedule_entries (id),
    station_id TEXT NOT NULL REFERENCES stations (id), PRIMARY KEY (station_id, entry_id));
CREATE TABLE as_run (record_id TEXT PRIMARY KEY, station_id TEXT NOT NULL REFERENCES stations (id),
    item_id TEXT NOT NULL, asset_id TEXT NOT NULL, scheduled_at_us INTEGER NOT NULL,
    started_at_us INTEGER NOT NULL, ended_at_us INTEGER NOT NULL, status TEXT NOT NULL,
    reason TEXT NOT NULL, timeline_revision INTEGER NOT NULL, received_at_us INTEGER NOT NULL);
INSERT INTO stations (id, name, public_key, created_at, timeline_revision, acked_revision,
    timeline_digest) VALUES ('30280', 'Mỹ Bình', 'KEY', 5, 4, 4, 'x');
INSERT INTO assets (id, name, duration_ms, size_bytes, created_at, source_sha256)
    VALUES ('aa', 'news', 60000, 100, 5, 'aa');
INSERT INTO schedule_entries (id, asset_id, title, priority, start_at_us, created_at)
    VALUES (7, 'aa', 'News', 'district', 1000000000, 6);
INSERT INTO entry_targets VALUES (7, '30280');
INSERT INTO as_run VALUES ('r1', '30280', 'e7', 'aa', 1, 2, 3, 'completed', '', 4, 5);
)sql");
    }
    SchedulerStore store{path.string()};
    EXPECT_EQ(store.schema_version(), SchedulerStore::latest_schema_version());
    const auto s = store.find_station("30280");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->public_key, "KEY");
    EXPECT_EQ(s->unit_code, "30280");
    EXPECT_EQ(s->zones, std::vector<std::string>{"main"});
    EXPECT_EQ(s->timeline_revision, 4U);
    EXPECT_EQ(s->acked_revision, 4U);
    ASSERT_TRUE(store.latest_timeline("30280"));
    EXPECT_EQ(store.latest_timeline("30280")->revision, 4U);
    const auto units = store.list_units();
    ASSERT_EQ(units.size(), 1U);
    EXPECT_EQ(units[0].code, "30280");
    const auto entries = store.list_entries();
    ASSERT_EQ(entries.size(), 1U);
    const auto& e = entries[0].entry;
    EXPECT_EQ(e.id, 7);
    EXPECT_EQ(e.title, "News");
    EXPECT_EQ(e.priority, wire::DISTRICT);
    EXPECT_EQ(e.state, EntryState::approved);
    EXPECT_EQ(e.at, from_unix_us(1000000000));
    EXPECT_EQ(e.where.stations, std::vector<std::string>{"30280"});
    ASSERT_TRUE(std::holds_alternative<AssetContent>(e.what));
    EXPECT_EQ(std::get<AssetContent>(e.what).duration, 60s);
    EXPECT_EQ(store.count_as_run(), 1U);
    // A new entry continues the ids.
    StoredEntry next{e, "", 0};
    EXPECT_EQ(store.insert_entry(next), 8);
}

TEST(SchedulerStore, TimelineAckOnlyForIssuedRevisions) {
    SchedulerStore store{":memory:"};
    ASSERT_TRUE(store.add_station(station("a")).ok());
    EXPECT_FALSE(store.record_timeline_ack("a", 2).ok());
    EXPECT_FALSE(store.record_timeline_ack("nobody", 1).ok());
    EXPECT_EQ(store.find_station("a")->acked_revision, 0U);
    EXPECT_TRUE(store.record_timeline_ack("a", 1).ok());
    EXPECT_EQ(store.find_station("a")->acked_revision, 1U);
}

TEST(SchedulerStore, HelloAndHeartbeatAreRecorded) {
    SchedulerStore store{":memory:"};
    ASSERT_TRUE(store.add_station(station("a")).ok());
    EXPECT_FALSE(store.find_station("a")->last_seen_at_us);
    const auto now = test::test_epoch();
    store.record_hello("a", "loa-agent 0.1.0", now);
    StationStatus status;
    status.outbox_depth = 3;
    status.assets_missing = 1;
    status.underruns = 7;
    store.record_heartbeat("a", status, now + 10s);
    const auto s = store.find_station("a");
    EXPECT_EQ(s->software_version, "loa-agent 0.1.0");
    EXPECT_EQ(s->last_seen_at_us, to_unix_us(now + 10s));
    EXPECT_EQ(s->outbox_depth, 3U);
    EXPECT_EQ(s->assets_missing, 1U);
    EXPECT_EQ(s->underruns, 7U);
}

TEST(SchedulerStoreAssets, IngestFiguresRoundTripAndOldRowsHaveNone) {
    loa::scheduler::SchedulerStore store{":memory:"};
    loa::scheduler::AssetRecord asset;
    asset.id = std::string(64, 'a');
    asset.name = "notice";
    asset.duration_ms = 1500;
    asset.size_bytes = 4000;
    asset.created_at_us = 1;
    asset.source_sha256 = std::string(64, 'b');
    asset.loudness_lufs = -16.04;
    asset.true_peak_dbtp = -3.0;
    asset.source_format = "MPEG-1 Layer 3 (MP3)";
    ASSERT_TRUE(store.add_asset(asset));
    const auto found = store.find_asset(asset.id);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->loudness_lufs, -16.04);
    EXPECT_EQ(found->true_peak_dbtp, -3.0);
    EXPECT_EQ(found->source_format, "MPEG-1 Layer 3 (MP3)");
    // An asset from before the ingest measured anything.
    asset.id = std::string(64, 'c');
    asset.loudness_lufs.reset();
    asset.true_peak_dbtp.reset();
    asset.source_format.clear();
    ASSERT_TRUE(store.add_asset(asset));
    const auto old = store.find_asset(asset.id);
    ASSERT_TRUE(old);
    EXPECT_FALSE(old->loudness_lufs);
    EXPECT_FALSE(old->true_peak_dbtp);
    EXPECT_EQ(store.list_assets().size(), 2U);
    EXPECT_GE(loa::scheduler::SchedulerStore::latest_schema_version(), 2);
}
