#include "loa/alerting/area_resolver.hpp"

#include "angiang_fixture.hpp"
#include "loa/alerting/cap_parser.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace loa::alerting {
namespace {

using test::AnGiang;
using test::read_source_file;
using ::testing::HasSubstr;
using ::testing::StartsWith;

Alert parse_file(const std::string& name) {
    auto r = CapParser{}.parse(read_source_file("tests/alerting/data/" + name));
    if (!r.ok()) {
        ADD_FAILURE() << name << ": " << r.error().message;
        return {};
    }
    return std::move(r).value();
}

Area geocode_area(const std::string& scheme, const std::string& code) {
    Area a;
    a.description = "test";
    a.geocodes.push_back({scheme, code});
    return a;
}

TEST(AreaResolver, FixtureIsTheWholeProvince) {
    const AnGiang ag;
    EXPECT_EQ(ag.stations.size(), 168U);
    EXPECT_EQ(ag.districts.size(), 11U);
    EXPECT_EQ(ag.subtree("883").size(), 14U);  // Long Xuyên and its 13 communes
}

TEST(AreaResolver, GeocodesSelectUnitSubtrees) {
    const AnGiang ag;
    const auto resolver = ag.resolver();
    const auto province = resolver.stations_in(geocode_area("GSO", "89"));
    ASSERT_TRUE(province.ok()) << province.error().message;
    EXPECT_EQ(province->size(), 168U);

    const auto district = resolver.stations_in(geocode_area("GSO", "883"));
    ASSERT_TRUE(district.ok()) << district.error().message;
    EXPECT_EQ(*district, ag.subtree("883"));
    EXPECT_EQ(district->size(), 14U);

    const auto commune = resolver.stations_in(geocode_area("vn-gso", "30280"));
    ASSERT_TRUE(commune.ok()) << commune.error().message;
    EXPECT_EQ(*commune, std::vector<std::string>{"30280"});
}

TEST(AreaResolver, OtherSchemesSelectNothingAndUnknownCodesAreErrors) {
    const AnGiang ag;
    const auto resolver = ag.resolver();
    const auto same = resolver.stations_in(geocode_area("SAME", "883"));
    ASSERT_TRUE(same.ok());
    EXPECT_TRUE(same->empty());
    const auto unknown = resolver.stations_in(geocode_area("GSO", "99999"), "info[1].area[3]");
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().message,
              "info[1].area[3].geocode[1]: GSO code '99999' is not a known admin unit");
}

TEST(AreaResolver, PolygonOverADistrictSelectsExactlyItsStations) {
    const AnGiang ag;
    const auto alert = parse_file("angiang-polygon.xml");
    const auto ids = ag.resolver().stations_for(alert);
    ASSERT_TRUE(ids.ok()) << ids.error().message;
    EXPECT_EQ(*ids, ag.subtree("883"));
}

TEST(AreaResolver, PolygonBoundaryCountsAsInside) {
    const AnGiang ag;
    const LatLon p = *ag.station("30280").position;
    Area a;
    a.polygons.push_back({{p.lat, p.lon},
                          {p.lat, p.lon + 0.005},
                          {p.lat - 0.005, p.lon + 0.005},
                          {p.lat - 0.005, p.lon},
                          {p.lat, p.lon}});
    const auto ids = ag.resolver().stations_in(a);
    ASSERT_TRUE(ids.ok()) << ids.error().message;
    EXPECT_EQ(*ids, std::vector<std::string>{"30280"});
}

TEST(AreaResolver, SelfCrossingPolygonIsAnError) {
    const AnGiang ag;
    Area a;
    a.polygons.push_back({{10, 104}, {11, 105}, {10, 105}, {11, 104}, {10, 104}});  // a bow tie
    const auto r = ag.resolver().stations_in(a, "info[1].area[1]");
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.error().message, StartsWith("info[1].area[1].polygon[1]: not a simple polygon"));
}

TEST(AreaResolver, CircleUsesGreatCircleDistance) {
    const AnGiang ag;
    const auto resolver = ag.resolver();
    const LatLon c = *ag.station("30280").position;
    Area small;
    small.circles.push_back({c, 0.5});
    const auto one = resolver.stations_in(small);
    ASSERT_TRUE(one.ok());
    EXPECT_EQ(*one, std::vector<std::string>{"30280"});

    // Neighbours on the 0.012-degree grid are 1.33 km (north-south) away at this latitude.
    EXPECT_NEAR(AreaResolver::distance_km(c, {c.lat + 0.012, c.lon}), 1.334, 0.002);
    Area wider;
    wider.circles.push_back({c, 1.4});
    const auto some = resolver.stations_in(wider);
    ASSERT_TRUE(some.ok());
    EXPECT_EQ(some->size(), 3U);  // itself, the next one north and the next one east
    // One degree along the equator is 2 pi R / 360; Hanoi to Ho Chi Minh City by the spherical
    // law of cosines is 1143.51 km.
    EXPECT_NEAR(AreaResolver::distance_km({0, 0}, {0, 1}), 111.195, 0.001);
    EXPECT_NEAR(AreaResolver::distance_km({21.0285, 105.8542}, {10.7769, 106.7009}), 1143.51, 0.01);
}

TEST(AreaResolver, AppendixExamplesReachNoAnGiangStation) {
    const AnGiang ag;
    const auto resolver = ag.resolver();
    for (const char* name : {"cap-a2-thunderstorm.xml", "cap-a3-earthquake-update.xml",
                             "cap-a4-amber-two-languages.xml"}) {
        const auto r = resolver.stations_for(parse_file(name));
        ASSERT_FALSE(r.ok()) << name;
        EXPECT_THAT(r.error().message, StartsWith("no station is in the area")) << name;
    }
    const auto r = resolver.stations_for(parse_file("cap-a4-amber-two-languages.xml"));
    EXPECT_THAT(r.error().message, HasSubstr("Los Angeles County"));
}

TEST(AreaResolver, AlertAreasAreUnitedAcrossGeocodes) {
    const AnGiang ag;
    const auto ids = ag.resolver().stations_for(parse_file("angiang-flood-district.xml"));
    ASSERT_TRUE(ids.ok()) << ids.error().message;
    auto expected = ag.subtree("883");
    expected.push_back("30322");  // Vĩnh Mỹ, Châu Đốc
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(*ids, expected);
}

TEST(AreaResolver, StationsWithoutPositionAreFoundByCodeOnly) {
    std::vector<StationSite> stations{{"a", "1", std::nullopt, {}},
                                      {"b", "2", LatLon{10, 105}, {}}};
    const AreaResolver resolver{stations, {{"1", ""}, {"2", "1"}}};
    Area circle;
    circle.circles.push_back({{10, 105}, 1});
    EXPECT_EQ(*resolver.stations_in(circle), std::vector<std::string>{"b"});
    EXPECT_EQ(*resolver.stations_in(geocode_area("GSO", "1")),
              (std::vector<std::string>{"a", "b"}));
}

TEST(AreaResolver, CycleInTheUnitMapDoesNotHang) {
    std::vector<StationSite> stations{{"a", "1", std::nullopt, {}}};
    const AreaResolver resolver{stations, {{"1", "2"}, {"2", "1"}}};
    EXPECT_EQ(*resolver.stations_in(geocode_area("GSO", "2")), std::vector<std::string>{"a"});
}

}  // namespace
}  // namespace loa::alerting
