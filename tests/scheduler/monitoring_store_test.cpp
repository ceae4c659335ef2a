// The store's monitoring part: clusters and hamlets round-trip (points and polygons with holes),
// the daily coverage history, the liveness and clock logs kept by triggers on station_status,
// the log of scheduled items beyond the kept revisions, and the alarm book.
#include "loa/scheduler/scheduler_store.hpp"
#include "loa/transport/curve_keys.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>

using namespace loa;
using namespace loa::scheduler;
using namespace std::chrono_literals;

namespace {

StationRecord station(const std::string& id) {
    StationRecord s;
    s.id = id;
    s.name = "Station " + id;
    s.public_key = transport::CurveKeyPair::generate().public_key;
    s.created_at_us = to_unix_us(test::test_epoch());
    return s;
}

}  // namespace

TEST(MonitoringStore, ClustersAndHamletsRoundTripAndBumpTheDataVersion) {
    SchedulerStore store{":memory:"};
    EXPECT_EQ(store.database().schema_version("monitoring"), 2);
    const auto v0 = store.coverage_data_version();
    const std::vector<coverage::Cluster> clusters{
        {"K1", "S1", "main", 105.1234567, 10.5, 4, 120.0, 300.0},
        {"K2", "S1", "market", 105.2, 10.6, 2, 60.0, 150.5}};
    store.put_clusters(clusters);
    EXPECT_EQ(store.list_clusters(), clusters);
    EXPECT_GT(store.coverage_data_version(), v0);

    coverage::Polygon square{
        {{105.0, 10.0}, {105.01, 10.0}, {105.01, 10.01}, {105.0, 10.01}, {105.0, 10.0}},
        {{{105.004, 10.004},
          {105.006, 10.004},
          {105.006, 10.006},
          {105.004, 10.006},
          {105.004, 10.004}}}};
    const std::vector<coverage::ResidentialArea> hamlets{
        {"H1", "C1", "Ấp Mỹ Hòa", 320, coverage::LonLat{105.3, 10.4}},
        {"H2", "C1", "Ấp Bình Đức", 150, std::vector<coverage::Polygon>{square}}};
    store.put_hamlets(hamlets);
    EXPECT_EQ(store.list_hamlets(), hamlets);

    // Re-importing replaces by id.
    auto changed = hamlets[0];
    changed.households = 330;
    store.put_hamlets(std::span{&changed, 1});
    EXPECT_EQ(store.list_hamlets()[0].households, 330);
    EXPECT_EQ(store.list_hamlets().size(), 2U);
}

TEST(MonitoringStore, CoverageHistoryKeepsOneRowPerDayAndUnit) {
    SchedulerStore store{":memory:"};
    using namespace std::chrono;
    const year_month_day day{year{2026}, month{11}, std::chrono::day{27}};
    coverage::CoverageSnapshot snap{day, "P", {}};
    snap.figures.households = 400;
    snap.figures.households_working = 300;
    EXPECT_FALSE(store.has_coverage_snapshot(day));
    store.put_coverage_snapshots(std::span{&snap, 1}, test::test_epoch());
    snap.figures.households_working = 350;  // taken again the same day: replaced
    store.put_coverage_snapshots(std::span{&snap, 1}, test::test_epoch() + 1h);
    EXPECT_TRUE(store.has_coverage_snapshot(day));
    const auto history = store.list_coverage_history("P");
    ASSERT_EQ(history.size(), 1U);
    EXPECT_EQ(history[0], snap);
    EXPECT_TRUE(store.list_coverage_history("Q").empty());
}

TEST(MonitoringStore, LivenessChangesAreLoggedWhenStationStatusChanges) {
    SchedulerStore store{":memory:"};
    ASSERT_TRUE(store.add_station(station("S1")).ok());
    const auto t0 = test::test_epoch();
    StationHealth h;
    h.station_id = "S1";
    h.last_heartbeat_at_us = to_unix_us(t0);
    store.record_station_health(h);  // first heartbeat: online
    store.record_station_health(h);  // again: no change
    EXPECT_TRUE(store.set_station_online("S1", false, t0 + 30s));
    EXPECT_FALSE(store.set_station_online("S1", false, t0 + 40s));  // repeat: no change
    EXPECT_TRUE(store.set_station_online("S1", true, t0 + 2min));
    const auto changes = store.list_liveness_changes("S1", to_unix_us(t0 + 1h));
    ASSERT_EQ(changes.size(), 3U);
    EXPECT_TRUE(changes[0].online);
    EXPECT_EQ(changes[0].at_us, to_unix_us(t0));
    EXPECT_FALSE(changes[1].online);
    EXPECT_EQ(changes[1].at_us, to_unix_us(t0 + 30s));
    EXPECT_TRUE(changes[2].online);
    EXPECT_EQ(store.list_liveness_changes("S1", to_unix_us(t0 + 1min)).size(), 2U);

    // Retention keeps the newest change before the limit: the state at the limit stays known.
    store.prune_monitoring_history(to_unix_us(t0 + 1min), 0);
    const auto kept = store.list_liveness_changes("S1", to_unix_us(t0 + 1h));
    ASSERT_EQ(kept.size(), 2U);
    EXPECT_FALSE(kept[0].online);
    EXPECT_EQ(kept[0].at_us, to_unix_us(t0 + 30s));
    EXPECT_EQ(kept[1].at_us, to_unix_us(t0 + 2min));
}

