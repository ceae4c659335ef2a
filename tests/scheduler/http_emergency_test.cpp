// Emergency broadcasts and CAP alerts through the HTTP API: who may start one, the EMERGENCY
// entries it makes on exactly the target stations' stored timelines, stop, repeats, audit; CAP
// alerts mapped to stations, exercises, cancels, and refusals that store nothing.
#include "loa/common/sqlite.hpp"
#include "loa/config/config.hpp"
#include "loa/scheduler/auth_store.hpp"
#include "loa/scheduler/http_api.hpp"
#include "loa/scheduler/planner.hpp"
#include "loa/scheduler/scheduler_store.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>

using namespace loa;
using namespace loa::scheduler;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// A link that drops timelines and keeps the live messages sent to it.
class NullLink final : public ILinkEvents {
public:
    using Sent = std::pair<std::vector<std::string>, wire::Envelope>;

    void station_registered(const std::string&, const std::string&) override {}
    void timelines_changed(const std::vector<std::string>&) override {}
    void send_live(const std::vector<std::string>& stations,
                   const wire::Envelope& envelope) override {
        {
            std::lock_guard lock{mu_};
            live_.emplace_back(stations, envelope);
        }
        cv_.notify_all();
    }

    // The first live message of `session` with the body `body`, waiting up to 5 s for it.
    std::optional<Sent> wait_live(wire::Envelope::BodyCase body, const std::string& session) {
        std::unique_lock lock{mu_};
        std::optional<Sent> found;
        cv_.wait_for(lock, 5s, [&] {
            for (const auto& sent : live_) {
                const auto& e = sent.second;
                if (e.body_case() != body) {
                    continue;
                }
                const std::string& id =
                    body == wire::Envelope::kLiveStart  ? e.live_start().session_id()
                    : body == wire::Envelope::kLiveStop ? e.live_stop().session_id()
                                                        : e.live_frame().session_id();
                if (id == session) {
                    found = sent;
                    return true;
                }
            }
            return false;
        });
        return found;
    }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<Sent> live_;
};

// P (province) > D1 > C1, C2 and P > D2 > C3; one station per unit, named by its code.
constexpr const char* kUnits =
    "code,parent_code,name\nP,,Province\nD1,P,District 1\nC1,D1,Commune 1\nC2,D1,Commune 2\n"
    "D2,P,District 2\nC3,D2,Commune 3\n";

struct Answer {
    int status = 0;
    json body;
};

// A string field of an answer ("" when absent or not a string).
std::string text_of(const json& body, const char* key) {
    if (!body.is_object()) {
        return {};
    }
    const auto it = body.find(key);
    if (it == body.end() || !it->is_string()) {
        return {};
    }
    return it->get_ref<const std::string&>();
}

std::string source_file(const std::string& relative) {
    return test::read_file(std::string{LOA_SOURCE_DIR} + "/" + relative);
}

class EmergencyApiTest : public ::testing::Test {
protected:
    explicit EmergencyApiTest(TimePoint start = test::test_epoch(), bool allow_operators = false,
                              std::vector<std::string> test_stations = {})
        : clock{start}, assets{dir.path()} {
        HttpApiOptions options;
        options.listen = "127.0.0.1:0";
        options.database = db_path();
        options.auth = cheap_auth();
        options.emergency.allow_operators = allow_operators;
        options.emergency.test_stations = std::move(test_stations);
        PlannerOptions plan;
        plan.database = db_path();
        planner = std::make_unique<Planner>(plan, clock, link);
        api = std::make_unique<HttpApi>(options, keys, assets, link, *planner, clock);
        api->start();
        client = std::make_unique<httplib::Client>("127.0.0.1", api->port());
        client->set_read_timeout(30, 0);
        root = make_user("root", Role::admin, "");
    }

    static AuthOptions cheap_auth() {
        AuthOptions o;
        o.pwhash_opslimit = 1;
        o.pwhash_memlimit = 8192;
        return o;
    }

    std::string db_path() const { return (dir.path() / "scheduler.db").string(); }

