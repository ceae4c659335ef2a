// Monitoring through the HTTP API (issue 5): status and events, coverage import and its drop
// and restore when an amplifier faults, alarms with a fake clock and a webhook, /metrics parsed,
// compliance with injected misses; every answer filtered by the user's scope.
#include "loa/common/sqlite.hpp"
#include "loa/monitoring/webhook_sender.hpp"
#include "loa/scheduler/auth_store.hpp"
#include "loa/scheduler/http_api.hpp"
#include "loa/scheduler/planner.hpp"
#include "loa/scheduler/scheduler_store.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

using namespace loa;
using namespace loa::scheduler;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

class NullLink final : public ILinkEvents {
public:
    void station_registered(const std::string&, const std::string&) override {}
    void timelines_changed(const std::vector<std::string>&) override {}
};

// Keeps every body posted; waits for a number of them with a timeout.
class RecordingSender final : public monitoring::IWebhookSender {
public:
    Status post(const std::string& body) override {
        std::lock_guard lock{mutex_};
        bodies_.push_back(json::parse(body));
        cv_.notify_all();
        return Status::success();
    }
    // Waits (5 s at most) until a body with this event and key came; answers every body.
    std::vector<json> wait_for(const std::string& event, const std::string& key) {
        std::unique_lock lock{mutex_};
        cv_.wait_for(lock, 5s, [&] {
            return std::any_of(bodies_.begin(), bodies_.end(), [&](const json& b) {
                return b["event"] == event && b["key"] == key;
            });
        });
        return bodies_;
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<json> bodies_;
};

constexpr const char* kUnits =
    "code,parent_code,name,level\nP,,Province,province\nD1,P,District 1,district\n"
    "C1,D1,Commune 1,commune\nC2,D1,Commune 2,commune\nD2,P,District 2,district\n"
    "C3,D2,Commune 3,commune\n";
constexpr const char* kStations =
    "station_id,unit_code,name,zones\nS1,C1,Station 1,main;market\nS2,C2,Station 2,main\n"
    "S3,C3,Station 3,main\n";
// H1 (100 households) under K1 (S1 main), H2 (50) under K2 (S1 market), H3 (200) under K3
// (S3 main), H4 (50) under nothing: installed 350 of 400.
constexpr const char* kClusters =
    "id,station_id,zone,lon,lat,horns,power_w,reach_m\nK1,S1,main,105.0,10.5,4,100,300\n"
    "K2,S1,market,105.01,10.5,2,50,300\nK3,S3,main,105.1,10.6,4,100,300\n";
constexpr const char* kHamlets =
    "id,unit_code,name,households,lon,lat\nH1,C1,Ấp 1,100,105.0,10.5\n"
    "H2,C1,Ấp 2,50,105.01,10.5\nH3,C3,Ấp 3,200,105.1,10.6\nH4,C2,Ấp 4,50,105.2,10.7\n";

struct Answer {
    int status = 0;
    json body;
    std::string text;
    std::string type;
};

class MonitoringApiTest : public ::testing::Test {
protected:
    MonitoringApiTest() : assets{dir.path()} {
        PlannerOptions plan;
        plan.database = db_path();
        planner = std::make_unique<Planner>(plan, clock, link);
        start_api(0s);  // requests evaluate; no "loa-monitor" thread
        root = make_user("root", Role::admin, "");
        c1 = make_user("c1", Role::commune_operator, "C1");
        EXPECT_EQ(
            call("POST", "/api/v1/units/import?stations=none", root, kUnits, "text/csv").status,
            200);
        EXPECT_EQ(call("POST", "/api/v1/stations/import", root, kStations, "text/csv").status, 200);
        store = std::make_unique<SchedulerStore>(db_path());
    }

    std::string db_path() const { return (dir.path() / "scheduler.db").string(); }

    void start_api(std::chrono::seconds evaluate_interval) {
        client.reset();
        api.reset();
        HttpApiOptions options;
        options.listen = "127.0.0.1:0";
        options.database = db_path();
        options.auth.pwhash_opslimit = 1;
        options.auth.pwhash_memlimit = 8192;
        options.monitoring.evaluate_interval = evaluate_interval;
        options.monitoring.coverage_threshold = 0.5;
        options.monitoring.webhook_sender = &sender;
        api = std::make_unique<HttpApi>(options, keys, assets, link, *planner, clock);
        api->start();
        client = std::make_unique<httplib::Client>("127.0.0.1", api->port());
        client->set_read_timeout(20, 0);
    }

    std::string make_user(const std::string& name, Role role, const std::string& scope) {
        AuthOptions o;
        o.pwhash_opslimit = 1;
        o.pwhash_memlimit = 8192;
        AuthStore auth{db_path(), clock, o};
        NewUser u{name, "", role, scope};
        EXPECT_TRUE(auth.add_user(u, "correct horse battery", Actor{"test", "local"}));
        const auto token = auth.issue_api_token(name, "test", std::nullopt, Actor{"test", "local"});
        return token ? token->token : std::string{};
    }

