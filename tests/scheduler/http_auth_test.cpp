// Users, roles and scopes through the HTTP API: 401/403 with reasons, nothing stored on a refusal,
// audit rows with before/after, and the bulletins of TT 39/2020.
#include "loa/common/sqlite.hpp"
#include "loa/scheduler/auth_store.hpp"
#include "loa/scheduler/http_api.hpp"
#include "loa/scheduler/planner.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

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

// P (province) > D1 > C1, C2 and P > D2 > C3; one station per unit, named by its code.
constexpr const char* kUnits =
    "code,parent_code,name\nP,,Province\nD1,P,District 1\nC1,D1,Commune 1\nC2,D1,Commune 2\n"
    "D2,P,District 2\nC3,D2,Commune 3\n";

struct Answer {
    int status = 0;
    json body;
    std::string challenge;
};

class HttpAuthTest : public ::testing::Test {
protected:
    HttpAuthTest() : assets{dir.path()} {
        HttpApiOptions options;
        options.listen = "127.0.0.1:0";
        options.database = db_path();
        options.auth = cheap_auth();
        options.auth_policy.approval_required_for = {Role::commune_operator};
        PlannerOptions plan;
        plan.database = db_path();
        planner = std::make_unique<Planner>(plan, clock, link);
        api = std::make_unique<HttpApi>(options, keys, assets, link, *planner, clock);
        api->start();
        client = std::make_unique<httplib::Client>("127.0.0.1", api->port());
        client->set_read_timeout(20, 0);
        root = make_user("root", Role::admin, "");
        d1 = make_user("d1", Role::district_operator, "D1");
        c1 = make_user("c1", Role::commune_operator, "C1");
        viewer = make_user("v1", Role::viewer, "D1");
        EXPECT_EQ(call("POST", "/api/v1/units/import", root, kUnits, "text/csv").status, 200);
        asset_id = upload(root).body.value("id", "");
    }

    static AuthOptions cheap_auth() {
        AuthOptions o;
        o.pwhash_opslimit = 1;
        o.pwhash_memlimit = 8192;
        return o;
    }

    std::string db_path() const { return (dir.path() / "scheduler.db").string(); }

    std::string make_user(const std::string& name, Role role, const std::string& scope,
                          std::optional<Duration> lifetime = std::nullopt) {
        AuthStore auth{db_path(), clock, cheap_auth()};
        if (!auth.find_user(name)) {
            NewUser u{name, "", role, scope};
            const auto added = auth.add_user(u, "correct horse battery", Actor{"test", "local"});
            EXPECT_TRUE(added) << added.error().message;
        }
        const auto token = auth.issue_api_token(name, "test", lifetime, Actor{"test", "local"});
        EXPECT_TRUE(token) << token.error().message;
        return token ? token->token : std::string{};
    }

    Answer call(const std::string& method, const std::string& path, const std::string& token,
                const std::string& body = "", const char* type = "application/json") {
        httplib::Headers headers;
        if (!token.empty()) {
            headers.emplace("Authorization", "Bearer " + token);
        }
        auto res = method == "GET"    ? client->Get(path, headers)
                   : method == "POST" ? client->Post(path, headers, body, type)
                   : method == "PUT"  ? client->Put(path, headers, body, type)
                                      : client->Delete(path, headers);
        EXPECT_TRUE(res) << "no answer to " << method << " " << path;
        if (!res) {
            return {};
        }
        Answer a;
        a.status = res->status;
        a.body = res->body.empty() ? json{} : json::parse(res->body, nullptr, false);
        a.challenge = res->get_header_value("WWW-Authenticate");
        return a;
    }

    Answer upload(const std::string& token) {
        return call("POST", "/api/v1/assets?name=tone.wav", token, test::sine_wav(1.0),
                    "audio/wav");
    }

    Answer add_entry(const std::string& token, const json& targets, const std::string& priority,
                     TimePoint at) {
        json body{{"asset_id", asset_id}, {"at", format_utc(at)}, {"priority", priority}};
        body.update(targets);
        return call("POST", "/api/v1/schedule", token, body.dump());
    }

