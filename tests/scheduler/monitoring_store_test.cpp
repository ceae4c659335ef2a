// The store's monitoring part: clusters and hamlets round-trip (points and polygons with holes),
// the daily coverage history, and the liveness log kept by triggers on station_status.
#include "loa/scheduler/scheduler_store.hpp"
#include "loa/transport/curve_keys.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

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
    EXPECT_EQ(store.database().schema_version("monitoring"), 1);
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
}
