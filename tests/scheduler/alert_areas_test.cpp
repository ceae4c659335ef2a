// CAP polygons and circles through POST /api/v1/alerts (issue 6): the An Giang units with the
// synthetic demo geography's loudspeaker clusters (loa::coverage, seed 2019) imported through
// the API, and station positions from the station CSV. The expected stations are computed here
// from the cluster positions alone (a box test, a haversine written out again), and checked
// against the answer and against the EMERGENCY items of the stored timelines.
#include "loa/common/sqlite.hpp"
#include "loa/coverage/demo_geography.hpp"
#include "loa/coverage/geo_import.hpp"
#include "loa/scheduler/auth_store.hpp"
#include "loa/scheduler/http_api.hpp"
#include "loa/scheduler/planner.hpp"
#include "loa/scheduler/scheduler_store.hpp"
#include "test_support.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <numbers>

using namespace loa;
using namespace loa::scheduler;
using nlohmann::json;

namespace {

class NullLink final : public ILinkEvents {
public:
    void station_registered(const std::string&, const std::string&) override {}
    void timelines_changed(const std::vector<std::string>&) override {}
};

struct Answer {
    int status = 0;
    json body;
};

struct Point {
    double lat = 0;
    double lon = 0;
};

struct Box {
    double lat_min = 90, lat_max = -90, lon_min = 180, lon_max = -180;
    bool holds(const Point& p) const {
        return p.lat >= lat_min && p.lat <= lat_max && p.lon >= lon_min && p.lon <= lon_max;
    }
    std::string polygon() const {
        return fmt::format("<polygon>{0},{1} {0},{2} {3},{2} {3},{1} {0},{1}</polygon>", lat_min,
                           lon_min, lon_max, lat_max);
    }
};

double km_between(Point a, Point b) {
    constexpr double kR = 6371.0088;
    const auto rad = [](double d) { return d * std::numbers::pi / 180; };
    const double s1 = std::sin(rad(b.lat - a.lat) / 2);
    const double s2 = std::sin(rad(b.lon - a.lon) / 2);
    const double h = s1 * s1 + std::cos(rad(a.lat)) * std::cos(rad(b.lat)) * s2 * s2;
    return 2 * kR * std::asin(std::sqrt(h));
}

std::string source_file(const std::string& relative) {
    return test::read_file(std::string{LOA_SOURCE_DIR} + "/" + relative);
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

// The demo geography, made once for the suite (about a second of CPU).
struct Geography {
    std::vector<coverage::DemoUnit> units;
    std::vector<coverage::Cluster> clusters;
    std::vector<std::string> districts;
};

class AlertAreasTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        auto units = coverage::parse_demo_units(source_file("data/angiang-2019-admin-units.csv"));
        ASSERT_TRUE(units) << units.error().message;
        auto geo = coverage::make_demo_geography(*units, coverage::DemoOptions{});
        ASSERT_TRUE(geo) << geo.error().message;
        geo_ = std::make_unique<Geography>();
        geo_->units = *units;
        geo_->clusters = geo->clusters;
        for (const auto& u : *units) {
            if (u.level == "district") {
                geo_->districts.push_back(u.code);
            }
        }
    }
    static void TearDownTestSuite() { geo_.reset(); }
    static inline std::unique_ptr<Geography> geo_;

    explicit AlertAreasTest(TimePoint start = *parse_time("2026-10-14T09:00:00+07:00"))
        : clock{start}, assets{dir.path()} {
        HttpApiOptions options;
        options.listen = "127.0.0.1:0";
        options.database = db_path();
        options.auth.pwhash_opslimit = 1;
        options.auth.pwhash_memlimit = 8192;
        options.emergency.test_stations = {"30280"};
        PlannerOptions plan;
        plan.database = db_path();
        planner = std::make_unique<Planner>(plan, clock, link);
        api = std::make_unique<HttpApi>(options, keys, assets, link, *planner, clock);
        api->start();
        client = std::make_unique<httplib::Client>("127.0.0.1", api->port());
        client->set_read_timeout(30, 0);
        {
            AuthStore auth{db_path(), clock, options.auth};
            EXPECT_TRUE(auth.add_user(NewUser{"root", "", Role::admin, ""}, "correct horse battery",
                                      Actor{"test", "local"}));
            root =
                auth.issue_api_token("root", "test", std::nullopt, Actor{"test", "local"})->token;
        }
        const auto units = call("POST", "/api/v1/units/import",
                                source_file("data/angiang-2019-admin-units.csv"), "text/csv");
        EXPECT_EQ(units.status, 200) << units.body.dump();
        const auto clusters = call("POST", "/api/v1/coverage/clusters",
                                   coverage::to_cluster_csv(geo_->clusters), "text/csv");
        EXPECT_EQ(clusters.status, 200) << clusters.body.dump();
    }