TEST(MonitoringStore, ClockChangesAreLoggedFromHeartbeatTelemetry) {
    SchedulerStore store{":memory:"};
    EXPECT_EQ(store.database().schema_version("monitoring"), 2);
    ASSERT_TRUE(store.add_station(station("S1")).ok());
    const auto t0 = test::test_epoch();
    // Liveness alone (no heartbeat telemetry yet) says nothing of the clock.
    store.set_station_online("S1", true, t0 - 1min);
    EXPECT_TRUE(store.list_clock_changes("S1", to_unix_us(t0 + 1h)).empty());
    StationHealth h;
    h.station_id = "S1";
    const auto beat = [&](TimePoint at, bool synced) {
        h.last_heartbeat_at_us = to_unix_us(at);
        h.clock_synced = synced;
        store.record_station_health(h);
    };
    beat(t0, false);  // first telemetry: unsynchronised from here
    beat(t0 + 10s, false);
    beat(t0 + 20s, true);  // synchronised again
    beat(t0 + 30s, true);
    beat(t0 + 40s, false);
    const auto changes = store.list_clock_changes("", to_unix_us(t0 + 1h));
    ASSERT_EQ(changes.size(), 3U);
    EXPECT_FALSE(changes[0].synced);
    EXPECT_EQ(changes[0].at_us, to_unix_us(t0));
    EXPECT_TRUE(changes[1].synced);
    EXPECT_EQ(changes[1].at_us, to_unix_us(t0 + 20s));
    EXPECT_FALSE(changes[2].synced);
    EXPECT_EQ(changes[2].at_us, to_unix_us(t0 + 40s));
    EXPECT_EQ(store.list_clock_changes("S1", to_unix_us(t0 + 20s)).size(), 1U);

    // Retention keeps the newest change before the limit: the state at the limit stays known.
    store.prune_monitoring_history(to_unix_us(t0 + 30s), 0);
    const auto kept = store.list_clock_changes("S1", to_unix_us(t0 + 1h));
    ASSERT_EQ(kept.size(), 2U);
    EXPECT_EQ(kept[0].at_us, to_unix_us(t0 + 20s));
    EXPECT_EQ(kept[1].at_us, to_unix_us(t0 + 40s));
}

namespace {

wire::TimelineItem item(const std::string& id, TimePoint start, const std::string& title) {
    wire::TimelineItem i;
    i.set_item_id(id);
    i.set_asset_id(std::string(64, 'a'));
    i.set_start_at_us(to_unix_us(start));
    i.set_duration_ms(60000);
    i.set_priority(wire::DISTRICT);
    i.set_title(title);
    i.add_zones("main");
    return i;
}

}  // namespace

TEST(MonitoringStore, TheLogOfScheduledItemsOutlivesThePrunedRevisions) {
    SchedulerStore store{":memory:"};
    ASSERT_TRUE(store.add_station(station("S1")).ok());
    const auto t0 = test::test_epoch();
    // 40 revisions, one a day: each holds the day's item (at noon) and the next day's.
    for (int day = 0; day < 40; ++day) {
        const auto now = t0 + std::chrono::days{day};
        wire::Timeline t;
        for (int d = day; d <= day + 1; ++d) {
            *t.add_items() = item(fmt::format("e{}-{}-0", 7, d), t0 + std::chrono::days{d} + 12h,
                                  fmt::format("Day {}", d));
        }
        if (day == 3) {  // an extra item on day 5, withdrawn the next day before it aired
            *t.add_items() = item("e9-5-0", t0 + std::chrono::days{5} + 8h, "Withdrawn");
        }
        ASSERT_TRUE(store.store_timeline("S1", t, now)) << day;
    }
    ASSERT_EQ(store.list_timelines("S1").size(), kTimelineRevisionsKept);
    EXPECT_GT(store.list_timelines("S1").front().created_at_us,
              to_unix_us(t0 + std::chrono::days{5}));

    const auto early = store.list_scheduled_items(to_unix_us(t0), to_unix_us(t0 + 24h * 6));
    ASSERT_EQ(early.size(), 7U);  // days 0..5 and the withdrawn one
    EXPECT_EQ(early[0].item_id, "e7-0-0");
    EXPECT_EQ(early[0].start_at_us, to_unix_us(t0 + 12h));
    EXPECT_EQ(early[0].duration_ms, 60000U);
    EXPECT_EQ(early[0].entry_id, std::optional<std::int64_t>{7});
    EXPECT_EQ(early[0].priority, wire::DISTRICT);
    EXPECT_EQ(early[0].title, "Day 0");
    EXPECT_EQ(early[0].zones, std::vector<std::string>{"main"});
    EXPECT_EQ(early[0].asset_id, std::string(64, 'a'));
    EXPECT_EQ(early[0].issued_at_us, to_unix_us(t0));
    EXPECT_EQ(early[0].first_revision, 2U);  // revision 1 is the station's empty timeline
    // Day 1's item came with the first revision; it rolled out after it ended: not withdrawn.
    EXPECT_EQ(early[1].issued_at_us, to_unix_us(t0));
    EXPECT_FALSE(early[1].withdrawn_at_us.has_value());
    const auto withdrawn = std::find_if(early.begin(), early.end(),
                                        [](const auto& r) { return r.item_id == "e9-5-0"; });
    ASSERT_NE(withdrawn, early.end());
    EXPECT_EQ(withdrawn->issued_at_us, to_unix_us(t0 + 24h * 3));
    EXPECT_EQ(withdrawn->withdrawn_at_us, to_unix_us(t0 + 24h * 4));

    // Retention: items that started before the limit go.
    const auto removed = store.prune_monitoring_history(to_unix_us(t0 + 24h * 3), 0);
    EXPECT_EQ(removed, 3U);
    EXPECT_EQ(store.list_scheduled_items(0, to_unix_us(t0 + 24h * 6)).size(), 4U);
}

