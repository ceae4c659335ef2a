// Polygons and circles against where the loudspeakers are: the synthetic An Giang demo geography
// (loa::coverage, seed 2019: 3,041 clusters on 168 stations, one station per unit) gives every
// station its clusters. The expected stations are computed here from the cluster positions alone
// (a box test, a haversine written out again), never from the resolver.
#include "loa/alerting/alert_planner.hpp"
#include "loa/alerting/area_resolver.hpp"
#include "loa/alerting/cap_parser.hpp"
#include "loa/common/time_format.hpp"
#include "loa/coverage/demo_geography.hpp"

#include "angiang_fixture.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <numbers>
#include <set>

namespace loa::alerting {
namespace {

using test::read_source_file;
using ::testing::Contains;
using ::testing::StartsWith;

struct Box {
    double lat_min = 90, lat_max = -90, lon_min = 180, lon_max = -180;
    bool holds(const LatLon& p) const {
        return p.lat >= lat_min && p.lat <= lat_max && p.lon >= lon_min && p.lon <= lon_max;
    }
};

// Great-circle distance, written again here (haversine on the mean sphere).
double km_between(LatLon a, LatLon b) {
    constexpr double kR = 6371.0088;
    const auto rad = [](double d) { return d * std::numbers::pi / 180; };
    const double s1 = std::sin(rad(b.lat - a.lat) / 2);
    const double s2 = std::sin(rad(b.lon - a.lon) / 2);
    const double h = s1 * s1 + std::cos(rad(a.lat)) * std::cos(rad(b.lat)) * s2 * s2;
    return 2 * kR * std::asin(std::sqrt(h));
}

// "lat,lon lat,lon ..." of the box's closed ring.
std::string ring_text(const Box& b) {
    return fmt::format("{0},{1} {0},{2} {3},{2} {3},{1} {0},{1}", b.lat_min, b.lon_min, b.lon_max,
                       b.lat_max);
}

std::string alert_xml(const std::string& identifier, const std::string& status,
                      const std::string& area) {
    return fmt::format(
        R"(<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{}</identifier><sender>pctt@angiang.gov.vn</sender>
  <sent>2026-10-14T08:30:00+07:00</sent><status>{}</status><msgType>Alert</msgType>
  <scope>Public</scope>
  <info><language>vi</language><category>Met</category><event>Dông lốc</event>
    <urgency>Immediate</urgency><severity>Severe</severity><certainty>Observed</certainty>
    <headline>Cảnh báo dông lốc</headline>
    <area><areaDesc>Vùng cảnh báo</areaDesc>{}</area></info>
</alert>)",
        identifier, status, area);
}

Alert parse(const std::string& xml) {
    auto r = CapParser{}.parse(xml);
    if (!r) {
        ADD_FAILURE() << r.error().message;
        return {};
    }
    return std::move(r).value();
}

class ClusterAreasTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        auto units =
            coverage::parse_demo_units(read_source_file("data/angiang-2019-admin-units.csv"));
        ASSERT_TRUE(units) << units.error().message;
        auto geo = coverage::make_demo_geography(*units, coverage::DemoOptions{});
        ASSERT_TRUE(geo) << geo.error().message;
        world_ = std::make_unique<World>();
        for (const auto& u : *units) {
            world_->parents[u.code] = u.parent_code;
            if (u.level == "district") {
                world_->districts.push_back(u.code);
            }
        }
        std::map<std::string, std::vector<LatLon>> clusters;
        for (const auto& c : geo->clusters) {
            clusters[c.station_id].push_back(LatLon{c.lat, c.lon});
        }
        for (const auto& u : *units) {
            world_->sites.push_back(StationSite{u.code, u.code, std::nullopt, clusters[u.code]});
        }
    }
    static void TearDownTestSuite() { world_.reset(); }

    struct World {
        std::unordered_map<std::string, std::string> parents;
        std::vector<std::string> districts;
        std::vector<StationSite> sites;
    };
    static inline std::unique_ptr<World> world_;

    static AreaResolver resolver() { return AreaResolver{world_->sites, world_->parents}; }

    static bool under(std::string code, const std::string& ancestor) {
        for (int steps = 0; !code.empty() && steps < 10; ++steps) {
            if (code == ancestor) {
                return true;
            }
            code = world_->parents.at(code);
        }
        return false;
    }

    static std::vector<std::string> subtree(const std::string& code) {
        std::vector<std::string> out;
        for (const auto& s : world_->sites) {
            if (under(s.unit_code, code)) {
                out.push_back(s.id);
            }
        }
        std::sort(out.begin(), out.end());
        return out;
    }

    // The box around every cluster of `code`'s subtree, widened by `margin` degrees.
    static Box box_of(const std::string& code, double margin) {
        Box b;
        for (const auto& s : world_->sites) {
            if (!under(s.unit_code, code)) {
                continue;
            }
            for (const auto& p : s.clusters) {
                b.lat_min = std::min(b.lat_min, p.lat - margin);
                b.lat_max = std::max(b.lat_max, p.lat + margin);
                b.lon_min = std::min(b.lon_min, p.lon - margin);
                b.lon_max = std::max(b.lon_max, p.lon + margin);
            }
        }
        return b;
    }

    // Stations that have a cluster for which `inside` holds, sorted.
    template <typename F>
    static std::vector<std::string> stations_with_cluster(F inside) {
        std::vector<std::string> out;
        for (const auto& s : world_->sites) {
            if (std::any_of(s.clusters.begin(), s.clusters.end(), inside)) {
                out.push_back(s.id);
            }
        }
        std::sort(out.begin(), out.end());
        return out;
    }
};