    std::string make_user(const std::string& name, Role role, const std::string& scope) {
        AuthStore auth{db_path(), clock, cheap_auth()};
        if (!auth.find_user(name)) {
            const auto added = auth.add_user(NewUser{name, "", role, scope},
                                             "correct horse battery", Actor{"test", "local"});
            EXPECT_TRUE(added) << added.error().message;
        }
        const auto token = auth.issue_api_token(name, "test", std::nullopt, Actor{"test", "local"});
        EXPECT_TRUE(token) << token.error().message;
        return token ? token->token : std::string{};
    }

    Answer call(const std::string& method, const std::string& path, const std::string& token,
                const std::string& body = "", const char* type = "application/json") {
        httplib::Headers headers{{"Authorization", "Bearer " + token}};
        auto res =
            method == "GET" ? client->Get(path, headers) : client->Post(path, headers, body, type);
        EXPECT_TRUE(res) << "no answer to " << method << " " << path;
        if (!res) {
            return {};
        }
        return Answer{res->status,
                      res->body.empty() ? json{} : json::parse(res->body, nullptr, false)};
    }

    Answer post_json(const std::string& path, const std::string& token, const json& body) {
        return call("POST", path, token, body.dump());
    }

    std::int64_t count(const std::string& table, const std::string& where = "") {
        sqlite::Database db{db_path()};
        sqlite::Statement s{
            db, "SELECT count(*) FROM " + table + (where.empty() ? "" : " WHERE ") + where};
        s.step();
        return s.int64(0);
    }

    struct Counts {
        std::int64_t entries, sessions, alerts, audit, assets;
        bool operator==(const Counts&) const = default;
    };
    Counts counts() {
        return {count("entries"), count("emergency_sessions"), count("cap_alerts"),
                count("audit_log"), count("assets")};
    }

    // The stored timeline's items of class EMERGENCY at `station`, and its revision.
    std::pair<std::uint64_t, std::vector<wire::TimelineItem>> emergency_items(
        const std::string& station) {
        SchedulerStore store{db_path()};
        const auto latest = store.latest_timeline(station);
        if (!latest) {
            return {0, {}};
        }
        wire::Timeline t;
        EXPECT_TRUE(t.ParseFromString(latest->timeline));
        std::vector<wire::TimelineItem> out;
        for (const auto& item : t.items()) {
            if (item.priority() == wire::EMERGENCY) {
                out.push_back(item);
            }
        }
        return {latest->revision, out};
    }

    std::vector<std::string> stations_with_emergency(const std::vector<std::string>& all) {
        std::vector<std::string> out;
        for (const auto& s : all) {
            if (!emergency_items(s).second.empty()) {
                out.push_back(s);
            }
        }
        return out;
    }