    std::string db_path() const { return (dir.path() / "scheduler.db").string(); }

    Answer call(const std::string& method, const std::string& path, const std::string& body = "",
                const char* type = "application/json") {
        httplib::Headers headers{{"Authorization", "Bearer " + root}};
        auto res =
            method == "GET" ? client->Get(path, headers) : client->Post(path, headers, body, type);
        EXPECT_TRUE(res) << "no answer to " << method << " " << path;
        if (!res) {
            return {};
        }
        return Answer{res->status,
                      res->body.empty() ? json{} : json::parse(res->body, nullptr, false)};
    }

    Answer post_alert(const std::string& xml) {
        return call("POST", "/api/v1/alerts", xml, "application/cap+xml");
    }

    std::int64_t count(const std::string& table) {
        sqlite::Database db{db_path()};
        sqlite::Statement s{db, "SELECT count(*) FROM " + table};
        s.step();
        return s.int64(0);
    }
    std::vector<std::int64_t> counts() {
        return {count("entries"), count("emergency_sessions"), count("cap_alerts"),
                count("audit_log"), count("assets")};
    }

    // Stations whose stored timeline holds an EMERGENCY item, sorted.
    std::vector<std::string> stations_with_emergency() {
        SchedulerStore store{db_path()};
        std::vector<std::string> out;
        for (const auto& s : store.list_stations()) {
            const auto latest = store.latest_timeline(s.id);
            wire::Timeline t;
            if (!latest || !t.ParseFromString(latest->timeline)) {
                continue;
            }
            if (std::any_of(t.items().begin(), t.items().end(), [](const wire::TimelineItem& i) {
                    return i.priority() == wire::EMERGENCY;
                })) {
                out.push_back(s.id);
            }
        }
        std::sort(out.begin(), out.end());
        return out;
    }

    // Stations that have a cluster for which `inside` holds, sorted and unique.
    template <typename F>
    static std::vector<std::string> stations_with_cluster(F inside) {
        std::vector<std::string> out;
        for (const auto& c : geo_->clusters) {
            if (inside(Point{c.lat, c.lon})) {
                out.push_back(c.station_id);
            }
        }
        std::sort(out.begin(), out.end());
        out.erase(std::unique(out.begin(), out.end()), out.end());
        return out;
    }

    // The box around every cluster of the stations of `district` and its communes.
    static Box box_of(const std::string& district) {
        std::map<std::string, std::string> parent;
        for (const auto& u : geo_->units) {
            parent[u.code] = u.parent_code;
        }
        Box b;
        for (const auto& c : geo_->clusters) {
            if (c.station_id == district || parent[c.station_id] == district) {
                b.lat_min = std::min(b.lat_min, c.lat - 0.001);
                b.lat_max = std::max(b.lat_max, c.lat + 0.001);
                b.lon_min = std::min(b.lon_min, c.lon - 0.001);
                b.lon_max = std::max(b.lon_max, c.lon + 0.001);
            }
        }
        return b;
    }

    static std::vector<std::string> district_and_communes(const std::string& district) {
        std::vector<std::string> out;
        for (const auto& u : geo_->units) {
            if (u.code == district || u.parent_code == district) {
                out.push_back(u.code);
            }
        }
        std::sort(out.begin(), out.end());
        return out;
    }

    static std::vector<std::string> strings(const json& j) {
        return j.is_array() ? j.get<std::vector<std::string>>() : std::vector<std::string>{};
    }

    test::TempDir dir;
    FakeClock clock;
    SchedulerKeys keys{transport::CurveKeyPair::generate(), protocol::SigningKeyPair::generate()};
    NullLink link;
    AssetLibrary assets;
    std::unique_ptr<Planner> planner;
    std::unique_ptr<HttpApi> api;
    std::unique_ptr<httplib::Client> client;
    std::string root;
};

