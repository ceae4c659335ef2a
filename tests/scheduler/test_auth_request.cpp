#include "loa/common/clock.hpp"
#include "loa/common/sqlite.hpp"
#include "loa/scheduler/admin_units.hpp"
#include "loa/scheduler/auth_store.hpp"
#include "loa/scheduler/authorizer.hpp"
#include "loa/scheduler/request_auth.hpp"
#include "loa/scheduler/station_csv.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

using namespace loa;
using namespace loa::scheduler;
using json = nlohmann::json;

namespace {

TimePoint epoch() {
    return from_unix_us(1'795'737'600'000'000);  // 2026-11-27T00:00:00Z
}

std::int64_t count(sqlite::Database& db, const std::string& sql) {
    sqlite::Statement s{db, sql};
    s.step();
    return s.int64(0);
}

RequestAuth::AuditParams params(std::initializer_list<std::pair<std::string, std::string>> kv) {
    RequestAuth::AuditParams p;
    for (const auto& [k, v] : kv) {
        std::string* field = k == "from"     ? &p.from
                             : k == "until"  ? &p.until
                             : k == "user"   ? &p.user
                             : k == "kind"   ? &p.kind
                             : k == "object" ? &p.object
                                             : &p.limit;
        *field = v;
    }
    return p;
}

class RequestAuthTest : public ::testing::Test {
protected:
    RequestAuthTest() {
        AuthOptions o;
        o.pwhash_opslimit = 1;
        o.pwhash_memlimit = 8192;
        store = std::make_unique<AuthStore>(db, clock, o);
        http = std::make_unique<RequestAuth>(*store);
        EXPECT_TRUE(tree.merge({{"89", "", "province", "", "An Giang", ""},
                                {"883", "89", "district", "", "Long Xuyên", ""},
                                {"889", "89", "district", "", "Châu Phú", ""},
                                {"30280", "883", "commune", "", "Mỹ Bình", ""}})
                        .empty());
        EXPECT_TRUE(store
                        ->add_user({"admin", "", Role::admin, ""}, "admin password 1",
                                   {"local:create-admin", "local"})
                        .ok());
        EXPECT_TRUE(store
                        ->add_user({"lan", "", Role::district_operator, "883"}, "lan password 1",
                                   {"admin", "local"})
                        .ok());
    }

    std::string login(const std::string& name, const std::string& password) {
        const auto a =
            http->login(json{{"user", name}, {"password", password}}.dump(), "127.0.0.1");
        EXPECT_EQ(a.status, 201) << a.body;
        return json::parse(a.body).value("token", "");
    }

    User authenticated(const std::string& token) {
        auto u = http->authenticate("Bearer " + token);
        EXPECT_TRUE(u.ok()) << (u.ok() ? "" : u.error().message);
        return u.ok() ? *u : User{};
    }

    FakeClock clock{epoch()};
    sqlite::Database db{":memory:"};
    std::unique_ptr<AuthStore> store;
    std::unique_ptr<RequestAuth> http;
    AdminUnitTree tree;
    std::vector<Station> stations{{"st-30280", "30280", "Mỹ Bình", {"main"}}};
    Authorizer authorizer{tree, stations};
};

TEST(RequestAuthBearer, ParsesTheHeader) {
    EXPECT_EQ(*RequestAuth::parse_bearer("Bearer loa_abc"), "loa_abc");
    EXPECT_EQ(*RequestAuth::parse_bearer("bearer   loa_abc  "), "loa_abc");
    const std::pair<std::string, std::string> bad[] = {
        {"", "authentication required: send 'Authorization: Bearer <token>'"},
        {"Basic dXNlcjpwYXNz", "the Authorization scheme 'Basic' is not supported"},
        {"Bearer", "has no token after 'Bearer'"},
        {"Bearer   ", "has no token after 'Bearer'"},
    };
    for (const auto& [header, expected] : bad) {
        auto r = RequestAuth::parse_bearer(header);
        ASSERT_FALSE(r.ok()) << header;
        EXPECT_NE(r.error().message.find(expected), std::string::npos) << r.error().message;
    }
}

TEST_F(RequestAuthTest, LoginThenAuthenticate) {
    const auto a = http->login(R"({"user":"lan","password":"lan password 1"})", "10.0.0.9");
    ASSERT_EQ(a.status, 201) << a.body;
    const auto body = json::parse(a.body);
    EXPECT_EQ(body["expires_at"], "2026-12-27T00:00:00.000Z");
    EXPECT_EQ(body["user"]["role"], "district-operator");
    EXPECT_EQ(body["user"]["scope"], "883");
    const User u = authenticated(body["token"]);
    EXPECT_EQ(u.name, "lan");

    const auto me = json::parse(http->whoami(u).body);
    EXPECT_EQ(me["name"], "lan");
    EXPECT_EQ(me.find("password_hash"), me.end());
}

TEST_F(RequestAuthTest, LoginFailuresAre401Or400AndIssueNothing) {
    EXPECT_EQ(http->login(R"({"user":"lan","password":"nope nope nope"})", "x").status, 401);
    EXPECT_EQ(http->login(R"({"user":"lan"})", "x").status, 400);
    EXPECT_EQ(http->login(R"({"user":"lan","password":"lan password 1","otp":1})", "x").status,
              400);
    EXPECT_EQ(http->login("not json", "x").status, 400);
    EXPECT_EQ(http->login(R"({"user":5,"password":"x"})", "x").status, 400);
    EXPECT_EQ(count(db, "SELECT COUNT(*) FROM auth_tokens"), 0);
    const auto wrong = http->login(R"({"user":"lan","password":"nope nope nope"})", "x");
    EXPECT_EQ(json::parse(wrong.body)["error"], "wrong user name or password");
}

TEST_F(RequestAuthTest, UnauthenticatedRequestsGetA401Reason) {
    auto missing = http->authenticate("");
    ASSERT_FALSE(missing.ok());
    const auto answer = RequestAuth::unauthorized(missing.error());
    EXPECT_EQ(answer.status, 401);
    EXPECT_NE(json::parse(answer.body)["error"].get<std::string>().find("authentication required"),
              std::string::npos);
    EXPECT_FALSE(http->authenticate("Bearer loa_" + std::string(64, '0')).ok());
}

TEST_F(RequestAuthTest, LogoutRevokesTheRequestsToken) {
    const auto token = login("lan", "lan password 1");
    const User u = authenticated(token);
    EXPECT_EQ(http->logout(u, "Bearer " + token, "127.0.0.1").status, 204);
    auto after = http->authenticate("Bearer " + token);
    ASSERT_FALSE(after.ok());
    EXPECT_NE(after.error().message.find("revoked"), std::string::npos);
}

TEST_F(RequestAuthTest, NonAdminCannotAddUsersAndNothingIsStored) {
    const User lan = authenticated(login("lan", "lan password 1"));
    const auto before_users = count(db, "SELECT COUNT(*) FROM auth_users");
    const auto before_audit = count(db, "SELECT COUNT(*) FROM audit_log");
    const auto a = http->add_user(
        lan, authorizer,
        R"({"name":"thu","role":"viewer","scope":"883","password":"thu password 1"})", "127.0.0.1");
    EXPECT_EQ(a.status, 403);
    EXPECT_NE(json::parse(a.body)["error"].get<std::string>().find(
                  "district-operator of 883 cannot manage users"),
              std::string::npos)
        << a.body;
    EXPECT_EQ(count(db, "SELECT COUNT(*) FROM auth_users"), before_users);
    EXPECT_EQ(count(db, "SELECT COUNT(*) FROM audit_log"), before_audit);
    EXPECT_EQ(http->list_users(lan, authorizer).status, 403);
    EXPECT_EQ(http->query_audit(lan, authorizer, {}).status, 403);
}

TEST_F(RequestAuthTest, AdminAddsUpdatesAndDisablesUsers) {
    const User admin = authenticated(login("admin", "admin password 1"));
    auto a = http->add_user(
        admin, authorizer,
        R"({"name":"thu","display_name":"Thu","role":"viewer","scope":"883","password":"thu password 1"})",
        "10.0.0.1");
    ASSERT_EQ(a.status, 201) << a.body;
    EXPECT_EQ(count(db,
                    "SELECT COUNT(*) FROM auth_users WHERE name = 'thu' AND role = 'viewer' "
                    "AND scope = '883'"),
              1);
    EXPECT_EQ(count(db,
                    "SELECT COUNT(*) FROM audit_log WHERE actor = 'admin' AND action = "
                    "'create' AND object_id = 'thu' AND client_address = '10.0.0.1'"),
              1);
    // The same name again: 409; an unknown scope or role: 400/403; nothing added.
    EXPECT_EQ(
        http->add_user(admin, authorizer, R"({"name":"thu","role":"viewer","scope":"883"})", "x")
            .status,
        409);
    EXPECT_EQ(
        http->add_user(admin, authorizer, R"({"name":"x","role":"viewer","scope":"999"})", "x")
            .status,
        403);
    EXPECT_EQ(http->add_user(admin, authorizer, R"({"name":"x","role":"boss","scope":"883"})", "x")
                  .status,
              400);
    EXPECT_EQ(count(db, "SELECT COUNT(*) FROM auth_users"), 3);

    const std::string thu_token = login("thu", "thu password 1");
    auto u = http->update_user(admin, authorizer, "thu", R"({"disabled":true})", "10.0.0.1");
    ASSERT_EQ(u.status, 200) << u.body;
    EXPECT_EQ(json::parse(u.body)["disabled"], true);
    EXPECT_FALSE(http->authenticate("Bearer " + thu_token).ok());

    // A refused password leaves the other fields as they were.
    auto refused =
        http->update_user(admin, authorizer, "thu", R"({"scope":"889","password":"short"})", "x");
    EXPECT_EQ(refused.status, 400);
    EXPECT_EQ(count(db, "SELECT COUNT(*) FROM auth_users WHERE name = 'thu' AND scope = '883'"), 1);
    EXPECT_EQ(http->update_user(admin, authorizer, "nobody", "{}", "x").status, 404);

    const auto list = json::parse(http->list_users(admin, authorizer).body);
    ASSERT_EQ(list.size(), 3u);
    EXPECT_EQ(list[2]["name"], "thu");
}

TEST_F(RequestAuthTest, ApiTokensAreIssuedByAdminsAndRevocableByTheirOwner) {
    const User admin = authenticated(login("admin", "admin password 1"));
    auto a = http->issue_token(admin, authorizer,
                               R"({"user":"lan","label":"report exporter","lifetime_days":7})",
                               "127.0.0.1");
    ASSERT_EQ(a.status, 201) << a.body;
    const auto body = json::parse(a.body);
    EXPECT_EQ(body["kind"], "api");
    EXPECT_EQ(body["expires_at"], "2026-12-04T00:00:00.000Z");
    const User lan = authenticated(body["token"]);
    EXPECT_EQ(lan.name, "lan");
    EXPECT_EQ(http->issue_token(lan, authorizer, R"({"user":"lan"})", "x").status, 403);
    EXPECT_EQ(
        http->issue_token(admin, authorizer, R"({"user":"lan","lifetime_days":0})", "x").status,
        400);

    const auto id = std::to_string(body["token_id"].get<std::int64_t>());
    EXPECT_EQ(http->revoke_token(lan, authorizer, id, "x").status, 204);
    EXPECT_FALSE(http->authenticate("Bearer " + body["token"].get<std::string>()).ok());
    // Someone else's token: only an admin.
    const std::string admin_token_id = std::to_string(store->list_tokens("admin")[0].id);
    EXPECT_EQ(http->revoke_token(lan, authorizer, admin_token_id, "x").status, 403);
    EXPECT_EQ(http->revoke_token(admin, authorizer, "abc", "x").status, 400);
    EXPECT_EQ(http->revoke_token(admin, authorizer, "999", "x").status, 404);
}

TEST_F(RequestAuthTest, AuditQueryFiltersAndShowsBeforeAndAfter) {
    const User admin = authenticated(login("admin", "admin password 1"));
    ASSERT_EQ(
        http->update_user(admin, authorizer, "lan", R"({"display_name":"Lan Nguyễn"})", "10.0.0.1")
            .status,
        200);
    auto a = http->query_audit(admin, authorizer, params({{"kind", "user"}, {"object", "lan"}}));
    ASSERT_EQ(a.status, 200) << a.body;
    const auto list = json::parse(a.body);
    ASSERT_EQ(list.size(), 2u);
    EXPECT_EQ(list[0]["action"], "update");
    EXPECT_EQ(list[0]["before"]["display_name"], "lan");
    EXPECT_EQ(list[0]["after"]["display_name"], "Lan Nguyễn");
    EXPECT_EQ(list[0]["user"], "admin");
    EXPECT_EQ(list[1]["action"], "create");
    EXPECT_EQ(list[1]["before"], nullptr);

    EXPECT_EQ(http->query_audit(admin, authorizer, params({{"from", "yesterday"}})).status, 400);
    EXPECT_EQ(http->query_audit(admin, authorizer, params({{"object", "lan"}})).status, 400);
    EXPECT_EQ(http->query_audit(admin, authorizer, params({{"limit", "0"}})).status, 400);
    const auto later = json::parse(
        http->query_audit(admin, authorizer, params({{"from", "2026-11-28T00:00:00Z"}})).body);
    EXPECT_TRUE(later.empty());
    const auto by_admin = json::parse(
        http->query_audit(admin, authorizer, params({{"user", "admin"}, {"limit", "1"}})).body);
    ASSERT_EQ(by_admin.size(), 1u);
    EXPECT_EQ(by_admin[0]["action"], "update");
}

}  // namespace