    std::int64_t count(const char* table) {
        sqlite::Database db{db_path()};
        sqlite::Statement s{db, std::string{"SELECT count(*) FROM "} + table};
        s.step();
        return s.int64(0);
    }

    // What a refused request must leave as it was.
    struct Counts {
        std::int64_t entries, audit, stations, assets, units, bulletins;
        bool operator==(const Counts&) const = default;
    };
    Counts counts() {
        return {count("entries"), count("audit_log"),   count("stations"),
                count("assets"),  count("admin_units"), count("bulletins")};
    }

    // Expects a 403 whose reason contains `words`, and nothing stored.
    void expect_refused(const Answer& a, const Counts& before, const std::string& words) {
        EXPECT_EQ(a.status, 403) << a.body.dump();
        EXPECT_NE(a.body.value("error", "").find(words), std::string::npos) << a.body.dump();
        EXPECT_EQ(counts(), before);
    }

    std::vector<AuditEvent> audit_of(const std::string& kind) {
        AuthStore auth{db_path(), clock, cheap_auth()};
        AuditQuery q;
        q.object_kind = kind;
        return auth.audit().query(auth.database(), q);
    }

    test::TempDir dir;
    FakeClock clock{test::test_epoch()};
    SchedulerKeys keys{transport::CurveKeyPair::generate(), protocol::SigningKeyPair::generate()};
    NullLink link;
    AssetLibrary assets;
    std::unique_ptr<Planner> planner;
    std::unique_ptr<HttpApi> api;
    std::unique_ptr<httplib::Client> client;
    std::string root, d1, c1, viewer, asset_id;
};

TEST_F(HttpAuthTest, RequestsWithoutAValidTokenAre401WithAReason) {
    EXPECT_EQ(call("GET", "/api/v1/health", "").status, 200);
    const auto none = call("GET", "/api/v1/stations", "");
    EXPECT_EQ(none.status, 401);
    EXPECT_EQ(none.challenge, R"(Bearer realm="loa")");
    EXPECT_FALSE(none.body.value("error", "").empty());
    const auto bad = call("GET", "/api/v1/stations", "loa_" + std::string(64, '0'));
    EXPECT_EQ(bad.status, 401);
    EXPECT_NE(bad.body.value("error", "").find("not known"), std::string::npos) << bad.body.dump();

    const auto short_lived = make_user("d1", Role::district_operator, "D1", 1h);
    EXPECT_EQ(call("GET", "/api/v1/me", short_lived).status, 200);
    clock.advance(2h);
    const auto expired = call("GET", "/api/v1/me", short_lived);
    EXPECT_EQ(expired.status, 401);
    EXPECT_NE(expired.body.value("error", "").find("expired"), std::string::npos)
        << expired.body.dump();

    // Login, then logout revokes the token.
    const auto login = call("POST", "/api/v1/login", "",
                            json{{"user", "c1"}, {"password", "correct horse battery"}}.dump());
    ASSERT_EQ(login.status, 201) << login.body.dump();
    const std::string token = login.body["token"];
    EXPECT_EQ(call("GET", "/api/v1/me", token).body["name"], "c1");
    EXPECT_EQ(call("DELETE", "/api/v1/session", token).status, 204);
    const auto revoked = call("GET", "/api/v1/me", token);
    EXPECT_EQ(revoked.status, 401);
    EXPECT_NE(revoked.body.value("error", "").find("revoked"), std::string::npos)
        << revoked.body.dump();
    EXPECT_EQ(call("POST", "/api/v1/login", "",
                   json{{"user", "c1"}, {"password", "wrong password!"}}.dump())
                  .status,
              401);
}

