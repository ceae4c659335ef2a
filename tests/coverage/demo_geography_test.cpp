#include "loa/coverage/demo_geography.hpp"
#include "loa/coverage/coverage_engine.hpp"
#include "loa/coverage/geo_import.hpp"
#include "loa/test/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

namespace loa::coverage {
namespace {

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in{path, std::ios::binary};
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::vector<DemoUnit> an_giang() {
    auto units = parse_demo_units(read_file(LOA_SOURCE_DIR "/data/angiang-2019-admin-units.csv"));
    if (!units) {
        ADD_FAILURE() << units.error().message;
        return {};
    }
    return *units;
}

// One An Giang geography for the whole suite (the calibration builds the engine a few times).
class DemoGeographyTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        units_ = std::make_unique<std::vector<DemoUnit>>(an_giang());
        auto geo = make_demo_geography(*units_, DemoOptions{});
        ASSERT_TRUE(geo) << geo.error().message;
        geo_ = std::make_unique<DemoGeography>(std::move(*geo));
    }
    static void TearDownTestSuite() {
        geo_.reset();
        units_.reset();
    }
    static inline std::unique_ptr<std::vector<DemoUnit>> units_;
    static inline std::unique_ptr<DemoGeography> geo_;
};

TEST_F(DemoGeographyTest, HasTheShapeOfTheBrief) {
    ASSERT_EQ(units_->size(), 168U);
    std::map<std::string, int> hamlets_per_commune;
    for (const ResidentialArea& a : geo_->areas) {
        ++hamlets_per_commune[a.unit_code];
        EXPECT_GE(a.households, 100);
        EXPECT_LE(a.households, 600);
        EXPECT_FALSE(a.is_point());
    }
    EXPECT_EQ(hamlets_per_commune.size(), 156U);
    for (const auto& [code, n] : hamlets_per_commune) {
        EXPECT_GE(n, 5) << code;
        EXPECT_LE(n, 8) << code;
    }
    EXPECT_GE(geo_->areas.size(), 156U * 5);
    std::map<std::string, int> clusters_per_station;
    for (const Cluster& c : geo_->clusters) {
        ++clusters_per_station[c.station_id];
        EXPECT_EQ(c.zone, "main");
        EXPECT_GE(c.lon, 104.75);
        EXPECT_LE(c.lon, 105.60);
        EXPECT_GE(c.lat, 10.20);
        EXPECT_LE(c.lat, 10.95);
    }
    EXPECT_EQ(clusters_per_station.size(), 168U);  // every unit's station has clusters
    EXPECT_GT(geo_->clusters.size(), 2700U);
    EXPECT_LT(geo_->clusters.size(), 3300U);
    int commune_clusters = 0;
    for (const DemoUnit& u : *units_) {
        if (u.level == "commune") {
            commune_clusters += clusters_per_station[u.code];
        }
    }
    EXPECT_GT(commune_clusters, static_cast<int>(geo_->clusters.size()) * 8 / 10);
}

TEST_F(DemoGeographyTest, LandsNearEightySixPercentAsWrittenToCsv) {
    EXPECT_NEAR(geo_->working_coverage, 0.86, 0.02);
    // What the files say, read back and computed again, not what the generator believes.
    test_support::TempDir dir;
    ASSERT_TRUE(write_demo_geography(*geo_, DemoOptions{}, dir.path()));
    const ClusterImport clusters = parse_cluster_csv(read_file(dir / "clusters.csv"));
    const AreaImport areas = parse_area_csv(read_file(dir / "hamlets.csv"));
    ASSERT_TRUE(clusters.ok()) << join_errors(clusters.errors);
    ASSERT_TRUE(areas.ok()) << join_errors(areas.errors);
    auto engine = CoverageEngine::build(clusters.clusters, areas.areas, unit_parents(*units_));
    ASSERT_TRUE(engine) << engine.error().message;
    const CoverageFigures province = engine->unit("89");
    EXPECT_NEAR(*province.working(), 0.86, 0.02);
    EXPECT_NEAR(*province.working(), geo_->working_coverage, 1e-4);
    EXPECT_EQ(province.households_installed, province.households_working);
    // Districts differ (dead zones, overlaps) but none is empty.
    for (const DemoUnit& u : *units_) {
        if (u.level == "district") {
            EXPECT_GT(*engine->unit(u.code).working(), 0.5) << u.code;
        }
    }
    const std::string readme = read_file(dir / "README.md");
    EXPECT_NE(readme.find("SYNTHETIC"), std::string::npos);
    EXPECT_NE(readme.find("NOT real data"), std::string::npos);
}

TEST_F(DemoGeographyTest, TheSameSeedGivesTheSameBytes) {
    auto again = make_demo_geography(*units_, DemoOptions{});
    ASSERT_TRUE(again);
    test_support::TempDir one;
    test_support::TempDir two;
    ASSERT_TRUE(write_demo_geography(*geo_, DemoOptions{}, one.path()));
    ASSERT_TRUE(write_demo_geography(*again, DemoOptions{}, two.path()));
    for (const char* name : {"clusters.csv", "hamlets.csv", "README.md"}) {
        const std::string a = read_file(one / name);
        EXPECT_FALSE(a.empty());
        EXPECT_EQ(a, read_file(two / name)) << name;
    }
}

TEST(DemoGeography, AnotherSeedGivesAnotherGeography) {
    // A small tree: one district, three communes.
    const std::vector<DemoUnit> units{{"1", "", "province", "P"},
                                      {"10", "1", "district", "D"},
                                      {"100", "10", "commune", "A"},
                                      {"101", "10", "commune", "B"},
                                      {"102", "10", "commune", "C"}};
    DemoOptions options;
    options.province = DemoBox{105.0, 105.1, 10.5, 10.6};  // a district's worth of land
    auto a = make_demo_geography(units, options);
    options.seed = 7;
    auto b = make_demo_geography(units, options);
    ASSERT_TRUE(a && b);
    EXPECT_NE(to_area_csv(a->areas), to_area_csv(b->areas));
    EXPECT_NE(to_cluster_csv(a->clusters), to_cluster_csv(b->clusters));
    EXPECT_NEAR(b->working_coverage, 0.86, 0.02);
}

TEST(DemoGeography, BadUnitsAreRefused) {
    const auto parsed = parse_demo_units(
        "code,parent_code,level,name\n1,,province,P\n1,,district,D\n2,1,hamlet,H\n");
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().message,
              "line 3: code 1 is already on line 2\n"
              "line 4: level 'hamlet' is not province, district or commune");
    EXPECT_FALSE(parse_demo_units("code,level\n1,province\n"));

    auto orphan = make_demo_geography(
        {{"1", "", "province", "P"}, {"10", "1", "district", "D"}, {"100", "99", "commune", "C"}},
        DemoOptions{});
    ASSERT_FALSE(orphan);
    EXPECT_EQ(orphan.error().message, "commune 100 is not under a district");
    EXPECT_FALSE(make_demo_geography({{"10", "", "district", "D"}}, DemoOptions{}));
}

}  // namespace
}  // namespace loa::coverage