    Answer call(const std::string& method, const std::string& path, const std::string& token,
                const std::string& body = "", const char* type = "application/json") {
        httplib::Headers headers;
        if (!token.empty()) {
            headers.emplace("Authorization", "Bearer " + token);
        }
        auto res =
            method == "GET" ? client->Get(path, headers) : client->Post(path, headers, body, type);
        EXPECT_TRUE(res) << "no answer to " << method << " " << path;
        if (!res) {
            return {};
        }
        return Answer{res->status, json::parse(res->body, nullptr, false), res->body,
                      res->get_header_value("Content-Type")};
    }

    // Injects a heartbeat's telemetry: online, heard now, zones as given (zone -> fault text).
    void heartbeat(const std::string& station, const std::map<std::string, std::string>& zones,
                   std::int64_t offset_us = 2500, bool synced = true) {
        json z = json::array();
        for (const auto& [name, fault] : zones) {
            z.push_back(json{{"zone", name},
                             {"amplifier", fault.empty() ? "AMPLIFIER_ON" : "AMPLIFIER_FAULTED"},
                             {"fault", fault},
                             {"rms_dbfs", -20.0},
                             {"peak_dbfs", -3.0},
                             {"dead_air", false},
                             {"playing", true}});
        }
        StationHealth h;
        h.station_id = station;
        h.last_heartbeat_at_us = to_unix_us(clock.now());
        h.clock_offset_us = offset_us;
        h.clock_synced = synced;
        h.status_json = json{
            {"disk_free_bytes", 123456789},
            {"software_version", "1.2.3"},
            {"zones", z}}.dump();
        store->record_station_health(h);
        store->set_station_online(station, true, clock.now());
        store->touch_station(station, clock.now());
    }

    double working(const json& coverage, const std::string& code) {
        for (const auto& u : coverage["units"]) {
            if (u["code"] == code) {
                return u["households_working"].get<double>();
            }
        }
        ADD_FAILURE() << "no unit " << code << " in " << coverage.dump();
        return -1;
    }

    void import_coverage() {
        const auto k = call("POST", "/api/v1/coverage/clusters", root, kClusters, "text/csv");
        ASSERT_EQ(k.status, 200) << k.text;
        const auto h = call("POST", "/api/v1/coverage/hamlets", root, kHamlets, "text/csv");
        ASSERT_EQ(h.status, 200) << h.text;
    }