TEST_F(HttpAuthTest, EachRoleCreatesEntriesOnlyInItsScopeAndClasses) {
    const auto at = clock.now() + 1h;
    ASSERT_EQ(add_entry(root, {{"units", {"P"}}}, "province", at).status, 201);
    const auto mine = add_entry(d1, {{"units", {"D1"}}}, "district", at + 1h);
    ASSERT_EQ(mine.status, 201) << mine.body.dump();
    EXPECT_EQ(mine.body["created_by"], "d1");
    EXPECT_EQ(mine.body["state"], "approved");

    auto before = counts();
    expect_refused(add_entry(d1, {{"units", {"D2"}}}, "district", at), before, "D2");
    expect_refused(add_entry(d1, {{"stations", {"C1"}}}, "province", at), before, "province");
    expect_refused(add_entry(c1, {{"stations", {"C2"}}}, "commune", at), before, "C2");
    expect_refused(add_entry(c1, {{"stations", {"C1"}}}, "district", at), before, "district");
    expect_refused(add_entry(viewer, {{"stations", {"C1"}}}, "commune", at), before, "viewer");

    // A commune operator's entry is a draft until the district approves it.
    const auto draft = add_entry(c1, {{"stations", {"C1"}}}, "commune", at + 2h);
    ASSERT_EQ(draft.status, 201) << draft.body.dump();
    EXPECT_EQ(draft.body["state"], "draft");
    const auto id = std::to_string(draft.body["id"].get<int>());
    before = counts();
    expect_refused(call("POST", "/api/v1/schedule/" + id + "/approve", c1), before, "c");
    const auto approved = call("POST", "/api/v1/schedule/" + id + "/approve", d1);
    ASSERT_EQ(approved.status, 200) << approved.body.dump();
    EXPECT_EQ(approved.body["state"], "approved");
    EXPECT_EQ(planner->entry(std::stoll(id))->entry.state, EntryState::approved);

    // Retiring: a commune operator cannot retire the province's item; the district its own.
    const auto province_id = std::to_string(planner->entries().front().entry.id);
    before = counts();
    expect_refused(call("POST", "/api/v1/schedule/" + province_id + "/retire", c1), before,
                   "commune-operator");
    const auto mine_id = std::to_string(mine.body["id"].get<int>());
    EXPECT_EQ(call("POST", "/api/v1/schedule/" + mine_id + "/retire", d1).status, 200);

    // Every change is in the audit log with the entry before and after.
    const auto events = audit_of("entry");
    ASSERT_EQ(events.size(), 5U);  // 3 created, 1 approved, 1 retired; newest first
    EXPECT_EQ(events[0].action, "retire");
    EXPECT_EQ(events[0].actor, "d1");
    EXPECT_EQ(json::parse(*events[0].before)["state"], "approved");
    EXPECT_EQ(json::parse(*events[0].after)["state"], "retired");
    EXPECT_EQ(events[1].action, "approve");
    EXPECT_EQ(json::parse(*events[1].before)["state"], "draft");
    EXPECT_EQ(json::parse(*events[1].after)["state"], "approved");
    EXPECT_EQ(events[2].action, "create");
    EXPECT_FALSE(events[2].before.has_value());
    EXPECT_EQ(json::parse(*events[2].after)["created_by"], "c1");
}

TEST_F(HttpAuthTest, OnlyAdminsImportUnitsAndAddStationsAndViewersUploadNothing) {
    const auto before = counts();
    expect_refused(
        call("POST", "/api/v1/units/import", d1, "code,parent_code,name\nX,P,X\n", "text/csv"),
        before, "district-operator");
    expect_refused(call("POST", "/api/v1/stations", c1, json{{"id", "s9"}, {"name", "S"}}.dump()),
                   before, "commune-operator");
    expect_refused(upload(viewer), before, "viewer");
    const auto added = call("POST", "/api/v1/stations", root,
                            json{{"id", "s9"}, {"name", "S"}, {"unit", "C3"}}.dump());
    ASSERT_EQ(added.status, 201) << added.body.dump();
    EXPECT_EQ(counts().stations, before.stations + 1);
    const auto rows = audit_of("station");
    ASSERT_EQ(rows.size(), 1U);
    EXPECT_EQ(rows[0].actor, "root");
    EXPECT_EQ(json::parse(*rows[0].after)["id"], "s9");
    EXPECT_EQ(audit_of("unit").size(), 1U);   // the fixture's import
    EXPECT_EQ(audit_of("asset").size(), 1U);  // the fixture's upload
}

