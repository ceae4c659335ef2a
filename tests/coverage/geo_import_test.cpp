#include "loa/coverage/geo_import.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace loa::coverage {
namespace {

std::vector<std::string> texts(const std::vector<ImportError>& errors) {
    std::vector<std::string> out;
    for (const auto& e : errors) {
        out.push_back(e.to_string());
    }
    return out;
}

bool has(const std::vector<ImportError>& errors, const std::string& text) {
    const auto all = texts(errors);
    return std::find(all.begin(), all.end(), text) != all.end();
}

TEST(ClusterCsv, ReadsEveryColumnAndWritesTheSameBack) {
    const std::string csv =
        "id,station_id,zone,lon,lat,horns,power_w,reach_m\n"
        "30280-c01,30280,main,105.4312,10.3871,2,60,210\n"
        "30280-c02,30280,,105.4401,10.3902,4,\"200\",350.5\r\n"
        "\n"
        "883-c01,883,market,105.43,10.38,3,150,300\n";
    const ClusterImport result = parse_cluster_csv(csv);
    ASSERT_TRUE(result.ok()) << join_errors(result.errors);
    ASSERT_EQ(result.clusters.size(), 3U);
    EXPECT_EQ(result.clusters[0],
              (Cluster{"30280-c01", "30280", "main", 105.4312, 10.3871, 2, 60.0, 210.0}));
    EXPECT_EQ(result.clusters[1].zone, "main");  // empty means main
    EXPECT_EQ(result.clusters[1].reach_m, 350.5);
    EXPECT_EQ(result.clusters[2].zone, "market");

    const ClusterImport again = parse_cluster_csv(to_cluster_csv(result.clusters));
    ASSERT_TRUE(again.ok()) << join_errors(again.errors);
    EXPECT_EQ(again.clusters, result.clusters);
}

TEST(ClusterCsv, ReportsEveryProblemWithItsLineAndKeepsNothing) {
    const std::string csv =
        "id,station_id,zone,lon,lat,horns,power_w,reach_m\n"
        "c1,s1,main,105.1,10.5,2,60,200\n"
        "c2,s1,main,105.1,10.5,2,60,-5\n"
        "c1,s1,main,105.1,10.5,2,60,200\n"
        "c3,s 1,main,205.1,ten,0,-1,200\n"
        "c4,s1,main,105.1,10.5,2,60\n"
        "c5,s1,zone one,105.1,10.5,2.5,60,30000\n"
        "c6,s1,main,105.1,10.5,2,60,\n";
    const ClusterImport result = parse_cluster_csv(csv);
    EXPECT_FALSE(result.ok());
    EXPECT_TRUE(result.clusters.empty());
    const std::vector<std::string> expected{
        "line 3: reach_m -5 is not a positive number",
        "line 4: id c1 is already on line 2",
        "line 5: station_id 's 1' is not 1-64 letters, digits, '-', '_' or '.'",
        "line 5: horns 0 is not a whole number from 1 to 1000",
        "line 5: power_w -1 is not a positive number",
        "line 5: lon 205.1 is not in [-180, 180]",
        "line 5: lat 'ten' is not a number",
        "line 6: has 7 fields, the header has 8",
        "line 7: zone 'zone one' is not 1-32 letters, digits, '-' or '_'",
        "line 7: horns 2.5 is not a whole number from 1 to 1000",
        "line 7: reach_m 30000 is more than 20000",
        "line 8: reach_m is missing",
    };
    auto got = texts(result.errors);
    std::stable_sort(got.begin(), got.end(), [](const std::string& a, const std::string& b) {
        return std::stoi(a.substr(5)) < std::stoi(b.substr(5));
    });
    EXPECT_EQ(got, expected);
}

TEST(ClusterCsv, AMissingColumnIsNamed) {
    const ClusterImport result = parse_cluster_csv("id,station_id,lon,lat,horns,power_w\n");
    EXPECT_TRUE(has(result.errors, "line 1: missing column 'zone'"));
    EXPECT_TRUE(has(result.errors, "line 1: missing column 'reach_m'"));
    EXPECT_TRUE(parse_cluster_csv("").errors.size() == 1);
}

TEST(AreaCsv, ReadsPointsAndPolygonsAndWritesTheSameBack) {
    const std::string csv =
        "id,unit_code,name,households,lon,lat,wkt\n"
        "30280-01,30280,\"Khóm Bình Thới, 1\",420,105.4312,10.3871,\n"
        "30280-02,30280,Khóm 2,150,,,\"POLYGON ((105.43 10.38, 105.44 10.38, 105.44 10.39, "
        "105.43 10.39, 105.43 10.38))\"\n"
        "30280-03,30280,Khóm 3,0,,,\"MULTIPOLYGON (((105.45 10.38, 105.46 10.38, 105.46 10.39, "
        "105.45 10.38)), ((105.47 10.38, 105.48 10.38, 105.48 10.39, 105.47 10.38)))\"\n"
        "30280-04,30280,Khóm 4,80,,,POINT (105.42 10.37)\n";
    const AreaImport result = parse_area_csv(csv);
    ASSERT_TRUE(result.ok()) << join_errors(result.errors);
    ASSERT_EQ(result.areas.size(), 4U);
    EXPECT_EQ(result.areas[0].name, "Khóm Bình Thới, 1");
    EXPECT_EQ(result.areas[0].shape, AreaShape{(LonLat{105.4312, 10.3871})});
    ASSERT_FALSE(result.areas[1].is_point());
    const auto& square = std::get<std::vector<Polygon>>(result.areas[1].shape);
    ASSERT_EQ(square.size(), 1U);
    EXPECT_EQ(square[0].outer.size(), 5U);
    EXPECT_EQ(square[0].outer[2], (LonLat{105.44, 10.39}));
    EXPECT_EQ(std::get<std::vector<Polygon>>(result.areas[2].shape).size(), 2U);
    EXPECT_EQ(result.areas[3].shape, AreaShape{(LonLat{105.42, 10.37})});

    const AreaImport again = parse_area_csv(to_area_csv(result.areas));
    ASSERT_TRUE(again.ok()) << join_errors(again.errors);
    EXPECT_EQ(again.areas, result.areas);
}

TEST(AreaCsv, ReportsBadShapesAndValuesWithTheirLine) {
    const std::string csv =
        "id,unit_code,name,households,lon,lat,wkt\n"
        "h1,30280,A,-3,105.1,10.5,\n"
        "h2,30280,B,100,,,\"LINESTRING (105 10, 106 11)\"\n"
        "h3,30280,C,100,,,\"POLYGON ((0 0, 1 1, 1 0, 0 1, 0 0))\"\n"
        "h4,30280,D,100,,,\n"
        "h5,30280,E,100,105.1,10.5,POINT (105.1 10.5)\n"
        "h6,30280,F,100,,,\"POLYGON ((0 0, 1 0\"\n"
        "h7,,G,100,105.1,10.5,\n";
    const AreaImport result = parse_area_csv(csv);
    EXPECT_TRUE(result.areas.empty());
    const auto got = texts(result.errors);
    EXPECT_TRUE(has(result.errors, "line 2: households -3 is not a whole number from 0 to 1000000"))
        << join_errors(result.errors);
    EXPECT_TRUE(
        has(result.errors, "line 3: wkt is a LineString, not a POINT, POLYGON or MULTIPOLYGON"))
        << join_errors(result.errors);
    EXPECT_TRUE(std::any_of(got.begin(), got.end(), [](const std::string& s) {
        return s.starts_with("line 4: wkt: the polygon is not valid: Self-intersection");
    })) << join_errors(result.errors);
    EXPECT_TRUE(has(result.errors, "line 5: neither lon and lat nor wkt is given"));
    EXPECT_TRUE(has(result.errors, "line 6: both lon/lat and wkt are given; give one of them"));
    EXPECT_TRUE(std::any_of(got.begin(), got.end(), [](const std::string& s) {
        return s.starts_with("line 7: wkt is not valid WKT");
    })) << join_errors(result.errors);
    EXPECT_TRUE(has(result.errors, "line 8: unit_code is missing"));
    EXPECT_EQ(result.errors.size(), 7U) << join_errors(result.errors);
}

TEST(ClusterGeoJson, ReadsPointFeaturesAndReportsEachBadFeature) {
    const std::string good = R"({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [105.43, 10.38]},
         "properties": {"id": "c1", "station_id": "30280", "horns": 3, "power_w": 90,
                        "reach_m": "250"}}]})";
    const ClusterImport ok = parse_cluster_geojson(good);
    ASSERT_TRUE(ok.ok()) << join_errors(ok.errors);
    EXPECT_EQ(ok.clusters.front(), (Cluster{"c1", "30280", "main", 105.43, 10.38, 3, 90.0, 250.0}));

    const std::string bad = R"({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [105.43, 10.38]},
         "properties": {"id": "c1", "station_id": "30280", "horns": 3, "power_w": 90,
                        "reach_m": 250}},
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": []},
         "properties": {"id": "c2", "station_id": "30280", "horns": 3, "power_w": 90,
                        "reach_m": 250}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [105.43, 10.38]},
         "properties": {"id": "c1", "station_id": "30280", "horns": true, "power_w": 90,
                        "reach_m": -1}}]})";
    const ClusterImport result = parse_cluster_geojson(bad);
    EXPECT_TRUE(result.clusters.empty());
    EXPECT_EQ(texts(result.errors),
              (std::vector<std::string>{
                  "feature 2: geometry type Polygon is not a Point",
                  "feature 3: horns (a JSON boolean) is not a whole number from 1 to 1000",
                  "feature 3: reach_m -1 is not a positive number",
                  "feature 3: id c1 is already on feature 1",
              }));
}