    test::TempDir dir;
    FakeClock clock{test::test_epoch() - 1h};
    NullLink link;
    RecordingSender sender;
    SchedulerKeys keys{transport::CurveKeyPair::generate(), protocol::SigningKeyPair::generate()};
    AssetLibrary assets;
    std::unique_ptr<Planner> planner;
    std::unique_ptr<HttpApi> api;
    std::unique_ptr<httplib::Client> client;
    std::unique_ptr<SchedulerStore> store;
    std::string root;
    std::string c1;
};

TEST_F(MonitoringApiTest, StatusShowsTelemetryPerStationAndCountsPerUnitWithinScope) {
    heartbeat("S1", {{"main", ""}, {"market", "speaker line open"}});
    heartbeat("S3", {{"main", ""}});
    clock.advance(40s);
    store->set_station_online("S3", false, clock.now() - 10s);

    EXPECT_EQ(call("GET", "/api/v1/status", "").status, 401);
    const auto all = call("GET", "/api/v1/status", root);
    ASSERT_EQ(all.status, 200) << all.text;
    EXPECT_EQ(all.body["totals"]["stations"], 3);
    EXPECT_EQ(all.body["totals"]["online"], 1);
    EXPECT_EQ(all.body["totals"]["offline"], 2);
    EXPECT_EQ(all.body["totals"]["zone_faults"], 1);
    json s1;
    json s3;
    for (const auto& s : all.body["stations"]) {
        if (s["id"] == "S1") {
            s1 = s;
        } else if (s["id"] == "S3") {
            s3 = s;
        }
    }
    EXPECT_EQ(s1["online"], true);
    EXPECT_EQ(s1["software_version"], "1.2.3");
    EXPECT_EQ(s1["disk_free_bytes"], 123456789);
    EXPECT_DOUBLE_EQ(s1["clock"]["offset_ms"].get<double>(), 2.5);
    EXPECT_EQ(s1["zones"][1]["zone"], "market");
    EXPECT_EQ(s1["zones"][1]["amplifier"], "AMPLIFIER_FAULTED");
    EXPECT_EQ(s1["zones"][1]["fault"], "speaker line open");
    EXPECT_EQ(s3["online"], false);
    EXPECT_EQ(s3["offline_since"], format_utc(clock.now() - 10s));
    bool saw_d1 = false;
    for (const auto& u : all.body["units"]) {
        if (u["code"] == "D1") {
            saw_d1 = true;
            EXPECT_EQ(u["stations"], 2);
            EXPECT_EQ(u["online"], 1);
        }
    }
    EXPECT_TRUE(saw_d1);

    const auto d2 = call("GET", "/api/v1/status?unit=D2", root);
    ASSERT_EQ(d2.status, 200);
    ASSERT_EQ(d2.body["stations"].size(), 1U);
    EXPECT_EQ(d2.body["stations"][0]["id"], "S3");
    EXPECT_EQ(call("GET", "/api/v1/status?unit=NOPE", root).status, 404);

    // A commune operator of C1 sees its own station only, and not another unit.
    const auto mine = call("GET", "/api/v1/status", c1);
    ASSERT_EQ(mine.status, 200);
    ASSERT_EQ(mine.body["stations"].size(), 1U);
    EXPECT_EQ(mine.body["stations"][0]["id"], "S1");
    EXPECT_EQ(call("GET", "/api/v1/status?unit=C3", c1).status, 403);
}

TEST_F(MonitoringApiTest, StationEventsAreListedOldestFirstAndScoped) {
    for (int i = 0; i < 3; ++i) {
        StationEventRow e{"S1",
                          "ev" + std::to_string(i),
                          i % 2 == 0 ? "AMPLIFIER_FAULT" : "AMPLIFIER_FAULT_CLEARED",
                          "main",
                          to_unix_us(clock.now() - std::chrono::minutes{10 - i}),
                          "overheat",
                          to_unix_us(clock.now())};
        ASSERT_TRUE(store->add_station_event(e));
    }
    const auto events = call("GET", "/api/v1/stations/S1/events", root);
    ASSERT_EQ(events.status, 200) << events.text;
    ASSERT_EQ(events.body.size(), 3U);
    EXPECT_EQ(events.body[0]["event_id"], "ev0");
    EXPECT_EQ(events.body[0]["kind"], "AMPLIFIER_FAULT");
    EXPECT_EQ(events.body[2]["event_id"], "ev2");
    EXPECT_EQ(call("GET", "/api/v1/stations/S1/events?limit=2", root).body.size(), 2U);
    EXPECT_EQ(call("GET", "/api/v1/stations/S1/events?limit=x", root).status, 400);
    EXPECT_EQ(call("GET", "/api/v1/stations/NOPE/events", root).status, 404);
    EXPECT_EQ(call("GET", "/api/v1/stations/S3/events", c1).status, 403);
    EXPECT_EQ(call("GET", "/api/v1/stations/S1/events", c1).status, 200);
}

TEST_F(MonitoringApiTest, CoverageImportIsAllOrNothingWithErrorsPerLine) {
    const std::string bad =
        "id,station_id,zone,lon,lat,horns,power_w,reach_m\nK1,S1,main,105.0,10.5,4,100,300\n"
        "K2,S1,main,105.0,10.5,4,100,-5\n";
    const auto refused = call("POST", "/api/v1/coverage/clusters", root, bad, "text/csv");
    EXPECT_EQ(refused.status, 400);
    ASSERT_EQ(refused.body["errors"].size(), 1U) << refused.text;
    EXPECT_NE(refused.body["errors"][0].get<std::string>().find("line 3"), std::string::npos);
    EXPECT_TRUE(store->list_clusters().empty());

    const std::string unknown =
        "id,station_id,zone,lon,lat,horns,power_w,reach_m\nK1,S9,main,105.0,10.5,4,100,300\n"
        "K2,S1,attic,105.0,10.5,4,100,300\n";
    const auto refused2 = call("POST", "/api/v1/coverage/clusters", root, unknown, "text/csv");
    EXPECT_EQ(refused2.status, 400);
    EXPECT_EQ(refused2.body["errors"].size(), 2U) << refused2.text;
    EXPECT_TRUE(store->list_clusters().empty());

    const auto hamlet_bad =
        call("POST", "/api/v1/coverage/hamlets", root,
             "id,unit_code,name,households,lon,lat\nH1,ZZ,x,10,105,10\n", "text/csv");
    EXPECT_EQ(hamlet_bad.status, 400);
    EXPECT_TRUE(store->list_hamlets().empty());
    EXPECT_EQ(call("POST", "/api/v1/coverage/clusters", c1, kClusters, "text/csv").status, 403);

    // GeoJSON works as well.
    const json geo{{"type", "FeatureCollection"},
                   {"features",
                    {{{"type", "Feature"},
                      {"geometry", {{"type", "Point"}, {"coordinates", {105.0, 10.5}}}},
                      {"properties",
                       {{"id", "G1"},
                        {"station_id", "S2"},
                        {"horns", 2},
                        {"power_w", 60},
                        {"reach_m", 250}}}}}}};
    const auto ok =
        call("POST", "/api/v1/coverage/clusters", root, geo.dump(), "application/geo+json");
    ASSERT_EQ(ok.status, 200) << ok.text;
    ASSERT_EQ(store->list_clusters().size(), 1U);
    EXPECT_EQ(store->list_clusters()[0].station_id, "S2");
    EXPECT_EQ(store->list_clusters()[0].zone, "main");
}

TEST_F(MonitoringApiTest, CoverageDropsWhenAnAmplifierFaultsAndComesBackWhenItClears) {
    import_coverage();
    heartbeat("S1", {{"main", ""}, {"market", ""}});
    heartbeat("S3", {{"main", ""}});
    auto c = call("GET", "/api/v1/coverage", root);
    ASSERT_EQ(c.status, 200) << c.text;
    EXPECT_DOUBLE_EQ(working(c.body, "P"), 350.0);
    EXPECT_DOUBLE_EQ(working(c.body, "C1"), 150.0);
    for (const auto& u : c.body["units"]) {
        if (u["code"] == "P") {
            EXPECT_DOUBLE_EQ(u["households"].get<double>(), 400.0);
            EXPECT_DOUBLE_EQ(u["households_installed"].get<double>(), 350.0);
            EXPECT_DOUBLE_EQ(u["working"].get<double>(), 0.875);
        }
    }

    // The market zone's amplifier faults: H2's 50 households go silent.
    heartbeat("S1", {{"main", ""}, {"market", "amplifier fault input"}});
    c = call("GET", "/api/v1/coverage", root);
    EXPECT_DOUBLE_EQ(working(c.body, "P"), 300.0);
    EXPECT_DOUBLE_EQ(working(c.body, "C1"), 100.0);
    EXPECT_DOUBLE_EQ(working(c.body, "D2"), 200.0);
    ASSERT_EQ(c.body["zones_faulted"].size(), 1U);
    EXPECT_EQ(c.body["zones_faulted"][0]["zone"], "market");

    // S3 goes offline too: H3's 200 households.
    store->set_station_online("S3", false, clock.now());
    c = call("GET", "/api/v1/coverage", root);
    EXPECT_DOUBLE_EQ(working(c.body, "P"), 100.0);

    // Both clear.
    heartbeat("S1", {{"main", ""}, {"market", ""}});
    heartbeat("S3", {{"main", ""}});
    c = call("GET", "/api/v1/coverage", root);
    EXPECT_DOUBLE_EQ(working(c.body, "P"), 350.0);

    // Scope: a commune operator sees its commune (and the units above it), not C3.
    const auto mine = call("GET", "/api/v1/coverage", c1);
    ASSERT_EQ(mine.status, 200);
    for (const auto& u : mine.body["units"]) {
        EXPECT_NE(u["code"], "C3");
    }
    const auto d1 = call("GET", "/api/v1/coverage?unit=D1", root);
    for (const auto& u : d1.body["units"]) {
        EXPECT_TRUE(u["code"] == "D1" || u["code"] == "C1" || u["code"] == "C2") << u.dump();
    }

    // History: a snapshot when asked, one row per unit and day.
    const auto snap = call("POST", "/api/v1/coverage/snapshot", root);
    ASSERT_EQ(snap.status, 200) << snap.text;
    clock.advance(24h);
    heartbeat("S1", {{"main", "x"}, {"market", ""}});
    heartbeat("S3", {{"main", ""}});
    ASSERT_EQ(call("POST", "/api/v1/coverage/snapshot", root).status, 200);
    const auto hist = call("GET", "/api/v1/coverage?unit=P&history=1", root);
    ASSERT_EQ(hist.status, 200);
    std::vector<double> province;
    for (const auto& row : hist.body["history"]) {
        if (row["code"] == "P") {
            province.push_back(row["households_working"].get<double>());
        }
    }
    ASSERT_EQ(province.size(), 2U) << hist.text;
    EXPECT_DOUBLE_EQ(province[0], 350.0);
    EXPECT_DOUBLE_EQ(province[1], 250.0);
    EXPECT_EQ(store->list_coverage_history("P").size(), 2U);
}

TEST_F(MonitoringApiTest, TheMonitorThreadTakesTheDaysSnapshotAndRaisesAlarmsOnItsOwn) {
    import_coverage();
    heartbeat("S1", {{"main", ""}, {"market", "open"}});
    heartbeat("S3", {{"main", ""}});
    start_api(1s);
    // "loa-monitor" evaluates at once, then every second: wait for its webhook raise.
    const auto bodies = sender.wait_for("raised", "fault/S1/market");
    EXPECT_TRUE(std::any_of(bodies.begin(), bodies.end(),
                            [](const json& b) { return b["key"] == "fault/S1/market"; }));
    // Its first round stored today's snapshot before evaluating (local day 2026-11-27).
    const auto history = store->list_coverage_history("P");
    ASSERT_EQ(history.size(), 1U);
    const std::chrono::year_month_day today{std::chrono::year{2026}, std::chrono::month{11},
                                            std::chrono::day{27}};
    EXPECT_EQ(history[0].date, today);
    EXPECT_DOUBLE_EQ(history[0].figures.households_working, 300.0);
}

TEST_F(MonitoringApiTest, AlarmsRaiseAndClearWithTheFakeClockAndReachTheWebhook) {
    import_coverage();
    heartbeat("S1", {{"main", ""}, {"market", "speaker line short"}});
    heartbeat("S2", {{"main", ""}});
    heartbeat("S3", {{"main", ""}});
    auto a = call("GET", "/api/v1/alarms", root);
    ASSERT_EQ(a.status, 200) << a.text;
    std::set<std::string> active_keys;
    for (const auto& e : a.body["active"]) {
        active_keys.insert(e["key"].get<std::string>());
    }
    // H4 in C2 has no cluster at all: C2 is under the 50 % threshold from the start.
    EXPECT_EQ(active_keys, (std::set<std::string>{"coverage/C2", "fault/S1/market"})) << a.text;

    // Nothing heard from S3 for more than 3 heartbeat intervals (10 s): offline, and with it
    // D2 and C3 fall under the 50 % threshold.
    clock.advance(20s);
    heartbeat("S1", {{"main", ""}, {"market", "speaker line short"}});
    heartbeat("S2", {{"main", ""}});
    clock.advance(11s);
    heartbeat("S1", {{"main", ""}, {"market", "speaker line short"}});
    heartbeat("S2", {{"main", ""}});
    store->set_station_online("S3", false, clock.now());
    a = call("GET", "/api/v1/alarms", root);
    active_keys.clear();
    for (const auto& e : a.body["active"]) {
        active_keys.insert(e["key"].get<std::string>());
    }
    EXPECT_TRUE(active_keys.count("offline/S3")) << a.text;
    EXPECT_TRUE(active_keys.count("coverage/C3")) << a.text;
    EXPECT_TRUE(active_keys.count("fault/S1/market"));

    // The commune operator of C1 sees its own fault, not S3.
    const auto mine = call("GET", "/api/v1/alarms", c1);
    for (const auto& e : mine.body["active"]) {
        EXPECT_TRUE(e["station"] == "S1" || e["unit"] == "P" || e["unit"] == "D1" ||
                    e["unit"] == "C1")
            << e.dump();
    }

    // The fault clears: it moves to the cleared list.
    heartbeat("S1", {{"main", ""}, {"market", ""}});
    a = call("GET", "/api/v1/alarms", root);
    bool cleared = false;
    for (const auto& e : a.body["cleared"]) {
        cleared = cleared || e["key"] == "fault/S1/market";
    }
    EXPECT_TRUE(cleared) << a.text;

    const auto bodies = sender.wait_for("cleared", "fault/S1/market");
    ASSERT_GE(bodies.size(), 4U);
    EXPECT_EQ(bodies[0]["event"], "raised");
    EXPECT_EQ(bodies[0]["key"], "coverage/C2");
    EXPECT_EQ(bodies[1]["key"], "fault/S1/market");
    bool webhook_cleared = false;
    for (const auto& b : bodies) {
        webhook_cleared =
            webhook_cleared || (b["event"] == "cleared" && b["key"] == "fault/S1/market");
    }
    EXPECT_TRUE(webhook_cleared);
}

TEST_F(MonitoringApiTest, MetricsAreValidPrometheusText) {
    heartbeat("S1", {{"main", ""}, {"market", "open"}});
    AsRunRow r;
    r.record_id = "r1";
    r.station_id = "S1";
    r.item_id = "i1";
    r.scheduled_at_us = to_unix_us(clock.now());
    r.status = wire::COMPLETED;
    r.received_at_us = r.scheduled_at_us;
    store->add_as_run(r);
    r.record_id = "r2";
    r.status = wire::FAILED;
    store->add_as_run(r);

    httplib::Headers none;
    auto res = client->Get("/metrics", none);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200);
    EXPECT_NE(res->get_header_value("Content-Type").find("text/plain"), std::string::npos);
    std::map<std::string, double> samples;
    std::set<std::string> typed;
    std::istringstream lines{res->body};
    std::string line;
    while (std::getline(lines, line)) {
        if (line.rfind("# TYPE ", 0) == 0) {
            std::istringstream l{line.substr(7)};
            std::string name;
            std::string type;
            l >> name >> type;
            EXPECT_TRUE(type == "gauge" || type == "counter") << line;
            typed.insert(name);
            continue;
        }
        if (line.empty() || line[0] == '#') {
            continue;
        }
        const auto space = line.rfind(' ');
        ASSERT_NE(space, std::string::npos) << line;
        const auto name = line.substr(0, space);
        const auto metric = name.substr(0, name.find('{'));
        EXPECT_TRUE(typed.count(metric)) << "no TYPE before " << line;
        samples[name] = std::stod(line.substr(space + 1));
    }
    EXPECT_EQ(samples["loa_stations"], 3);
    EXPECT_EQ(samples["loa_stations_online"], 1);
    EXPECT_EQ(samples["loa_items_aired_total"], 1);
    EXPECT_EQ(samples["loa_items_missed_total"], 1);
    EXPECT_DOUBLE_EQ(samples["loa_station_clock_offset_seconds{station=\"S1\"}"], 0.0025);
    EXPECT_EQ(samples["loa_station_zone_faulted{station=\"S1\",zone=\"market\"}"], 1);
    EXPECT_EQ(samples["loa_station_online{station=\"S2\"}"], 0);
}