    std::vector<AuditEvent> audit_of(const std::string& kind) {
        AuthStore auth{db_path(), clock, cheap_auth()};
        AuditQuery q;
        q.object_kind = kind;
        return auth.audit().query(auth.database(), q);
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

class EmergencyTest : public EmergencyApiTest {
protected:
    explicit EmergencyTest(bool allow_operators = false)
        : EmergencyApiTest{test::test_epoch(), allow_operators} {
        EXPECT_EQ(call("POST", "/api/v1/units/import", root, kUnits, "text/csv").status, 200);
        d1 = make_user("d1", Role::district_operator, "D1");
        const auto uploaded =
            call("POST", "/api/v1/assets?name=siren.wav", root, test::sine_wav(2.0), "audio/wav");
        EXPECT_EQ(uploaded.status, 201) << uploaded.body.dump();
        asset_id = text_of(uploaded.body, "id");
    }

    const std::vector<std::string> all{"P", "D1", "C1", "C2", "D2", "C3"};
    std::string d1, asset_id;
};

class EmergencyOperatorsAllowedTest : public EmergencyTest {
protected:
    EmergencyOperatorsAllowedTest() : EmergencyTest{true} {}
};

TEST_F(EmergencyTest, AdminStartCreatesEmergencyEntriesOnExactlyTheTargetStations) {
    std::map<std::string, std::uint64_t> before;
    for (const auto& s : all) {
        before[s] = emergency_items(s).first;
    }
    const auto now = clock.now();
    const auto a = post_json("/api/v1/emergency", root,
                             {{"units", {"D1"}}, {"stations", {"C3"}}, {"asset_id", asset_id}});
    ASSERT_EQ(a.status, 201) << a.body.dump();
    EXPECT_EQ(a.body["state"], "active");
    EXPECT_EQ(a.body["stations"], json({"C1", "C2", "C3", "D1"}));
    ASSERT_EQ(a.body["entries"].size(), 1U);
    EXPECT_EQ(a.body["starts_at"], format_utc(now + 3s));

    EXPECT_EQ(stations_with_emergency(all), (std::vector<std::string>{"D1", "C1", "C2", "C3"}));
    for (const auto& s : {"D1", "C1", "C2", "C3"}) {
        const auto [revision, items] = emergency_items(s);
        EXPECT_GT(revision, before[s]) << s;
        ASSERT_EQ(items.size(), 1U) << s;
        EXPECT_EQ(items[0].asset_id(), asset_id);
        EXPECT_EQ(items[0].start_at_us(), to_unix_us(now + 3s));
        EXPECT_EQ(items[0].duration_ms(), 2000U);
    }
    for (const auto& s : {"P", "D2"}) {
        EXPECT_EQ(emergency_items(s).first, before[s]) << s << " must not change";
    }
    // The entry is approved, of class emergency; the start is audited.
    const auto entry = planner->entry(a.body["entries"][0].get<std::int64_t>());
    ASSERT_TRUE(entry);
    EXPECT_EQ(entry->entry.state, EntryState::approved);
    EXPECT_EQ(entry->entry.priority, wire::EMERGENCY);
    const auto audit = audit_of("emergency");
    ASSERT_EQ(audit.size(), 1U);
    EXPECT_EQ(audit[0].action, "start");
    EXPECT_EQ(audit[0].actor, "root");
    EXPECT_EQ(audit[0].object_id, std::to_string(a.body["id"].get<std::int64_t>()));

    const auto listed = call("GET", "/api/v1/emergency", root);
    ASSERT_EQ(listed.status, 200);
    ASSERT_EQ(listed.body.size(), 1U);
    EXPECT_EQ(listed.body[0]["id"], a.body["id"]);
}

TEST_F(EmergencyTest, DistrictOperatorIsRefusedAndNothingIsStored) {
    const auto before = counts();
    const auto a =
        post_json("/api/v1/emergency", d1, {{"units", {"D1"}}, {"text", "Lũ lớn, sơ tán ngay"}});
    EXPECT_EQ(a.status, 403) << a.body.dump();
    EXPECT_NE(text_of(a.body, "error").find("only an admin"), std::string::npos) << a.body.dump();
    EXPECT_EQ(counts(), before);
    EXPECT_TRUE(stations_with_emergency(all).empty());
}

TEST_F(EmergencyOperatorsAllowedTest, ScopeHoldingOperatorMayStartOnlyWithinItsScope) {
    const auto before = counts();
    const auto outside =
        post_json("/api/v1/emergency", d1, {{"stations", {"C3"}}, {"asset_id", asset_id}});
    EXPECT_EQ(outside.status, 403) << outside.body.dump();
    EXPECT_NE(text_of(outside.body, "error").find("outside D1"), std::string::npos);
    EXPECT_EQ(counts(), before);
    const auto inside =
        post_json("/api/v1/emergency", d1, {{"units", {"D1"}}, {"asset_id", asset_id}});
    ASSERT_EQ(inside.status, 201) << inside.body.dump();
    EXPECT_EQ(inside.body["started_by"], "d1");
    EXPECT_EQ(stations_with_emergency(all), (std::vector<std::string>{"D1", "C1", "C2"}));
}

TEST_F(EmergencyTest, RepeatsAreSpacedAsAsked) {
    const auto now = clock.now();
    const auto a =
        post_json("/api/v1/emergency", root,
                  {{"stations", {"C1"}}, {"asset_id", asset_id}, {"repeat", 3}, {"every_min", 10}});
    ASSERT_EQ(a.status, 201) << a.body.dump();
    EXPECT_EQ(a.body["entries"].size(), 3U);
    const auto [revision, items] = emergency_items("C1");
    ASSERT_EQ(items.size(), 3U);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(items[i].start_at_us(), to_unix_us(now + 3s + 10min * static_cast<int>(i)));
    }
    EXPECT_EQ(a.body["ends_at"], format_utc(now + 3s + 20min + 2s));
    // Bad repeat settings are refused and change nothing.
    const auto before = counts();
    for (const auto& bad : {json{{"repeat", 2}}, json{{"repeat", 0}, {"every_min", 5}},
                            json{{"repeat", 2}, {"every_min", "ten"}}}) {
        json body{{"stations", {"C1"}}, {"asset_id", asset_id}};
        body.update(bad);
        const auto refused = post_json("/api/v1/emergency", root, body);
        EXPECT_EQ(refused.status, 400) << bad.dump();
        EXPECT_FALSE(text_of(refused.body, "error").empty());
    }
    EXPECT_EQ(counts(), before);
}

TEST_F(EmergencyTest, StopRetiresWhatHasNotEndedAndTimelinesReturn) {
    const auto a =
        post_json("/api/v1/emergency", root,
                  {{"units", {"D2"}}, {"asset_id", asset_id}, {"repeat", 3}, {"every_min", 5}});
    ASSERT_EQ(a.status, 201) << a.body.dump();
    const auto id = a.body["id"].get<std::int64_t>();
    ASSERT_EQ(emergency_items("C3").second.size(), 3U);
    // The first airing ended; the second is airing when the stop comes.
    clock.advance(5min + 4s);
    const auto revision = emergency_items("C3").first;
    const auto stopped = call("POST", "/api/v1/emergency/" + std::to_string(id) + "/stop", root);
    ASSERT_EQ(stopped.status, 200) << stopped.body.dump();
    EXPECT_EQ(stopped.body["state"], "stopped");
    EXPECT_EQ(stopped.body["stopped_by"], "root");
    const std::vector<std::int64_t> entries = a.body["entries"];
    EXPECT_EQ(stopped.body["retired"], json({entries[1], entries[2]}));
    EXPECT_EQ(planner->entry(entries[0])->entry.state, EntryState::approved);
    EXPECT_EQ(planner->entry(entries[1])->entry.state, EntryState::retired);
    EXPECT_EQ(planner->entry(entries[2])->entry.state, EntryState::retired);
    for (const auto& s : {"D2", "C3"}) {
        const auto [after, items] = emergency_items(s);
        EXPECT_GT(after, revision - 1) << s;
        // Only the airing that ended stays (as past); nothing is to come.
        for (const auto& item : items) {
            EXPECT_LT(item.start_at_us() + item.duration_ms() * 1000, to_unix_us(clock.now())) << s;
        }
    }
    EXPECT_GT(emergency_items("C3").first, revision);
    const auto audit = audit_of("emergency");
    ASSERT_EQ(audit.size(), 2U);
    EXPECT_EQ(audit[0].action, "stop");
    // A second stop says it was stopped; an unknown id is a 404.
    EXPECT_EQ(call("POST", "/api/v1/emergency/" + std::to_string(id) + "/stop", root).status, 409);
    EXPECT_EQ(call("POST", "/api/v1/emergency/999/stop", root).status, 404);
    EXPECT_EQ(call("GET", "/api/v1/emergency", root).body[0]["state"], "stopped");
}

TEST_F(EmergencyTest, TypedTextIsSpokenAndBadRequestsChangeNothing) {
    const auto before = counts();
    for (const auto& bad :
         {json{{"asset_id", "nope"}, {"stations", {"C1"}}}, json{{"asset_id", asset_id}},
          json{{"asset_id", asset_id}, {"text", "hai"}, {"stations", {"C1"}}},
          json{{"asset_id", asset_id}, {"stations", {"ZZ"}}},
          json{{"asset_id", asset_id}, {"units", {"ZZ"}}},
          json{{"text", "x"}, {"voice", "klingon"}, {"stations", {"C1"}}},
          json{{"asset_id", asset_id}, {"stations", {"C1"}}, {"colour", "red"}}}) {
        const auto refused = post_json("/api/v1/emergency", root, bad);
        EXPECT_EQ(refused.status, 400) << bad.dump() << " " << refused.body.dump();
        EXPECT_FALSE(text_of(refused.body, "error").empty());
    }
    EXPECT_EQ(call("POST", "/api/v1/emergency", root, "{not json").status, 400);
    EXPECT_EQ(counts(), before);
    const auto spoken = post_json("/api/v1/emergency", root,
                                  {{"stations", {"C2"}}, {"text", "Bão số 5 đổ bộ, sơ tán ngay."}});
    ASSERT_EQ(spoken.status, 201) << spoken.body.dump();
    EXPECT_NE(spoken.body["asset_id"], asset_id);
    EXPECT_EQ(emergency_items("C2").second.at(0).asset_id(), spoken.body["asset_id"]);
}

// --- CAP

class AlertTest : public EmergencyApiTest {
protected:
    explicit AlertTest(TimePoint start = *parse_time("2026-10-14T09:00:00+07:00"))
        : EmergencyApiTest{start, false, {"30280"}} {
        const auto imported = call("POST", "/api/v1/units/import", root,
                                   source_file("data/angiang-2019-admin-units.csv"), "text/csv");
        EXPECT_EQ(imported.status, 200) << imported.body.dump();
        SchedulerStore store{db_path()};
        for (const auto& s : store.list_stations()) {
            all.push_back(s.id);
        }
        std::sort(all.begin(), all.end());
    }