TEST_F(AlertAreasTest, PolygonAroundADistrictReachesExactlyItsStations) {
    // Not the first district: the province station's clusters stand over its seat.
    const auto district = geo_->districts[3];
    const Box box = box_of(district);
    const auto expected = stations_with_cluster([&](const Point& p) { return box.holds(p); });
    ASSERT_EQ(expected, district_and_communes(district));  // the districts lie apart

    auto a = post_alert(alert_xml("AG-POLY-1", "Actual", box.polygon()));
    ASSERT_EQ(a.status, 201) << a.body.dump();
    EXPECT_EQ(strings(a.body["alert"]["stations"]), expected);
    EXPECT_EQ(strings(a.body["area_stations"]), expected);
    ASSERT_EQ(a.body["areas"].size(), 1U);
    EXPECT_EQ(a.body["areas"][0]["area"], "info[1].area[1]");
    EXPECT_EQ(a.body["areas"][0]["description"], "Vùng cảnh báo");
    EXPECT_EQ(strings(a.body["areas"][0]["matched_by"]["polygon"]), expected);
    EXPECT_FALSE(a.body["areas"][0]["matched_by"].contains("geocode"));
    EXPECT_EQ(a.body["notes"], json::array()) << "clusters are stored: no note about positions";
    EXPECT_EQ(stations_with_emergency(), expected);
}

TEST_F(AlertAreasTest, CircleAroundACommuneClusterReachesItAndNeighboursWithinTheRadius) {
    const auto communes = district_and_communes(geo_->districts[6]);
    const auto commune = communes.back();
    const auto it =
        std::find_if(geo_->clusters.begin(), geo_->clusters.end(),
                     [&](const coverage::Cluster& c) { return c.station_id == commune; });
    ASSERT_NE(it, geo_->clusters.end());
    const Point centre{it->lat, it->lon};
    constexpr double kRadiusKm = 4.0;
    const auto expected =
        stations_with_cluster([&](const Point& p) { return km_between(centre, p) <= kRadiusKm; });
    ASSERT_GT(expected.size(), 1U);  // neighbours are within reach, not only the commune
    ASSERT_NE(std::find(expected.begin(), expected.end(), commune), expected.end());

    auto a = post_alert(
        alert_xml("AG-CIRCLE-1", "Actual",
                  fmt::format("<circle>{},{} {}</circle>", centre.lat, centre.lon, kRadiusKm)));
    ASSERT_EQ(a.status, 201) << a.body.dump();
    EXPECT_EQ(strings(a.body["alert"]["stations"]), expected);
    EXPECT_EQ(strings(a.body["areas"][0]["matched_by"]["circle"]), expected);
    EXPECT_EQ(stations_with_emergency(), expected);
}

TEST_F(AlertAreasTest, AStationsOwnPositionFromTheCsvCountsToo) {
    // Station 89 (the province) placed far from every cluster, with its zones as they were.
    const Point far{10.90, 105.58};
    ASSERT_TRUE(
        stations_with_cluster([&](const Point& p) { return km_between(far, p) <= 0.5; }).empty());
    const auto imported = call(
        "POST", "/api/v1/stations/import",
        fmt::format("station_id,unit_code,lat,lon\n89,89,{},{}\n", far.lat, far.lon), "text/csv");
    ASSERT_EQ(imported.status, 200) << imported.body.dump();
    auto a = post_alert(alert_xml("AG-CIRCLE-2", "Actual",
                                  fmt::format("<circle>{},{} 0.5</circle>", far.lat, far.lon)));
    ASSERT_EQ(a.status, 201) << a.body.dump();
    EXPECT_EQ(strings(a.body["alert"]["stations"]), std::vector<std::string>{"89"});
    EXPECT_EQ(strings(a.body["areas"][0]["matched_by"]["circle"]), std::vector<std::string>{"89"});

    // A bad position is refused by line and changes nothing.
    const auto before = counts();
    const auto bad =
        call("POST", "/api/v1/stations/import",
             "station_id,unit_code,lat,lon\n89,89,10.5,\n883,883,95,105\n", "text/csv");
    EXPECT_EQ(bad.status, 400) << bad.body.dump();
    EXPECT_NE(bad.body.dump().find("lat is given without lon"), std::string::npos) << bad.body;
    EXPECT_NE(bad.body.dump().find("lat 95 is outside -90..90"), std::string::npos) << bad.body;
    EXPECT_EQ(counts(), before);
    SchedulerStore store{db_path()};
    const auto stations = store.list_planned_stations();
    const auto p = std::find_if(stations.begin(), stations.end(),
                                [](const Station& s) { return s.id == "89"; });
    ASSERT_NE(p, stations.end());
    ASSERT_TRUE(p->position.has_value());
    EXPECT_DOUBLE_EQ(p->position->lat, far.lat);
}