TEST_F(ClusterAreasTest, EveryStationHasClusters) {
    ASSERT_EQ(world_->sites.size(), 168U);
    ASSERT_EQ(world_->districts.size(), 11U);
    for (const auto& s : world_->sites) {
        EXPECT_FALSE(s.clusters.empty()) << s.id;
    }
}

TEST_F(ClusterAreasTest, PolygonAroundADistrictReachesExactlyItsStations) {
    // Not the first district: the province station's clusters stand over its seat.
    for (const auto& district : {world_->districts[3], world_->districts[7]}) {
        const Box box = box_of(district, 0.001);
        const auto expected = stations_with_cluster([&](const LatLon& p) { return box.holds(p); });
        ASSERT_EQ(expected, subtree(district)) << district;  // the geography keeps districts apart

        const auto alert = parse(alert_xml("AG-P-" + district, "Actual",
                                           fmt::format("<polygon>{}</polygon>", ring_text(box))));
        const auto matched = resolver().match(alert.infos[0].areas[0], "info[1].area[1]");
        ASSERT_TRUE(matched) << matched.error().message;
        EXPECT_EQ(matched->by_polygon, expected) << district;
        EXPECT_TRUE(matched->by_geocode.empty());
        EXPECT_TRUE(matched->by_circle.empty());
        EXPECT_EQ(*resolver().stations_for(alert), expected);
    }
}

TEST_F(ClusterAreasTest, CircleAroundACommuneClusterReachesItAndNeighboursWithinTheRadius) {
    const auto commune = subtree(world_->districts[5]).back();
    const auto& site = *std::find_if(world_->sites.begin(), world_->sites.end(),
                                     [&](const StationSite& s) { return s.id == commune; });
    const LatLon centre = site.clusters.front();
    const auto r = resolver();
    for (const double radius : {0.01, 1.0, 3.0, 6.0}) {
        const auto expected =
            stations_with_cluster([&](const LatLon& p) { return km_between(centre, p) <= radius; });
        EXPECT_THAT(expected, Contains(commune));
        Area area;
        area.description = "circle";
        area.circles.push_back(Circle{centre, radius});
        const auto matched = r.match(area);
        ASSERT_TRUE(matched) << matched.error().message;
        EXPECT_EQ(matched->by_circle, expected) << radius << " km";
    }
    // The widest circle does reach neighbours (so the comparison above means something).
    Area wide;
    wide.circles.push_back(Circle{centre, 6.0});
    EXPECT_GT(r.stations_in(wide)->size(), 1U);
    Area tiny;
    tiny.circles.push_back(Circle{centre, 0.01});
    EXPECT_EQ(*r.stations_in(tiny), std::vector<std::string>{commune});
}

TEST_F(ClusterAreasTest, AStationIsInIfItsPositionOrAnyClusterIs) {
    const std::vector<StationSite> sites{
        {"own", "", LatLon{10.5, 105.5}, {}},                                       // itself inside
        {"horn", "", LatLon{11.0, 106.0}, {LatLon{12, 107}, LatLon{10.6, 105.6}}},  // one horn in
        {"out", "", LatLon{11.0, 106.0}, {LatLon{12, 107}}},  // nothing inside
        {"none", "", std::nullopt, {}}};                      // nowhere
    const AreaResolver r{sites, {}};
    EXPECT_TRUE(r.has_positions());
    Area polygon;
    polygon.polygons.push_back(
        {{10.4, 105.4}, {10.4, 105.7}, {10.7, 105.7}, {10.7, 105.4}, {10.4, 105.4}});
    EXPECT_EQ(*r.stations_in(polygon), (std::vector<std::string>{"horn", "own"}));
    Area circle;
    circle.circles.push_back(Circle{{10.6, 105.6}, 1.0});
    EXPECT_EQ(*r.stations_in(circle), std::vector<std::string>{"horn"});
    EXPECT_FALSE((AreaResolver{{{"none", "", std::nullopt, {}}}, {}}.has_positions()));
}