TEST(MonitoringStore, AnOlderDatabaseIsBackfilledFromItsKeptRevisions) {
    test::TempDir dir;
    const auto path = (dir.path() / "scheduler.db").string();
    const auto t0 = test::test_epoch();
    {
        SchedulerStore store{path};
        ASSERT_TRUE(store.add_station(station("S1")).ok());
        wire::Timeline t;
        *t.add_items() = item("e1-0-0", t0 - 10min, "Started before the revision");
        *t.add_items() = item("e1-1-0", t0 + 1h, "Later");
        ASSERT_TRUE(store.store_timeline("S1", t, t0));
        // As a database from before the log whose first revisions were pruned: no rows, not
        // backfilled, revision 2 the oldest kept.
        store.database().exec("DELETE FROM timelines WHERE revision = 1");
        store.database().exec("DELETE FROM scheduled_items");
        store.database().exec("UPDATE scheduled_items_backfill SET done = 0");
    }
    SchedulerStore store{path};
    const auto rows = store.list_scheduled_items(0, to_unix_us(t0 + 24h));
    ASSERT_EQ(rows.size(), 2U);
    // The oldest kept revision is taken as sent by each item's start at the latest.
    EXPECT_EQ(rows[0].issued_at_us, to_unix_us(t0 - 10min));
    EXPECT_EQ(rows[1].issued_at_us, to_unix_us(t0));
}

TEST(MonitoringStore, TheAlarmBookIsKeptWithItsHistory) {
    SchedulerStore store{":memory:"};
    const auto t0 = to_unix_us(test::test_epoch());
    SchedulerStore::StoredAlarm a;
    a.key = "fault/S1/main";
    a.kind = "zone_fault";
    a.severity = "major";
    a.station_id = "S1";
    a.unit_code = "C1";
    a.zone = "main";
    a.text_vi = "lỗi";
    a.text_en = "fault";
    a.since_us = t0 - 5'000'000;
    a.raised_at_us = t0;
    store.record_alarm(a);
    auto b = a;
    b.key = "offline/S2";
    b.raised_at_us = t0 + 1;
    store.record_alarm(b);
    ASSERT_EQ(store.list_active_alarms().size(), 2U);
    EXPECT_EQ(store.list_active_alarms()[0], a);

    auto words = a;
    words.severity = "critical";
    words.text_en = "fault (hot)";
    store.update_active_alarm(words);
    EXPECT_EQ(store.list_active_alarms()[0].text_en, "fault (hot)");
    EXPECT_EQ(store.list_active_alarms()[0].severity, "critical");
    EXPECT_EQ(store.list_active_alarms()[0].raised_at_us, t0);

    auto cleared = b;
    cleared.cleared_at_us = t0 + 60'000'000;
    store.record_alarm(cleared);
    a.raised_at_us = t0 + 100'000'000;  // raised again while a stale row is active: replaced
    store.record_alarm(a);
    const auto active = store.list_active_alarms();
    ASSERT_EQ(active.size(), 1U);
    EXPECT_EQ(active[0].raised_at_us, t0 + 100'000'000);
    const auto history = store.list_cleared_alarms(10);
    ASSERT_EQ(history.size(), 2U);
    EXPECT_EQ(history[0].key, "fault/S1/main");  // newest first
    EXPECT_EQ(history[1].key, "offline/S2");
    EXPECT_EQ(history[1].cleared_at_us, t0 + 60'000'000);
    EXPECT_EQ(store.list_cleared_alarms(1).size(), 1U);

    // Cleared alarms older than the limit go; active ones stay whatever their age.
    store.prune_monitoring_history(0, t0 + 70'000'000);
    EXPECT_EQ(store.list_cleared_alarms(10).size(), 1U);
    EXPECT_EQ(store.list_active_alarms().size(), 1U);
}