    Answer post_alert(const std::string& xml, const std::string& token = "") {
        return call("POST", "/api/v1/alerts", token.empty() ? root : token, xml,
                    "application/cap+xml");
    }

    static std::string alert_file(const std::string& name) {
        return source_file("tests/alerting/data/" + name);
    }

    // Units under `code` (itself included) from the CSV: their default stations.
    std::vector<std::string> under(const std::string& code) {
        std::vector<std::string> out;
        for (const auto& s : all) {
            if (planner->station_within(s, code)) {
                out.push_back(s);
            }
        }
        return out;
    }

    std::vector<std::string> all;
};

// The examples of the CAP 1.2 specification (appendix A) are from 2003: the clock is set there
// so that the thunderstorm warning has not expired.
class AlertIn2003Test : public AlertTest {
protected:
    AlertIn2003Test() : AlertTest{*parse_time("2003-06-17T15:00:00-07:00")} {}
};

TEST_F(AlertIn2003Test, SpecificationExamplesLieOutsideTheProvinceAndNothingAirs) {
    const auto before = counts();
    for (const auto* name : {"cap-a2-thunderstorm.xml", "cap-a3-earthquake-update.xml",
                             "cap-a4-amber-two-languages.xml"}) {
        const auto a = post_alert(alert_file(name));
        EXPECT_EQ(a.status, 422) << name;
        EXPECT_EQ(text_of(a.body, "error").rfind("no station is in the area (", 0), 0U)
            << name << ": " << a.body.dump();
        EXPECT_NE(text_of(a.body, "error").find("nothing airs"), std::string::npos);
    }
    EXPECT_EQ(counts(), before);
    EXPECT_TRUE(stations_with_emergency(all).empty());
    EXPECT_EQ(call("GET", "/api/v1/alerts", root).body, json::array());
}

TEST_F(AlertTest, GeocodeAlertReachesExactlyThoseStationsAndCancelStopsIt) {
    const auto a = post_alert(alert_file("angiang-flood-district.xml"));
    ASSERT_EQ(a.status, 201) << a.body.dump();
    auto expected = under("883");
    expected.push_back("30322");
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(a.body["alert"]["stations"].get<std::vector<std::string>>(), expected);
    EXPECT_EQ(a.body["alert"]["language"], "vi-VN");
    auto airing = stations_with_emergency(all);
    std::sort(airing.begin(), airing.end());
    EXPECT_EQ(airing, expected);
    EXPECT_EQ(count("cap_alerts"), 1);
    const auto session = a.body["session"]["id"].get<std::int64_t>();
    EXPECT_EQ(a.body["session"]["alert_id"], a.body["alert"]["id"]);
    // The same alert twice is refused.
    EXPECT_EQ(post_alert(alert_file("angiang-flood-district.xml")).status, 409);

    // While it airs, the cancel comes: every entry retired, the timelines change back.
    const auto cancel = post_alert(alert_file("angiang-cancel.xml"));
    ASSERT_EQ(cancel.status, 201) << cancel.body.dump();
    EXPECT_EQ(cancel.body["alert"]["stopped_sessions"], json({session}));
    // What aired of the flood warning is gone; its all-clear airs where the warning did.
    const std::string all_clear = cancel.body["session"]["asset_id"];
    EXPECT_NE(all_clear, a.body["session"]["asset_id"].get<std::string>());
    EXPECT_EQ(cancel.body["alert"]["stations"].get<std::vector<std::string>>(), expected);
    for (const auto& s : expected) {
        const auto items = emergency_items(s).second;
        ASSERT_EQ(items.size(), 1U) << s;
        EXPECT_EQ(items[0].asset_id(), all_clear) << s;
    }
    const auto listed = call("GET", "/api/v1/alerts", root);
    ASSERT_EQ(listed.body.size(), 2U);
    EXPECT_EQ(listed.body[0]["msg_type"], "Cancel");
    EXPECT_EQ(call("GET", "/api/v1/emergency/" + std::to_string(session), root).body["state"],
              "stopped");
    EXPECT_EQ(audit_of("alert").size(), 2U);
}

TEST_F(AlertTest, ExerciseGoesToTheTestStationsOnly) {
    const auto a = post_alert(alert_file("angiang-exercise.xml"));
    ASSERT_EQ(a.status, 201) << a.body.dump();
    EXPECT_EQ(stations_with_emergency(all), (std::vector<std::string>{"30280"}));
    EXPECT_NE(a.body["session"]["title"].get<std::string>().find("exercise"), std::string::npos);
}

TEST_F(AlertTest, PolygonOnlyAlertSaysStationsHaveNoPositions) {
    const auto before = counts();
    const auto a = post_alert(alert_file("angiang-polygon.xml"));
    EXPECT_EQ(a.status, 422) << a.body.dump();
    EXPECT_NE(text_of(a.body, "error").find("no station has a position"), std::string::npos)
        << a.body.dump();
    EXPECT_EQ(counts(), before);
}

TEST_F(AlertTest, MalformedOrHostileAlertsAre4xxAndStoreNothing) {
    const auto before = counts();
    const std::string good = alert_file("angiang-flood-district.xml");
    std::string bad_enum = good;
    bad_enum.replace(bad_enum.find("<urgency>Immediate"), 18, "<urgency>Soon");
    std::string draft = good;
    draft.replace(draft.find("<status>Actual"), 14, "<status>Draft");
    const std::string billion_laughs =
        "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 "
        "\"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>"
        "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>&lol2;</identifier>"
        "</alert>";
    for (const auto& [xml, words] :
         std::vector<std::pair<std::string, std::string>>{{"<alert", "invalid CAP"},
                                                          {bad_enum, "urgency"},
                                                          {draft, "Draft"},
                                                          {billion_laughs, "DOCTYPE"},
                                                          {"", "invalid CAP"}}) {
        const auto a = post_alert(xml);
        EXPECT_GE(a.status, 400) << words;
        EXPECT_LT(a.status, 500) << words;
        EXPECT_NE(text_of(a.body, "error").find(words), std::string::npos) << a.body.dump();
    }
    EXPECT_EQ(counts(), before);
    EXPECT_TRUE(stations_with_emergency(all).empty());
}

}  // namespace