TEST_F(ClusterAreasTest, MatchSaysHowEachAreaSelected) {
    const auto commune = subtree(world_->districts[2])[3];
    const auto district = world_->districts[9];
    const Box box = box_of(district, 0.001);
    Area area;
    area.description = "mixed";
    area.geocodes.push_back({"GSO", commune});
    area.polygons.push_back({{box.lat_min, box.lon_min},
                             {box.lat_min, box.lon_max},
                             {box.lat_max, box.lon_max},
                             {box.lat_max, box.lon_min},
                             {box.lat_min, box.lon_min}});
    const auto m = resolver().match(area, "info[1].area[2]");
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->path, "info[1].area[2]");
    EXPECT_EQ(m->description, "mixed");
    EXPECT_EQ(m->by_geocode, std::vector<std::string>{commune});
    EXPECT_EQ(m->by_polygon, subtree(district));
    EXPECT_EQ(m->by(MatchKind::polygon), subtree(district));
    auto all = subtree(district);
    all.push_back(commune);
    std::sort(all.begin(), all.end());
    EXPECT_EQ(m->stations(), all);
    EXPECT_EQ(to_string(MatchKind::circle), "circle");
}

TEST_F(ClusterAreasTest, PlannerReportsEachAreaAndExercisesGoToTheTestStationOnly) {
    const auto district = world_->districts[4];
    const auto test_station = subtree(world_->districts[0]).front();
    const Box box = box_of(district, 0.001);
    FakeClock clock{*parse_time("2026-10-14T09:00:00+07:00")};
    const auto r = resolver();
    const AlertPlanner planner{r, clock, {{test_station}, {"vi"}}};

    const auto actual = planner.plan(
        parse(alert_xml("AG-A", "Actual", fmt::format("<polygon>{}</polygon>", ring_text(box)))));
    ASSERT_TRUE(actual) << actual.error().message;
    EXPECT_EQ(actual->stations, subtree(district));
    ASSERT_EQ(actual->areas.size(), 1U);
    EXPECT_EQ(actual->areas[0].path, "info[1].area[1]");
    EXPECT_EQ(actual->areas[0].by_polygon, subtree(district));

    const auto drill = planner.plan(
        parse(alert_xml("AG-E", "Exercise", fmt::format("<polygon>{}</polygon>", ring_text(box)))));
    ASSERT_TRUE(drill) << drill.error().message;
    EXPECT_TRUE(drill->exercise);
    EXPECT_EQ(drill->stations, std::vector<std::string>{test_station});
    EXPECT_EQ(drill->area_stations, subtree(district));
}

TEST_F(ClusterAreasTest, SelfCrossingPolygonIsRefusedByName) {
    FakeClock clock{*parse_time("2026-10-14T09:00:00+07:00")};
    const auto r = resolver();
    const AlertPlanner planner{r, clock, {{}, {"vi"}}};
    const auto bow_tie = planner.plan(parse(
        alert_xml("AG-X", "Actual",
                  "<polygon>10.3,105.0 10.5,105.2 10.3,105.2 10.5,105.0 10.3,105.0</polygon>")));
    ASSERT_FALSE(bow_tie);
    EXPECT_THAT(bow_tie.error().message,
                StartsWith("info[1].area[1].polygon[1]: not a simple polygon: Self-intersection"));
}

TEST_F(ClusterAreasTest, SpecificationExamplesStillReachNoStation) {
    const auto r = resolver();
    for (const char* name : {"cap-a2-thunderstorm.xml", "cap-a3-earthquake-update.xml",
                             "cap-a4-amber-two-languages.xml"}) {
        const auto alert = parse(read_source_file(std::string{"tests/alerting/data/"} + name));
        const auto ids = r.stations_for(alert);
        ASSERT_FALSE(ids) << name;
        EXPECT_THAT(ids.error().message, StartsWith("no station is in the area")) << name;
    }
}

}  // namespace
}  // namespace loa::alerting