TEST_F(MonitoringApiTest, ComplianceGivesEachMissItsReasonAsJsonCsvAndHtml) {
    // S1's timeline for 2026-11-27 (UTC times; 07:00 local is 00:00Z).
    const auto t0 = test::test_epoch();
    wire::Timeline timeline;
    const auto add = [&](const std::string& id, Duration at) {
        auto* item = timeline.add_items();
        item->set_item_id(id);
        item->set_asset_id(std::string(64, 'a'));
        item->set_start_at_us(to_unix_us(t0 + at));
        item->set_duration_ms(60000);
        item->set_priority(wire::COMMUNE);
        item->set_title("Tin " + id);
        item->add_zones("main");
    };
    add("i1", 1h);
    add("i2", 2h);
    add("i3", 3h);
    add("i4", 5h);
    ASSERT_TRUE(store->store_timeline("S1", timeline, t0));
    const auto record = [&](const std::string& id, const std::string& item, Duration at,
                            wire::AsRunStatus status, const std::string& reason) {
        AsRunRow r;
        r.record_id = id;
        r.station_id = "S1";
        r.item_id = item;
        r.scheduled_at_us = to_unix_us(t0 + at);
        if (status == wire::COMPLETED) {
            r.started_at_us = r.scheduled_at_us;
            r.ended_at_us = r.scheduled_at_us + 60'000'000;
        }
        r.status = status;
        r.reason = reason;
        r.received_at_us = r.scheduled_at_us;
        store->add_as_run(r);
    };
    record("r1", "i1", 1h, wire::COMPLETED, "");
    record("r2", "i2", 2h, wire::FAILED, "asset missing");
    // i3: the station was offline from 02:30 to 04:00, no record.
    clock.set(t0);
    heartbeat("S1", {{"main", ""}});
    store->set_station_online("S1", false, t0 + 150min);
    store->set_station_online("S1", true, t0 + 4h);
    // i4: the main amplifier faulted from 04:30 to 06:00, no record.
    store->add_station_event({"S1", "f1", "AMPLIFIER_FAULT", "main", to_unix_us(t0 + 270min),
                              "overheat", to_unix_us(t0 + 270min)});
    store->add_station_event({"S1", "f2", "AMPLIFIER_FAULT_CLEARED", "main", to_unix_us(t0 + 6h),
                              "", to_unix_us(t0 + 6h)});
    clock.set(t0 + 24h);

    const auto c = call("GET", "/api/v1/compliance?from=2026-11-27&to=2026-11-27", root);
    ASSERT_EQ(c.status, 200) << c.text;
    std::map<std::string, std::pair<std::string, json>> verdicts;
    for (const auto& item : c.body["items"]) {
        verdicts[item["item_id"]] = {item["verdict"], item["reason"]};
    }
    ASSERT_EQ(verdicts.size(), 4U) << c.text;
    EXPECT_EQ(verdicts["i1"].first, "aired");
    EXPECT_EQ(verdicts["i2"].first, "missed");
    EXPECT_EQ(verdicts["i2"].second, "asset_missing");
    EXPECT_EQ(verdicts["i3"].second, "offline");
    EXPECT_EQ(verdicts["i4"].second, "amplifier_fault");
    EXPECT_EQ(c.body["total"]["scheduled"], 4);
    EXPECT_EQ(c.body["total"]["aired"], 1);
    EXPECT_EQ(c.body["total"]["missed"], 3);
    EXPECT_EQ(c.body["by_unit"]["D1"]["missed"], 3);

    // Outside the C3 operator's... scope: C1's operator sees them, a unit filter of D2 none.
    EXPECT_EQ(
        call("GET", "/api/v1/compliance?from=2026-11-27&to=2026-11-27", c1).body["items"].size(),
        4U);
    EXPECT_EQ(call("GET", "/api/v1/compliance?from=2026-11-27&to=2026-11-27&unit=D2", root)
                  .body["items"]
                  .size(),
              0U);

    const auto csv =
        call("GET", "/api/v1/compliance?from=2026-11-27&to=2026-11-27&format=csv", root);
    ASSERT_EQ(csv.status, 200);
    EXPECT_EQ(csv.text.substr(0, 3), "\xEF\xBB\xBF");
    std::size_t rows = 0;
    for (std::size_t p = 0; (p = csv.text.find("\r\n", p)) != std::string::npos; p += 2) {
        ++rows;
    }
    EXPECT_EQ(rows, 5U);  // header + 4 items

    const auto html =
        call("GET", "/api/v1/compliance?from=2026-11-01&to=2026-11-30&format=html", root);
    ASSERT_EQ(html.status, 200);
    EXPECT_NE(html.type.find("text/html"), std::string::npos);
    EXPECT_NE(html.text.find("11/2026"), std::string::npos);

    EXPECT_EQ(call("GET", "/api/v1/compliance?from=27-11-2026&to=2026-11-27", root).status, 400);
    EXPECT_EQ(call("GET", "/api/v1/compliance?from=2026-11-28&to=2026-11-27", root).status, 400);
    EXPECT_EQ(
        call("GET", "/api/v1/compliance?from=2026-11-27&to=2026-11-27&format=pdf", root).status,
        400);
}