namespace {

TEST(EmergencyConfig, EmergencyAndAlertsKeysAreReadAndChecked) {
    const auto c = config::parse_scheduler_config(
        "[emergency]\nlead_s = 5\nallow_operators = true\n[alerts]\ntest_stations = "
        "[\"30280\", \"tram-1\"]\n",
        "sched.toml");
    EXPECT_EQ(c.emergency_lead, std::chrono::seconds{5});
    EXPECT_TRUE(c.emergency_allow_operators);
    EXPECT_EQ(c.alert_test_stations, (std::vector<std::string>{"30280", "tram-1"}));
    const auto defaults = config::parse_scheduler_config("", "sched.toml");
    EXPECT_EQ(defaults.emergency_lead, std::chrono::seconds{3});
    EXPECT_FALSE(defaults.emergency_allow_operators);
    EXPECT_TRUE(defaults.alert_test_stations.empty());
    for (const auto* bad : {"[emergency]\nlead_s = 0\n", "[emergency]\nallow_operators = 1\n",
                            "[alerts]\ntest_stations = [\"a b\"]\n", "[alerts]\ntest = 1\n"}) {
        EXPECT_THROW(config::parse_scheduler_config(bad, "sched.toml"), config::ConfigError) << bad;
    }
}

}  // namespace

