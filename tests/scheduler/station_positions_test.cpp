// Station positions (issue 6): the optional lat/lon columns of the station CSV with their line
// errors, and the store keeping them (schema part "station_positions") through a re-import.
#include "loa/common/sqlite.hpp"
#include "loa/scheduler/admin_units.hpp"
#include "loa/scheduler/scheduler_store.hpp"
#include "loa/scheduler/station_csv.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

using namespace loa;
using namespace loa::scheduler;

namespace {

AdminUnitTree small_tree() {
    AdminUnitTree tree;
    const auto errors = import_admin_unit_csv(
        "code,parent_code,name\n89,,An Giang\n883,89,Long Xuyên\n30280,883,Mỹ Bình\n", tree);
    EXPECT_TRUE(errors.empty());
    return tree;
}

TEST(StationCsvPositions, LatAndLonAreRead) {
    const auto tree = small_tree();
    const auto r = parse_station_csv(
        "station_id,unit_code,name,zones,lat,lon\n"
        "lx,883,Đài Long Xuyên,main,10.3712,105.4328\n"
        "mb,30280,,main, +10.38 ,-105.5\n"
        "ag,89,Đài tỉnh,main,,\n",
        tree);
    ASSERT_TRUE(r.ok()) << r.errors.front().message;
    ASSERT_EQ(r.stations.size(), 3U);
    ASSERT_TRUE(r.stations[0].position.has_value());
    EXPECT_DOUBLE_EQ(r.stations[0].position->lat, 10.3712);
    EXPECT_DOUBLE_EQ(r.stations[0].position->lon, 105.4328);
    EXPECT_EQ(r.stations[1].position, (StationPosition{10.38, -105.5}));
    EXPECT_FALSE(r.stations[2].position.has_value());
    // Without the columns, no station has a position.
    const auto plain = parse_station_csv("station_id,unit_code\nlx,883\n", tree);
    ASSERT_TRUE(plain.ok());
    EXPECT_FALSE(plain.stations[0].position.has_value());
}

TEST(StationCsvPositions, BadValuesAreReportedPerLineAndNothingIsReturned) {
    const auto tree = small_tree();
    const auto r = parse_station_csv(
        "station_id,unit_code,lat,lon\n"
        "a,883,10.5,105.1\n"
        "b,883,\"10,38\",105.1\n"
        "c,883,10.5,190\n"
        "d,883,10.5,\n"
        "e,883,,105\n"
        "f,883,north,east\n"
        "g,883,-91,105\n"
        "h,883,nan,105\n"
        "i,883,1e1,105\n",
        tree);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.stations.empty());
    std::vector<std::string> got;
    for (const auto& e : r.errors) {
        got.push_back(std::to_string(e.line) + ": " + e.message);
    }
    const std::vector<std::string> want{
        "3: lat '10,38' is not a number (decimal degrees, e.g. 10.3712)",
        "4: lon 190 is outside -180..180",
        "5: lat is given without lon",
        "6: lon is given without lat",
        "7: lat 'north' is not a number (decimal degrees, e.g. 10.3712)",
        "7: lon 'east' is not a number (decimal degrees, e.g. 10.3712)",
        "8: lat -91 is outside -90..90",
        "9: lat 'nan' is not a number (decimal degrees, e.g. 10.3712)",
        "10: lat '1e1' is not a number (decimal degrees, e.g. 10.3712)"};
    EXPECT_EQ(got, want);
}

TEST(StationCsvPositions, OneCoordinateColumnAloneIsAHeaderError) {
    const auto r = parse_station_csv("station_id,unit_code,lat\nlx,883,10.5\n", small_tree());
    ASSERT_EQ(r.errors.size(), 1U);
    EXPECT_EQ(r.errors[0].line, 1U);
    EXPECT_EQ(r.errors[0].message, "column 'lat' is given without column 'lon'");
    EXPECT_TRUE(r.stations.empty());
}

TEST(StationStorePositions, PositionsAreStoredReplacedAndCleared) {
    test::TempDir dir;
    const auto path = (dir.path() / "s.db").string();
    {
        SchedulerStore store{path};
        store.put_units(small_tree().units());
        store.put_station(
            Station{"lx", "883", "Long Xuyên", {"main"}, StationPosition{10.37, 105.43}},
            test::test_epoch());
        store.put_station(Station{"mb", "30280", "Mỹ Bình", {"main"}}, test::test_epoch());
    }
    {
        // What is on disk: REAL columns of the stations table, NULL without a position.
        sqlite::Database db{path};
        sqlite::Statement s{db, "SELECT id, lat, lon FROM stations ORDER BY id"};
        ASSERT_TRUE(s.step());
        EXPECT_EQ(s.text(0), "lx");
        EXPECT_DOUBLE_EQ(s.real(1), 10.37);
        EXPECT_DOUBLE_EQ(s.real(2), 105.43);
        ASSERT_TRUE(s.step());
        EXPECT_EQ(s.text(0), "mb");
        EXPECT_TRUE(s.is_null(1));
        EXPECT_TRUE(s.is_null(2));
        EXPECT_EQ(db.schema_version("station_positions"), 1);
    }
    SchedulerStore store{path};  // reopening migrates nothing again
    auto stations = store.list_planned_stations();
    ASSERT_EQ(stations.size(), 2U);
    EXPECT_EQ(stations[0].position, (StationPosition{10.37, 105.43}));
    EXPECT_FALSE(stations[1].position.has_value());
    // The station records (GET /api/v1/stations) carry it too.
    EXPECT_EQ(store.find_station("lx")->position, (std::pair{10.37, 105.43}));
    EXPECT_FALSE(store.find_station("mb")->position.has_value());
    // A re-import is the truth: a new position replaces the old, none clears it; the key stays.
    ASSERT_TRUE(store.set_station_key("lx", std::string(40, 'k')));
    store.put_station(Station{"lx", "883", "Long Xuyên", {"main"}}, test::test_epoch());
    store.put_station(Station{"mb", "30280", "Mỹ Bình", {"main"}, StationPosition{10.4, 105.4}},
                      test::test_epoch());
    stations = store.list_planned_stations();
    EXPECT_FALSE(stations[0].position.has_value());
    EXPECT_EQ(stations[1].position, (StationPosition{10.4, 105.4}));
    EXPECT_EQ(store.find_station("lx")->public_key, std::string(40, 'k'));
    EXPECT_FALSE(store.find_station("lx")->position.has_value());
    EXPECT_EQ(store.list_stations()[1].position, (std::pair{10.4, 105.4}));
}

}  // namespace