TEST_F(MonitoringApiTest, ComplianceGivesClockUnsynchronisedFromHeartbeatHistory) {
    const auto t0 = test::test_epoch();
    wire::Timeline timeline;
    const auto add = [&](const std::string& id, Duration at) {
        auto* item = timeline.add_items();
        item->set_item_id(id);
        item->set_asset_id(std::string(64, 'a'));
        item->set_start_at_us(to_unix_us(t0 + at));
        item->set_duration_ms(60000);
        item->set_priority(wire::COMMUNE);
        item->set_title("Tin " + id);
    };
    add("i1", 1h);  // inside the spell, no record
    add("i2", 2h);  // inside the spell, aired
    add("i3", 4h);  // after the spell, no record
    ASSERT_TRUE(store->store_timeline("S1", timeline, t0));
    // Heartbeats: synchronised at 00:00, unsynchronised from 00:30, synchronised at 03:00; the
    // station stays online throughout.
    clock.set(t0);
    heartbeat("S1", {{"main", ""}});
    clock.set(t0 + 30min);
    heartbeat("S1", {{"main", ""}}, 0, false);
    clock.set(t0 + 150min);
    heartbeat("S1", {{"main", ""}}, 0, false);
    clock.set(t0 + 3h);
    heartbeat("S1", {{"main", ""}});
    AsRunRow r;
    r.record_id = "r2";
    r.station_id = "S1";
    r.item_id = "i2";
    r.scheduled_at_us = to_unix_us(t0 + 2h);
    r.started_at_us = r.scheduled_at_us;
    r.ended_at_us = r.scheduled_at_us + 60'000'000;
    r.status = wire::COMPLETED;
    r.received_at_us = r.ended_at_us;
    ASSERT_TRUE(store->add_as_run(r));
    const auto spells = store->list_clock_changes("S1", to_unix_us(t0 + 24h));
    ASSERT_EQ(spells.size(), 3U);  // synced, unsynced at 00:30, synced at 03:00
    clock.set(t0 + 24h);

    const auto c = call("GET", "/api/v1/compliance?from=2026-11-27&to=2026-11-27", root);
    ASSERT_EQ(c.status, 200) << c.text;
    std::map<std::string, json> items;
    for (const auto& item : c.body["items"]) {
        items[item["item_id"]] = item;
    }
    ASSERT_EQ(items.size(), 3U) << c.text;
    EXPECT_EQ(items["i1"]["verdict"], "missed");
    EXPECT_EQ(items["i1"]["reason"], "clock_unsynchronised");
    EXPECT_EQ(items["i2"]["verdict"], "partly_aired");
    EXPECT_EQ(items["i2"]["reason"], "clock_unsynchronised");
    EXPECT_DOUBLE_EQ(items["i2"]["aired_s"].get<double>(), 60.0);
    EXPECT_EQ(items["i3"]["verdict"], "missed");
    EXPECT_EQ(items["i3"]["reason"], "no_report");
    EXPECT_EQ(c.body["total"]["missed_by_reason"]["clock_unsynchronised"], 1);
}