// --- the live first airing (issue 6) and sessions from a live source

TEST_F(EmergencyTest, TheFirstAiringGoesOutLiveAtOnceCoveringItsTimelineItem) {
    const auto now = clock.now();
    const auto a =
        post_json("/api/v1/emergency", root, {{"stations", {"C1", "C2"}}, {"asset_id", asset_id}});
    ASSERT_EQ(a.status, 201) << a.body.dump();
    const std::string session = text_of(a.body, "live_session");
    EXPECT_EQ(session, fmt::format("E{}", to_unix_us(now) / 1000));

    const auto start = link.wait_live(wire::Envelope::kLiveStart, session);
    ASSERT_TRUE(start.has_value());
    EXPECT_EQ(start->first, (std::vector<std::string>{"C1", "C2"}));
    const auto& m = start->second.live_start();
    EXPECT_EQ(m.priority(), wire::EMERGENCY);
    EXPECT_EQ(m.delay_ms(), 200U);
    EXPECT_EQ(m.first_capture_us(), to_unix_us(now));
    // It started before the entries were committed; its frames name the first airing's item
    // (covers), as the stations' timelines name it.
    clock.advance(100ms);
    const auto frame = link.wait_live(wire::Envelope::kLiveFrame, session);
    ASSERT_TRUE(frame.has_value());
    EXPECT_EQ(frame->first, (std::vector<std::string>{"C1", "C2"}));
    const auto& f = frame->second.live_frame();
    EXPECT_EQ(f.priority(), wire::EMERGENCY);
    ASSERT_EQ(f.covers_size(), 1);
    for (const auto& station : {"C1", "C2"}) {
        const auto items = emergency_items(station).second;
        ASSERT_EQ(items.size(), 1U) << station;
        EXPECT_EQ(f.covers(0).item_id(), items[0].item_id()) << station;
        EXPECT_EQ(f.covers(0).start_at_us(), items[0].start_at_us()) << station;
        EXPECT_EQ(f.covers(0).asset_id(), items[0].asset_id()) << station;
    }
    EXPECT_EQ(f.covers(0).start_at_us(), to_unix_us(now + 3s));
    {
        sqlite::Database db{db_path()};
        sqlite::Statement q{db, "SELECT live_session FROM emergency_sessions"};
        ASSERT_TRUE(q.step());
        EXPECT_EQ(q.text(0), session);
    }

    // Stopping the session stops its live session too.
    const auto stopped =
        post_json(fmt::format("/api/v1/emergency/{}/stop", a.body["id"].get<std::int64_t>()), root,
                  json::object());
    ASSERT_EQ(stopped.status, 200) << stopped.body.dump();
    const auto stop = link.wait_live(wire::Envelope::kLiveStop, session);
    ASSERT_TRUE(stop.has_value());
    EXPECT_EQ(stop->first, (std::vector<std::string>{"C1", "C2"}));
}

