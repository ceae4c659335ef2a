#include "loa/coverage/coverage_engine.hpp"
#include "loa/coverage/coverage_snapshot.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

namespace loa::coverage {
namespace {

using std::numbers::pi;

// Test geography is laid out in metres on the plane around a fixed origin in An Giang, and
// converted to lon/lat through the same projection the engine uses.
const LonLat kOrigin = LocalProjection::an_giang_centre();
const LocalProjection kPlane{kOrigin};

LonLat at(double x, double y) {
    return kPlane.to_lonlat({x, y});
}

Cluster cluster(std::string id, std::string station, std::string zone, double x, double y,
                double reach) {
    const LonLat p = at(x, y);
    return Cluster{std::move(id), std::move(station), std::move(zone), p.lon, p.lat, 2, 60.0,
                   reach};
}

ResidentialArea point_hamlet(std::string id, std::string unit, std::int64_t households, double x,
                             double y) {
    return ResidentialArea{std::move(id), std::move(unit), "", households, at(x, y)};
}

ResidentialArea box_hamlet(std::string id, std::string unit, std::int64_t households, double x0,
                           double y0, double x1, double y1) {
    Ring ring{at(x0, y0), at(x1, y0), at(x1, y1), at(x0, y1), at(x0, y0)};
    return ResidentialArea{std::move(id), std::move(unit), "", households,
                           std::vector<Polygon>{Polygon{std::move(ring), {}}}};
}

CoverageEngine make_engine(std::vector<Cluster> clusters, std::vector<ResidentialArea> areas,
                           UnitParents parents = {}) {
    CoverageEngine::Options options;
    options.origin = kOrigin;
    auto engine =
        CoverageEngine::build(std::move(clusters), std::move(areas), std::move(parents), options);
    if (!engine) {
        ADD_FAILURE() << engine.error().message;
        std::abort();
    }
    return std::move(*engine);
}

// Area of the disc of radius r centred at the origin within |y| <= h and x >= 0:
// the integral of sqrt(r² - y²) over [-h, h].
double half_disc_band(double r, double h) {
    return h * std::sqrt(r * r - h * h) + r * r * std::asin(h / r);
}

TEST(CoverageEngine, OneClusterCoversAPointHamlet) {
    auto engine = make_engine({cluster("c1", "s1", "main", 0, 0, 300)},
                              {point_hamlet("h1", "30280", 250, 120, -150),
                               point_hamlet("h2", "30280", 90, 250, 200)});  // 320 m away
    const auto h1 = engine.hamlet("h1");
    ASSERT_TRUE(h1);
    EXPECT_EQ(h1->figures.households_installed, 250.0);
    EXPECT_EQ(h1->figures.households_working, 250.0);
    EXPECT_EQ(h1->figures.area_m2, 0.0);  // a point has no area
    EXPECT_EQ(engine.hamlet("h2")->figures.households_installed, 0.0);
    const CoverageFigures unit = engine.unit("30280");
    EXPECT_EQ(unit.households, 340.0);
    EXPECT_EQ(unit.households_working, 250.0);
    EXPECT_DOUBLE_EQ(*unit.working(), 250.0 / 340.0);
    EXPECT_FALSE(unit.area_working());  // no polygon: no area fraction
}

TEST(CoverageEngine, TwoOverlappingClustersOverASquareMatchTheAnalyticArea) {
    // Square [-100, 100]², discs of radius 100 at (-50, 0) and (50, 0). Each disc loses the
    // segment beyond x = ∓100 (distance 50 from its centre) and only touches y = ±100; the lens
    // between them (centres 100 apart) lies inside the square.
    const double r = 100.0;
    const double segment = r * r * std::acos(0.5) - 50.0 * std::sqrt(r * r - 50.0 * 50.0);
    const double disc_in_square = pi * r * r - segment;
    const double lens =
        2.0 * r * r * std::acos(100.0 / (2.0 * r)) - 50.0 * std::sqrt(4.0 * r * r - 100.0 * 100.0);
    const double expected_area = 2.0 * disc_in_square - lens;
    const double expected_fraction = expected_area / 40000.0;  // 0.9566

    auto engine = make_engine(
        {cluster("west", "s1", "main", -50, 0, r), cluster("east", "s2", "main", 50, 0, r)},
        {box_hamlet("square", "30280", 1000, -100, -100, 100, 100)});
    const auto h = engine.hamlet("square");
    ASSERT_TRUE(h);
    EXPECT_NEAR(h->figures.area_m2, 40000.0, 40000.0 * 1e-9);
    EXPECT_NEAR(h->figures.area_installed_m2, expected_area, expected_area * 0.005);
    EXPECT_NEAR(h->figures.households_installed, 1000.0 * expected_fraction,
                1000.0 * expected_fraction * 0.005);
    EXPECT_DOUBLE_EQ(h->figures.households_working, h->figures.households_installed);

    // With one disc off, what is left is the east disc within the square.
    engine.apply(OperatingState{{"s1"}, {}});
    EXPECT_NEAR(engine.hamlet("square")->figures.area_working_m2, disc_in_square,
                disc_in_square * 0.005);
}

TEST(CoverageEngine, AHamletHalfInReach) {
    // A strip 2 km long and 10 m wide with a 1 km cluster at its west end: the reach ends in the
    // middle (the arc bulges 1.25 cm over the strip's width).
    auto engine = make_engine({cluster("c1", "s1", "main", 0, 0, 1000)},
                              {box_hamlet("strip", "30280", 400, 0, -5, 2000, 5)});
    const double expected_area = half_disc_band(1000.0, 5.0);
    const auto h = engine.hamlet("strip");
    EXPECT_NEAR(expected_area / 20000.0, 0.5, 1e-5);
    EXPECT_NEAR(h->figures.area_installed_m2, expected_area, expected_area * 0.005);
    EXPECT_NEAR(h->figures.households_installed, 200.0, 200.0 * 0.005);
    EXPECT_NEAR(*engine.unit("30280").area_working(), 0.5, 0.5 * 0.005);
}

TEST(CoverageEngine, ADeadZoneCountsItsHouseholdsAsUncovered) {
    auto engine = make_engine({cluster("c1", "s1", "main", 0, 0, 300)},
                              {box_hamlet("covered", "30280", 300, -50, -50, 50, 50),
                               box_hamlet("dead", "30280", 200, 5000, 5000, 5400, 5300),
                               point_hamlet("dead-point", "30280", 100, -4000, 0)},
                              {{"30280", "883"}, {"883", "89"}, {"89", ""}});
    EXPECT_EQ(engine.hamlet("dead")->figures.households_installed, 0.0);
    EXPECT_EQ(engine.hamlet("dead")->figures.area_installed_m2, 0.0);
    EXPECT_EQ(engine.hamlet("dead-point")->figures.households_installed, 0.0);
    EXPECT_EQ(engine.hamlet("covered")->figures.households_installed, 300.0);  // wholly inside
    const CoverageFigures province = engine.unit("89");
    EXPECT_EQ(province.households, 600.0);
    EXPECT_EQ(province.households_installed, 300.0);
    EXPECT_DOUBLE_EQ(*province.installed(), 0.5);
    EXPECT_NEAR(*province.area_installed(), 10000.0 / (10000.0 + 120000.0), 1e-9);
}

// Two communes in two districts of one province; station s1 has zones main and market.
class FaultTest : public ::testing::Test {
protected:
    FaultTest()
        : engine_{make_engine(
              {cluster("s1-main", "s1", "main", 0, 0, 400),
               cluster("s1-market", "s1", "market", 2000, 0, 400),
               cluster("s2-main", "s2", "main", 300, 0, 400),
               cluster("s3-main", "s3", "main", 10000, 0, 500)},
              {point_hamlet("both", "c1", 500, 150, 0),                     // s1 main and s2 main
               point_hamlet("market", "c1", 120, 2100, 50),                 // s1 market only
               box_hamlet("market-box", "c1", 300, 1900, -100, 2100, 100),  // inside s1 market
               point_hamlet("s2-only", "c1", 80, 600, 0),                   // s2 main only
               point_hamlet("far", "c2", 260, 10100, 0)},  // s3 only, other district
              {{"c1", "d1"}, {"c2", "d2"}, {"d1", "p"}, {"d2", "p"}, {"p", ""}})} {}