TEST_F(AlertAreasTest, MixedAreaSaysHowEachStationMatched) {
    const auto district = geo_->districts[8];
    const Box box = box_of(district);
    auto a = post_alert(alert_xml(
        "AG-MIXED", "Actual",
        box.polygon() + "<geocode><valueName>GSO</valueName><value>30280</value></geocode>"));
    ASSERT_EQ(a.status, 201) << a.body.dump();
    const auto& by = a.body["areas"][0]["matched_by"];
    EXPECT_EQ(strings(by["geocode"]), std::vector<std::string>{"30280"});
    EXPECT_EQ(strings(by["polygon"]), district_and_communes(district));
    auto all = district_and_communes(district);
    all.push_back("30280");
    std::sort(all.begin(), all.end());
    EXPECT_EQ(strings(a.body["areas"][0]["stations"]), all);
    EXPECT_EQ(stations_with_emergency(), all);
}

TEST_F(AlertAreasTest, ExerciseWithAPolygonGoesToTheTestStationOnly) {
    const auto district = geo_->districts[5];
    auto a = post_alert(alert_xml("AG-DRILL-P", "Exercise", box_of(district).polygon()));
    ASSERT_EQ(a.status, 201) << a.body.dump();
    EXPECT_EQ(strings(a.body["alert"]["stations"]), std::vector<std::string>{"30280"});
    EXPECT_EQ(strings(a.body["area_stations"]), district_and_communes(district));
    EXPECT_EQ(stations_with_emergency(), std::vector<std::string>{"30280"});
}

TEST_F(AlertAreasTest, CancelOfAPolygonAlertStopsIt) {
    const auto district = geo_->districts[2];
    auto a = post_alert(alert_xml("AG-POLY-2", "Actual", box_of(district).polygon()));
    ASSERT_EQ(a.status, 201) << a.body.dump();
    ASSERT_EQ(stations_with_emergency(), district_and_communes(district));
    const auto session = a.body["session"]["id"].get<std::int64_t>();

    auto cancel = post_alert(
        R"(<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>AG-POLY-2-CANCEL</identifier><sender>pctt@angiang.gov.vn</sender>
  <sent>2026-10-14T08:45:00+07:00</sent><status>Actual</status><msgType>Cancel</msgType>
  <scope>Public</scope>
  <references>pctt@angiang.gov.vn,AG-POLY-2,2026-10-14T08:30:00+07:00</references>
</alert>)");
    ASSERT_EQ(cancel.status, 201) << cancel.body.dump();
    EXPECT_EQ(cancel.body["alert"]["stopped_sessions"], json({session}));
    EXPECT_TRUE(stations_with_emergency().empty());
    EXPECT_EQ(call("GET", "/api/v1/emergency/" + std::to_string(session)).body["state"], "stopped");
}

TEST_F(AlertAreasTest, SelfCrossingPolygonIsA4xxAndChangesNothing) {
    const auto before = counts();
    auto a = post_alert(
        alert_xml("AG-BOWTIE", "Actual",
                  "<polygon>10.3,105.0 10.5,105.2 10.3,105.2 10.5,105.0 10.3,105.0</polygon>"));
    EXPECT_GE(a.status, 400);
    EXPECT_LT(a.status, 500);
    const std::string error = a.body.value("error", "");
    EXPECT_NE(error.find("info[1].area[1].polygon[1]: not a simple polygon: Self-intersection"),
              std::string::npos)
        << a.body.dump();
    EXPECT_EQ(counts(), before);
    EXPECT_TRUE(stations_with_emergency().empty());
}

// The CAP 1.2 appendix A examples (2003, the United States) reach no station, clusters or not.
class AlertAreasIn2003Test : public AlertAreasTest {
protected:
    AlertAreasIn2003Test() : AlertAreasTest{*parse_time("2003-06-17T15:00:00-07:00")} {}
};

TEST_F(AlertAreasIn2003Test, SpecificationExamplesStillReachNoStation) {
    const auto before = counts();
    for (const auto* name : {"cap-a2-thunderstorm.xml", "cap-a3-earthquake-update.xml",
                             "cap-a4-amber-two-languages.xml"}) {
        auto a = post_alert(source_file(std::string{"tests/alerting/data/"} + name));
        EXPECT_EQ(a.status, 422) << name;
        const std::string error = a.body.value("error", "");
        EXPECT_EQ(error.rfind("no station is in the area (", 0), 0U) << name << ": " << error;
        EXPECT_NE(error.find("nothing airs"), std::string::npos) << error;
        EXPECT_EQ(error.find("no station has a position"), std::string::npos) << error;
    }
    EXPECT_EQ(counts(), before);
    EXPECT_TRUE(stations_with_emergency().empty());
}

}  // namespace