TEST_F(MonitoringApiTest, ComplianceListsWhatWasSentLongAgoAfterManyRevisions) {
    // 40 days, a revision a day (the planner's way: the day's item and the next day's), so the
    // revisions of the first days are long pruned; one item withdrawn before it aired.
    const auto t0 = test::test_epoch();
    for (int day = 0; day < 40; ++day) {
        wire::Timeline t;
        for (int d = day; d <= day + 1; ++d) {
            auto* item = t.add_items();
            item->set_item_id(fmt::format("e5-{}-0", d));
            item->set_asset_id(std::string(64, 'a'));
            item->set_start_at_us(to_unix_us(t0 + std::chrono::days{d} + 2h));
            item->set_duration_ms(60000);
            item->set_priority(wire::DISTRICT);
            item->set_title(fmt::format("Bản tin ngày {}", d));
        }
        if (day == 0) {
            auto* gone = t.add_items();
            gone->set_item_id("e6-1-0");
            gone->set_asset_id(std::string(64, 'b'));
            gone->set_start_at_us(to_unix_us(t0 + std::chrono::days{1} + 5h));
            gone->set_duration_ms(30000);
            gone->set_priority(wire::DISTRICT);
        }
        ASSERT_TRUE(store->store_timeline("S2", t, t0 + std::chrono::days{day}));
    }
    ASSERT_EQ(store->list_timelines("S2").size(), kTimelineRevisionsKept);
    AsRunRow r;
    r.record_id = "r1";
    r.station_id = "S2";
    r.item_id = "e5-1-0";
    r.scheduled_at_us = to_unix_us(t0 + 24h + 2h);
    r.started_at_us = r.scheduled_at_us;
    r.ended_at_us = r.scheduled_at_us + 60'000'000;
    r.status = wire::COMPLETED;
    r.received_at_us = r.ended_at_us;
    ASSERT_TRUE(store->add_as_run(r));
    clock.set(t0 + std::chrono::days{40});

    // 2026-11-27 and -28 (local days; 09:00 local is 02:00Z).
    const auto c = call("GET", "/api/v1/compliance?from=2026-11-27&to=2026-11-28", root);
    ASSERT_EQ(c.status, 200) << c.text;
    ASSERT_EQ(c.body["items"].size(), 2U) << c.text;
    EXPECT_EQ(c.body["items"][0]["item_id"], "e5-0-0");
    EXPECT_EQ(c.body["items"][0]["station"], "S2");
    EXPECT_EQ(c.body["items"][0]["entry_id"], "e5");
    EXPECT_EQ(c.body["items"][0]["title"], "Bản tin ngày 0");
    EXPECT_EQ(c.body["items"][0]["class"], "district");
    EXPECT_EQ(c.body["items"][0]["start"], format_utc(t0 + 2h));
    EXPECT_EQ(c.body["items"][0]["verdict"], "missed");
    EXPECT_EQ(c.body["items"][1]["item_id"], "e5-1-0");
    EXPECT_EQ(c.body["items"][1]["verdict"], "aired");
    EXPECT_EQ(c.body["total"]["scheduled"], 2);
}