TEST(AreaGeoJson, ReadsPolygonsAndReportsAWrongGeometryType) {
    const std::string json = R"({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates":
            [[[105.43, 10.38], [105.44, 10.38], [105.44, 10.39], [105.43, 10.38]]]},
         "properties": {"id": "h1", "unit_code": "30280", "name": "Ấp 1", "households": 320}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [105.41, 10.37]},
         "properties": {"id": "h2", "unit_code": "30280", "households": 120}}]})";
    const AreaImport ok = parse_area_geojson(json);
    ASSERT_TRUE(ok.ok()) << join_errors(ok.errors);
    ASSERT_EQ(ok.areas.size(), 2U);
    EXPECT_EQ(ok.areas[0].name, "Ấp 1");
    EXPECT_EQ(std::get<std::vector<Polygon>>(ok.areas[0].shape)[0].outer.size(), 4U);
    EXPECT_TRUE(ok.areas[1].is_point());

    const std::string bad = R"({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [105.41, 10.37]},
         "properties": {"id": "h1", "unit_code": "30280", "households": 120}},
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates":
            [[[105.43, 10.38], [105.44, 10.38], [105.44, 10.39]]]},
         "properties": {"id": "h2", "unit_code": "30280", "households": 120}},
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates":
            [[105.43, 10.38], [105.44, 10.38]]},
         "properties": {"id": "h3", "unit_code": "30280", "households": "many"}}]})";
    const AreaImport result = parse_area_geojson(bad);
    EXPECT_TRUE(result.areas.empty());
    EXPECT_EQ(texts(result.errors),
              (std::vector<std::string>{
                  "feature 2: polygon outer ring has 3 positions, at least 4 are needed",
                  "feature 3: geometry type LineString is not a Point or Polygon",
                  "feature 3: households many is not a whole number from 0 to 1000000",
              }));
}

TEST(AreaGeoJson, ADocumentThatIsNotAFeatureCollectionIsOneError) {
    const AreaImport not_json = parse_area_geojson("{\"type\": ");
    ASSERT_EQ(not_json.errors.size(), 1U);
    EXPECT_TRUE(not_json.errors[0].to_string().starts_with("the document is not JSON"));
    const AreaImport not_collection = parse_area_geojson(R"({"type": "Feature"})");
    EXPECT_EQ(texts(not_collection.errors),
              (std::vector<std::string>{"the document is not a GeoJSON FeatureCollection"}));
}

}  // namespace
}  // namespace loa::coverage