TEST_F(HttpAuthTest, ReadsAreFilteredToTheScope) {
    ASSERT_EQ(add_entry(d1, {{"units", {"D1"}}}, "district", clock.now() + 1h).status, 201);
    ASSERT_EQ(add_entry(root, {{"units", {"D2"}}}, "district", clock.now() + 1h).status, 201);
    std::vector<std::string> ids;
    for (const auto& s : call("GET", "/api/v1/stations", c1).body) {
        ids.push_back(s["id"]);
    }
    EXPECT_NE(std::find(ids.begin(), ids.end(), "C1"), ids.end());
    EXPECT_EQ(std::find(ids.begin(), ids.end(), "C2"), ids.end());
    EXPECT_EQ(std::find(ids.begin(), ids.end(), "C3"), ids.end());
    EXPECT_EQ(call("GET", "/api/v1/stations/C3", c1).status, 403);
    EXPECT_EQ(call("GET", "/api/v1/schedule", c1).body.size(), 1U);  // D1's, not D2's
    EXPECT_EQ(call("GET", "/api/v1/schedule", root).body.size(), 2U);
    EXPECT_EQ(call("GET", "/api/v1/asrun?station=C3", c1).status, 403);
    EXPECT_EQ(call("GET", "/api/v1/audit", d1).status, 403);
    EXPECT_EQ(call("GET", "/api/v1/audit", root).status, 200);
}

TEST_F(HttpAuthTest, ANormalBulletinWaitsInTheInboxUntilTheCommuneSchedulesIt) {
    const auto sent = call("POST", "/api/v1/bulletins", d1,
                           json{{"kind", "normal"},
                                {"title", "Lịch tiêm chủng"},
                                {"asset_id", asset_id},
                                {"units", {"D1"}}}
                               .dump());
    ASSERT_EQ(sent.status, 201) << sent.body.dump();
    EXPECT_EQ(sent.body["priority"], "district");
    ASSERT_EQ(sent.body["deliveries"].size(), 2U);  // C1 and C2, not D1 itself
    const auto id = std::to_string(sent.body["id"].get<int>());
    const auto inbox = call("GET", "/api/v1/stations/C1/inbox?pending=1", c1);
    ASSERT_EQ(inbox.status, 200);
    ASSERT_EQ(inbox.body.size(), 1U);
    EXPECT_EQ(inbox.body[0]["state"], "pending");
    EXPECT_EQ(inbox.body[0]["bulletin"]["title"], "Lịch tiêm chủng");

    const auto revision = planner->wire_timeline("C1")->items_size();
    const auto at = clock.now() + 30min;
    const auto before = counts();
    expect_refused(call("POST", "/api/v1/bulletins/" + id + "/deliveries/C2/schedule", c1,
                        json{{"at", format_utc(at)}}.dump()),
                   before, "C2");
    const auto scheduled = call("POST", "/api/v1/bulletins/" + id + "/deliveries/C1/schedule", c1,
                                json{{"at", format_utc(at)}}.dump());
    ASSERT_EQ(scheduled.status, 200) << scheduled.body.dump();
    EXPECT_EQ(scheduled.body["state"], "scheduled");
    EXPECT_EQ(scheduled.body["decided_by"], "c1");
    const auto entry = planner->entry(scheduled.body["entry_id"].get<std::int64_t>());
    ASSERT_TRUE(entry);
    EXPECT_EQ(entry->entry.where.stations, std::vector<std::string>{"C1"});
    EXPECT_EQ(entry->entry.at, at);
    EXPECT_EQ(entry->entry.priority, wire::DISTRICT);
    EXPECT_EQ(planner->wire_timeline("C1")->items_size(), revision + 1);
    EXPECT_EQ(planner->wire_timeline("C2")->items_size(), 0);

    // The district sees the commune's decision.
    const auto seen = call("GET", "/api/v1/bulletins/" + id, d1);
    ASSERT_EQ(seen.status, 200);
    EXPECT_EQ(seen.body["counts"]["scheduled"], 1);
    EXPECT_EQ(seen.body["counts"]["pending"], 1);

    // Declining retires the entry.
    const auto declined = call("POST", "/api/v1/bulletins/" + id + "/deliveries/C1/decline", c1,
                               json{{"note", "trùng lịch họp"}}.dump());
    ASSERT_EQ(declined.status, 200) << declined.body.dump();
    EXPECT_EQ(declined.body["state"], "declined");
    EXPECT_EQ(planner->entry(entry->entry.id)->entry.state, EntryState::retired);
    EXPECT_EQ(planner->wire_timeline("C1")->items_size(), 0);
    const auto rows = audit_of("delivery");
    ASSERT_EQ(rows.size(), 2U);
    EXPECT_EQ(rows[0].action, "decline");
    EXPECT_EQ(json::parse(*rows[0].before)["state"], "scheduled");
    EXPECT_EQ(audit_of("bulletin").size(), 1U);

    // A commune operator does not send bulletins; a district operator not outside its district.
    const auto now = counts();
    expect_refused(call("POST", "/api/v1/bulletins", c1,
                        json{{"title", "x"}, {"asset_id", asset_id}, {"units", {"C1"}}}.dump()),
                   now, "commune-operator");
    expect_refused(call("POST", "/api/v1/bulletins", d1,
                        json{{"title", "x"}, {"asset_id", asset_id}, {"units", {"D2"}}}.dump()),
                   now, "D2");
}

