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

NewEntry entry(const AssetRecord& a, TimePoint start, std::vector<std::string> stations) {
    NewEntry e;
    e.asset_id = a.id;
    e.title = "News";
    e.priority = wire::COMMUNE;
    e.start_at_us = to_unix_us(start);
    e.station_ids = std::move(stations);
    return e;
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

TEST(SchedulerStore, AddingAnEntryBumpsTheRevisionOfExactlyItsTargetStations) {
    SchedulerStore store{":memory:"};
    for (const char* id : {"a", "b", "c"}) {
        ASSERT_TRUE(store.add_station(station(id)).ok());
        EXPECT_EQ(revision(store, id), 1U);
    }
    const auto news = asset("news");
    ASSERT_TRUE(store.add_asset(news));
    const auto now = test::test_epoch();
    const auto e = store.add_entry(entry(news, now + 1h, {"a", "b"}), now, kHorizon);
    EXPECT_GT(e.id, 0);
    EXPECT_EQ(revision(store, "a"), 2U);
    EXPECT_EQ(revision(store, "b"), 2U);
    EXPECT_EQ(revision(store, "c"), 1U);

    // Compiling again without a change keeps every revision.
    EXPECT_TRUE(store.compile_all_timelines(now, kHorizon).empty());
    const auto t = store.compile_timeline("a", now, kHorizon);
    ASSERT_TRUE(t.ok());
    EXPECT_FALSE(t->changed);
    EXPECT_EQ(t->revision, 2U);
    ASSERT_EQ(t->items.size(), 1U);
    EXPECT_EQ(t->items[0].entry_id, e.id);
    EXPECT_EQ(t->items[0].asset_id, news.id);
    EXPECT_EQ(t->items[0].duration_ms, 60000U);

    store.add_entry(entry(news, now + 2h, {"c"}), now, kHorizon);
    EXPECT_EQ(revision(store, "a"), 2U);
    EXPECT_EQ(revision(store, "b"), 2U);
    EXPECT_EQ(revision(store, "c"), 2U);

    const auto entries = store.list_entries();
    ASSERT_EQ(entries.size(), 2U);
    EXPECT_EQ(entries[0].station_ids, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(entries[1].station_ids, (std::vector<std::string>{"c"}));
}

TEST(SchedulerStore, TimelineFollowsTheWindowAsTimePasses) {
    SchedulerStore store{":memory:"};
    ASSERT_TRUE(store.add_station(station("a")).ok());
    const auto news = asset("news", 60000);
    ASSERT_TRUE(store.add_asset(news));
    auto now = test::test_epoch();
    // Beyond the horizon: the item set does not change, neither does the revision.
    store.add_entry(entry(news, now + kHorizon + 1h, {"a"}), now, kHorizon);
    EXPECT_EQ(revision(store, "a"), 1U);
    EXPECT_TRUE(store.timeline_items("a", now, kHorizon).empty());

    // Two hours later it has entered the horizon.
    now += 2h;
    EXPECT_EQ(store.compile_all_timelines(now, kHorizon), std::vector<std::string>{"a"});
    EXPECT_EQ(revision(store, "a"), 2U);
    ASSERT_EQ(store.timeline_items("a", now, kHorizon).size(), 1U);

    // It stays until an hour after it ended, then leaves.
    now = test::test_epoch() + kHorizon + 1h + 60s + 1h;
    EXPECT_TRUE(store.compile_all_timelines(now, kHorizon).empty());
    EXPECT_EQ(store.timeline_items("a", now, kHorizon).size(), 1U);
    now += 1s;
    EXPECT_EQ(store.compile_all_timelines(now, kHorizon), std::vector<std::string>{"a"});
    EXPECT_EQ(revision(store, "a"), 3U);
    EXPECT_TRUE(store.timeline_items("a", now, kHorizon).empty());
}

TEST(SchedulerStore, TimelineIsOrderedByStart) {
    SchedulerStore store{":memory:"};
    ASSERT_TRUE(store.add_station(station("a")).ok());
    const auto news = asset("news");
    ASSERT_TRUE(store.add_asset(news));
    const auto now = test::test_epoch();
    store.add_entry(entry(news, now + 3h, {"a"}), now, kHorizon);
    store.add_entry(entry(news, now + 1h, {"a"}), now, kHorizon);
    store.add_entry(entry(news, now + 2h, {"a"}), now, kHorizon);
    const auto items = store.timeline_items("a", now, kHorizon);
    ASSERT_EQ(items.size(), 3U);
    EXPECT_EQ(items[0].start_at_us, to_unix_us(now + 1h));
    EXPECT_EQ(items[1].start_at_us, to_unix_us(now + 2h));
    EXPECT_EQ(items[2].start_at_us, to_unix_us(now + 3h));
    EXPECT_EQ(revision(store, "a"), 4U);
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