TEST_F(MonitoringApiTest, AlarmsSurviveARestartWithoutASecondWebhook) {
    heartbeat("S1", {{"main", ""}, {"market", "speaker line short"}});
    heartbeat("S2", {{"main", ""}});
    heartbeat("S3", {{"main", ""}});
    auto a = call("GET", "/api/v1/alarms", root);
    ASSERT_EQ(a.status, 200) << a.text;
    json fault;
    for (const auto& e : a.body["active"]) {
        if (e["key"] == "fault/S1/market") {
            fault = e;
        }
    }
    ASSERT_TRUE(fault.is_object()) << a.text;
    sender.wait_for("raised", "fault/S1/market");

    // The scheduler restarts a minute later (a new API, MonitoringService and store
    // connection on the same database file); the fault is still there.
    clock.advance(1min);
    start_api(0s);
    heartbeat("S1", {{"main", ""}, {"market", "speaker line short"}});
    heartbeat("S2", {{"main", ""}});
    heartbeat("S3", {{"main", ""}});
    a = call("GET", "/api/v1/alarms", root);
    ASSERT_EQ(a.status, 200) << a.text;
    json again;
    for (const auto& e : a.body["active"]) {
        if (e["key"] == "fault/S1/market") {
            again = e;
        }
    }
    ASSERT_TRUE(again.is_object()) << a.text;
    EXPECT_EQ(again["raised_at"], fault["raised_at"]);
    EXPECT_EQ(again["since"], fault["since"]);

    // It clears after the restart: the clear is sent, and the raise was not sent again (it
    // would have been queued before the clear).
    clock.advance(1min);
    heartbeat("S1", {{"main", ""}, {"market", ""}});
    a = call("GET", "/api/v1/alarms", root);
    bool cleared = false;
    for (const auto& e : a.body["cleared"]) {
        if (e["key"] == "fault/S1/market") {
            cleared = true;
            EXPECT_EQ(e["raised_at"], fault["raised_at"]);
            EXPECT_EQ(e["cleared_at"], format_utc(clock.now()));
        }
    }
    EXPECT_TRUE(cleared) << a.text;
    const auto bodies = sender.wait_for("cleared", "fault/S1/market");
    const auto count = [&](const std::string& event) {
        return std::count_if(bodies.begin(), bodies.end(), [&](const json& b) {
            return b["event"] == event && b["key"] == "fault/S1/market";
        });
    };
    EXPECT_EQ(count("raised"), 1);
    EXPECT_EQ(count("cleared"), 1);

    // The rows on disk: one raise of the key, cleared at that moment.
    sqlite::Statement rows{store->database(),
                           "SELECT raised_at_us, cleared_at_us FROM alarm_history WHERE key = "
                           "'fault/S1/market'"};
    ASSERT_TRUE(rows.step());
    EXPECT_EQ(format_utc(from_unix_us(rows.int64(0))), fault["raised_at"]);
    EXPECT_EQ(rows.int64(1), to_unix_us(clock.now()));
    EXPECT_FALSE(rows.step());

    // And after another restart the cleared one is still in the history.
    start_api(0s);
    a = call("GET", "/api/v1/alarms", root);
    EXPECT_TRUE(std::any_of(a.body["cleared"].begin(), a.body["cleared"].end(), [](const json& e) {
        return e["key"] == "fault/S1/market";
    })) << a.text;
}

}  // namespace