    CoverageEngine engine_;
};

TEST_F(FaultTest, AZoneFaultDropsExactlyTheHouseholdsOnlyItCoversAndClearing) {
    const CoverageFigures before = engine_.unit("p");
    EXPECT_EQ(before.households, 1260.0);
    EXPECT_EQ(before.households_working, 1260.0);

    OperatingState fault;
    fault.faulty_zones.insert({"s1", "market"});
    EXPECT_EQ(engine_.apply(fault), 2U);  // the two hamlets the market cluster reaches
    EXPECT_EQ(engine_.unit("p").households_working, 1260.0 - 120.0 - 300.0);
    EXPECT_EQ(engine_.unit("c1").households_working, 580.0);
    EXPECT_EQ(engine_.unit("d2").households_working, 260.0);
    EXPECT_EQ(engine_.unit("p").households_installed, 1260.0);  // installed does not move
    EXPECT_EQ(engine_.hamlet("market-box")->figures.area_working_m2, 0.0);

    EXPECT_EQ(engine_.apply(OperatingState{}), 2U);
    EXPECT_EQ(engine_.unit("p"), before);
    EXPECT_EQ(engine_.apply(OperatingState{}), 0U);  // nothing changed: nothing recomputed
}

TEST_F(FaultTest, AnOfflineStationDropsWhatNoOtherStationCovers) {
    OperatingState offline;
    offline.offline_stations.insert("s1");
    engine_.apply(offline);
    // "both" stays covered by s2; the market hamlets are lost.
    EXPECT_EQ(engine_.unit("c1").households_working, 500.0 + 80.0);
    offline.offline_stations.insert("s2");
    engine_.apply(offline);
    EXPECT_EQ(engine_.unit("c1").households_working, 0.0);
    EXPECT_EQ(engine_.unit("p").households_working, 260.0);
    EXPECT_EQ(engine_.state().offline_stations.size(), 2U);

    // The incremental result is what a computation from scratch gives.
    const auto incremental = engine_.units();
    engine_.recompute_all();
    const auto scratch = engine_.units();
    ASSERT_EQ(incremental.size(), scratch.size());
    for (std::size_t i = 0; i < scratch.size(); ++i) {
        EXPECT_EQ(incremental[i].figures, scratch[i].figures) << scratch[i].unit_code;
    }
}

TEST_F(FaultTest, UnitsListEveryLevelInCodeOrder) {
    const auto units = engine_.units();
    std::vector<std::string> codes;
    for (const auto& u : units) {
        codes.push_back(u.unit_code);
    }
    EXPECT_EQ(codes, (std::vector<std::string>{"c1", "c2", "d1", "d2", "p"}));
    EXPECT_EQ(units[4].hamlets, 5U);
    EXPECT_EQ(engine_.unit("unknown"), CoverageFigures{});
    EXPECT_FALSE(engine_.hamlet("unknown"));
}

TEST_F(FaultTest, DailySnapshotsCarryTheLocalDateAndEveryUnit) {
    // 18:30 UTC on 1 May is 01:30 on 2 May in Vietnam.
    FakeClock clock{from_unix_us(1714588200LL * 1000000)};
    const auto snapshots = daily_snapshots(engine_, clock);
    ASSERT_EQ(snapshots.size(), 5U);
    using namespace std::chrono;
    EXPECT_EQ(snapshots.front().date, year_month_day{2024y / May / 2});
    EXPECT_EQ(snapshots.back().unit_code, "p");
    EXPECT_EQ(snapshots.back().figures, engine_.unit("p"));
    EXPECT_DOUBLE_EQ(*snapshots.back().working(), 1.0);
}

TEST(CoverageEngine, BadDataIsRefusedWithTheProblemNamed) {
    CoverageEngine::Options options;
    auto twice = CoverageEngine::build(
        {cluster("c1", "s1", "main", 0, 0, 100), cluster("c1", "s1", "main", 10, 0, 100)}, {}, {},
        options);
    ASSERT_FALSE(twice);
    EXPECT_NE(twice.error().message.find("'c1'"), std::string::npos);

    // A bow tie: its edges cross.
    Ring bow{at(0, 0), at(100, 100), at(100, 0), at(0, 100), at(0, 0)};
    auto bad = CoverageEngine::build(
        {}, {ResidentialArea{"bow", "c1", "", 10, std::vector<Polygon>{Polygon{bow, {}}}}}, {},
        options);
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("hamlet bow: the polygon is not valid"), std::string::npos)
        << bad.error().message;

    auto reach = CoverageEngine::build({cluster("c2", "s1", "main", 0, 0, -5)}, {}, {}, options);
    ASSERT_FALSE(reach);
    EXPECT_NE(reach.error().message.find("reach_m -5"), std::string::npos);
}

}  // namespace
}  // namespace loa::coverage