TEST_F(HttpAuthTest, APriorityBulletinGoesToTheNextBreakAndAnEmergencyAirsAtOnce) {
    // An item airs at C1 from now for 1 s: the priority bulletin waits for its end.
    const auto now = clock.now();
    ASSERT_EQ(add_entry(root, {{"stations", {"C1"}}}, "commune", now).status, 201);
    const auto sent = call(
        "POST", "/api/v1/bulletins", root,
        json{{"kind", "priority"}, {"title", "Bão số 9"}, {"asset_id", asset_id}, {"units", {"D1"}}}
            .dump());
    ASSERT_EQ(sent.status, 201) << sent.body.dump();
    EXPECT_EQ(sent.body["priority"], "province");
    std::map<std::string, json> by_station;
    for (const auto& d : sent.body["deliveries"]) {
        by_station[d["station"]] = d;
    }
    ASSERT_EQ(by_station.size(), 2U);
    EXPECT_EQ(by_station["C1"]["state"], "scheduled");
    EXPECT_EQ(by_station["C1"]["decided_by"], "system");
    EXPECT_EQ(by_station["C1"]["air_at"], format_utc(now + 1s));
    EXPECT_EQ(by_station["C2"]["air_at"], format_utc(now));
    const auto entry = planner->entry(by_station["C1"]["entry_id"].get<std::int64_t>());
    ASSERT_TRUE(entry);
    EXPECT_EQ(entry->entry.cut_policy, CutPolicy::move);
    EXPECT_EQ(entry->entry.priority, wire::PROVINCE);
    EXPECT_EQ(entry->entry.state, EntryState::approved);

    const auto emergency = call(
        "POST", "/api/v1/bulletins", root,
        json{{"kind", "emergency"}, {"title", "Lũ quét"}, {"asset_id", asset_id}, {"units", {"P"}}}
            .dump());
    ASSERT_EQ(emergency.status, 201) << emergency.body.dump();
    ASSERT_EQ(emergency.body["deliveries"].size(), 3U);  // C1, C2, C3
    const auto e = planner->entry(emergency.body["deliveries"][0]["entry_id"].get<std::int64_t>());
    ASSERT_TRUE(e);
    EXPECT_EQ(e->entry.priority, wire::EMERGENCY);
    EXPECT_EQ(e->entry.at, now + 5s);
    EXPECT_EQ(e->entry.where.stations.size(), 3U);
    // Only an admin sends an emergency.
    const auto before = counts();
    expect_refused(
        call("POST", "/api/v1/bulletins", d1,
             json{{"kind", "emergency"}, {"title", "x"}, {"asset_id", asset_id}, {"units", {"D1"}}}
                 .dump()),
        before, "emergency");
}

}  // namespace