TEST_F(EmergencyTest, ALiveSourceSessionIsRelayedListedAuditedAndStopped) {
    const auto wav = dir.path() / "mic-recording.wav";
    test::write_file(wav, test::sine_wav(5.0));
    const auto before = counts();
    const auto a =
        post_json("/api/v1/emergency", root,
                  {{"stations", {"C3"}}, {"live", wav.string()}, {"title", "Trực tiếp"}});
    ASSERT_EQ(a.status, 201) << a.body.dump();
    const auto id = a.body["id"].get<std::int64_t>();
    const std::string session = fmt::format("E{}", id);
    EXPECT_EQ(a.body["live_session"], session);
    EXPECT_EQ(a.body["live_source"], wav.string());
    EXPECT_EQ(a.body["state"], "active");
    EXPECT_TRUE(a.body["entries"].empty());
    // A session row and its audit row; no schedule entry.
    const auto after = counts();
    EXPECT_EQ(after.entries, before.entries);
    EXPECT_EQ(after.sessions, before.sessions + 1);
    EXPECT_EQ(after.audit, before.audit + 1);
    EXPECT_TRUE(stations_with_emergency(all).empty());

    const auto start = link.wait_live(wire::Envelope::kLiveStart, session);
    ASSERT_TRUE(start.has_value());
    EXPECT_EQ(start->first, (std::vector<std::string>{"C3"}));
    EXPECT_EQ(start->second.live_start().priority(), wire::EMERGENCY);
    EXPECT_EQ(start->second.live_start().covers_size(), 0);
    EXPECT_EQ(start->second.live_start().title(), "Trực tiếp");

    const auto listed = call("GET", "/api/v1/emergency", root);
    ASSERT_EQ(listed.status, 200);
    ASSERT_EQ(listed.body.size(), 1U);
    EXPECT_EQ(listed.body[0]["state"], "active");
    EXPECT_EQ(listed.body[0]["live_source"], wav.string());

    const auto stopped =
        post_json(fmt::format("/api/v1/emergency/{}/stop", id), root, json::object());
    ASSERT_EQ(stopped.status, 200) << stopped.body.dump();
    EXPECT_EQ(stopped.body["state"], "stopped");
    ASSERT_TRUE(link.wait_live(wire::Envelope::kLiveStop, session).has_value());
    const auto audit = audit_of("emergency");
    ASSERT_EQ(audit.size(), 2U);
    EXPECT_EQ(audit[0].action == "stop" || audit[1].action == "stop", true);
    EXPECT_EQ(post_json(fmt::format("/api/v1/emergency/{}/stop", id), root, json::object()).status,
              409);
}

TEST_F(EmergencyTest, ABadLiveSourceIsRefusedAndNothingIsStored) {
    const auto before = counts();
    const auto missing =
        post_json("/api/v1/emergency", root,
                  {{"stations", {"C3"}}, {"live", (dir.path() / "no-such.wav").string()}});
    EXPECT_EQ(missing.status, 400) << missing.body.dump();
    EXPECT_EQ(text_of(missing.body, "error").rfind("source: ", 0), 0U) << missing.body.dump();
    const auto repeated =
        post_json("/api/v1/emergency", root,
                  {{"stations", {"C3"}}, {"live", "/tmp/x.wav"}, {"repeat", 2}, {"every_min", 5}});
    EXPECT_EQ(repeated.status, 400) << repeated.body.dump();
    EXPECT_NE(text_of(repeated.body, "error").find("not with live"), std::string::npos);
    const auto both =
        post_json("/api/v1/emergency", root,
                  {{"stations", {"C3"}}, {"live", "/tmp/x.wav"}, {"asset_id", asset_id}});
    EXPECT_EQ(both.status, 400) << both.body.dump();
    EXPECT_EQ(counts(), before);
}
