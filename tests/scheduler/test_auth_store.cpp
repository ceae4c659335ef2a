#include "loa/common/clock.hpp"
#include "loa/common/digest.hpp"
#include "loa/common/sqlite.hpp"
#include "loa/scheduler/auth_schema.hpp"
#include "loa/scheduler/auth_store.hpp"
#include "loa/test/temp_dir.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

using namespace loa;
using namespace loa::scheduler;
using namespace std::chrono_literals;
using loa::test_support::TempDir;

namespace {

// 2026-11-27T00:00:00Z.
TimePoint epoch() {
    return from_unix_us(1'795'737'600'000'000);
}

// The cheapest argon2id libsodium allows: the tests check the logic, not the cost.
AuthOptions fast_options() {
    AuthOptions o;
    o.pwhash_opslimit = 1;
    o.pwhash_memlimit = 8192;
    return o;
}

const Actor kLocal{"local:test", "local"};
constexpr std::string_view kPassword = "correct horse battery";

std::int64_t count(sqlite::Database& db, const std::string& sql) {
    sqlite::Statement s{db, sql};
    s.step();
    return s.int64(0);
}

std::string file_bytes(const std::filesystem::path& path) {
    std::ifstream in{path, std::ios::binary};
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

AuditQuery by_actor(const std::string& actor) {
    AuditQuery q;
    q.actor = actor;
    return q;
}

AuditQuery of_kind(const std::string& kind) {
    AuditQuery q;
    q.object_kind = kind;
    return q;
}

AuditQuery of_object(const std::string& kind, const std::string& id) {
    AuditQuery q = of_kind(kind);
    q.object_id = id;
    return q;
}

UserChange role_and_scope(Role role, const std::string& scope) {
    UserChange c;
    c.role = role;
    c.scope = scope;
    return c;
}

UserChange disable() {
    UserChange c;
    c.disabled = true;
    return c;
}

class AuthStoreTest : public ::testing::Test {
protected:
    FakeClock clock{epoch()};
    sqlite::Database db{":memory:"};
    AuthStore store{db, clock, fast_options()};

    User add(const std::string& name, Role role, const std::string& scope) {
        auto u = store.add_user({name, "", role, scope}, kPassword, kLocal);
        EXPECT_TRUE(u.ok()) << (u.ok() ? "" : u.error().message);
        return *u;
    }
};

TEST_F(AuthStoreTest, AddsUserWithArgon2idHashAndAuditRow) {
    const User u = add("lan", Role::district_operator, "883");
    EXPECT_GT(u.id, 0);
    EXPECT_EQ(u.display_name, "lan");

    sqlite::Statement s{db,
                        "SELECT role, scope, password_hash, disabled FROM auth_users "
                        "WHERE name = 'lan'"};
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.text(0), "district-operator");
    EXPECT_EQ(s.text(1), "883");
    EXPECT_TRUE(s.text(2).starts_with("$argon2id$")) << s.text(2);
    EXPECT_EQ(s.text(2).find(kPassword), std::string::npos);
    EXPECT_EQ(s.int64(3), 0);

    const auto events = store.audit().query(db, {});
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].action, "create");
    EXPECT_EQ(events[0].object_kind, "user");
    EXPECT_EQ(events[0].object_id, "lan");
    EXPECT_EQ(events[0].actor, "local:test");
    EXPECT_FALSE(events[0].before);
    ASSERT_TRUE(events[0].after);
    EXPECT_NE(events[0].after->find("\"district-operator\""), std::string::npos);
    EXPECT_EQ(events[0].after->find(kPassword), std::string::npos);
    EXPECT_EQ(events[0].at_us, to_unix_us(epoch()));
}

TEST_F(AuthStoreTest, RefusesBadUsersNamingTheFieldAndStoresNothing) {
    add("lan", Role::viewer, "883");
    struct Case {
        NewUser user;
        std::string password;
        std::string expected;
    };
    const Case cases[] = {
        {{"lan", "", Role::viewer, "883"}, std::string{kPassword}, "exists already"},
        {{"bad name", "", Role::viewer, "883"}, std::string{kPassword}, "name:"},
        {{"op", "", Role::commune_operator, ""},
         std::string{kPassword},
         "scope: a commune-operator"},
        {{"op", "", Role::viewer, "88 3"}, std::string{kPassword}, "scope: '88 3'"},
        {{"op", "", Role::viewer, "883"}, "short", "password: must be at least 10"},
        {{"op", "tab\there", Role::viewer, "883"}, std::string{kPassword}, "display_name:"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.user.name);
        auto r = store.add_user(c.user, c.password, kLocal);
        ASSERT_FALSE(r.ok());
        EXPECT_NE(r.error().message.find(c.expected), std::string::npos) << r.error().message;
    }
    EXPECT_EQ(count(db, "SELECT COUNT(*) FROM auth_users"), 1);
    EXPECT_EQ(count(db, "SELECT COUNT(*) FROM audit_log"), 1);
}

TEST_F(AuthStoreTest, LoginIssuesTokenStoredOnlyAsSha256) {
    add("lan", Role::district_operator, "883");
    auto issued = store.login("lan", kPassword, {"lan", "10.0.0.7"});
    ASSERT_TRUE(issued.ok()) << issued.error().message;
    const std::string& token = issued->token;
    EXPECT_EQ(token.size(), 68u);
    EXPECT_TRUE(token.starts_with("loa_"));
    EXPECT_TRUE(is_sha256_hex(token.substr(4)));  // 64 lower-case hex digits

    sqlite::Statement s{db, "SELECT token_sha256, kind, expires_at_us FROM auth_tokens"};
    ASSERT_TRUE(s.step());
    const std::string digest = sha256_hex(std::span<const std::uint8_t>{
        reinterpret_cast<const std::uint8_t*>(token.data()), token.size()});
    EXPECT_EQ(s.text(0), digest);
    EXPECT_EQ(s.text(1), "session");
    EXPECT_EQ(s.int64(2), to_unix_us(epoch() + 24h * 30));
    EXPECT_FALSE(s.step());

    const auto events = store.audit().query(db, of_kind("token"));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].action, "login");
    EXPECT_EQ(events[0].actor, "lan");
    EXPECT_EQ(events[0].client_address, "10.0.0.7");
    EXPECT_EQ(events[0].after->find(token), std::string::npos);

    auto user = store.authenticate(token);
    ASSERT_TRUE(user.ok()) << user.error().message;
    EXPECT_EQ(user->name, "lan");
    EXPECT_EQ(user->role, Role::district_operator);
    EXPECT_EQ(user->scope, "883");
}

TEST_F(AuthStoreTest, WrongPasswordAndUnknownUserGetTheSameAnswerAndNoToken) {
    add("lan", Role::viewer, "883");
    auto wrong = store.login("lan", "not the password", kLocal);
    auto unknown = store.login("nobody", kPassword, kLocal);
    ASSERT_FALSE(wrong.ok());
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(wrong.error().message, "wrong user name or password");
    EXPECT_EQ(unknown.error().message, wrong.error().message);
    EXPECT_EQ(count(db, "SELECT COUNT(*) FROM auth_tokens"), 0);
}

TEST_F(AuthStoreTest, UserWithoutPasswordCannotLogIn) {
    ASSERT_TRUE(store.add_user({"robot", "", Role::viewer, "883"}, "", kLocal).ok());
    EXPECT_EQ(count(db, "SELECT COUNT(*) FROM auth_users WHERE password_hash IS NULL"), 1);
    EXPECT_FALSE(store.login("robot", "", kLocal).ok());
    EXPECT_FALSE(store.login("robot", "anything at all", kLocal).ok());
}

TEST_F(AuthStoreTest, SessionTokenExpiresAfterItsLifetime) {
    add("lan", Role::viewer, "883");
    auto issued = store.login("lan", kPassword, kLocal);
    ASSERT_TRUE(issued.ok());
    clock.advance(24h * 30 - 1us);
    EXPECT_TRUE(store.authenticate(issued->token).ok());
    clock.advance(1us);
    auto expired = store.authenticate(issued->token);
    ASSERT_FALSE(expired.ok());
    EXPECT_NE(expired.error().message.find("expired at 2026-12-27T00:00:00.000Z"),
              std::string::npos)
        << expired.error().message;
}

TEST(AuthStoreOptions, SessionLifetimeIsConfigurable) {
    FakeClock clock{epoch()};
    auto options = fast_options();
    options.session_lifetime = 1h;
    AuthStore store{":memory:", clock, options};
    ASSERT_TRUE(store.add_user({"lan", "", Role::viewer, "883"}, kPassword, kLocal).ok());
    auto issued = store.login("lan", kPassword, kLocal);
    ASSERT_TRUE(issued.ok());
    EXPECT_EQ(issued->info.expires_at_us, to_unix_us(epoch() + 1h));
    clock.advance(1h);
    EXPECT_FALSE(store.authenticate(issued->token).ok());
}

TEST_F(AuthStoreTest, RevokedTokenIsRefusedAndRevocationAudited) {
    add("lan", Role::viewer, "883");
    auto issued = store.login("lan", kPassword, kLocal);
    ASSERT_TRUE(issued.ok());
    clock.advance(5s);
    ASSERT_TRUE(store.revoke_token(issued->info.id, {"admin", "127.0.0.1"}).ok());
    auto refused = store.authenticate(issued->token);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("revoked"), std::string::npos);
    EXPECT_EQ(count(db, "SELECT revoked_at_us FROM auth_tokens"), to_unix_us(epoch() + 5s));
    const auto events = store.audit().query(db, by_actor("admin"));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].action, "revoke");
    EXPECT_EQ(events[0].object_id, std::to_string(issued->info.id));
    EXPECT_FALSE(store.revoke_token(9999, kLocal).ok());
}

TEST_F(AuthStoreTest, MalformedAndUnknownTokensAreRefused) {
    const std::string unknown = "loa_" + std::string(64, 'a');
    const std::pair<std::string, std::string> cases[] = {
        {"", "malformed"},
        {"loa_abc", "malformed"},
        {"loa_" + std::string(64, 'A'), "malformed"},
        {unknown, "not known"},
    };
    for (const auto& [token, expected] : cases) {
        auto r = store.authenticate(token);
        ASSERT_FALSE(r.ok()) << token;
        EXPECT_NE(r.error().message.find(expected), std::string::npos) << r.error().message;
        EXPECT_EQ(r.error().message.find(unknown), std::string::npos);
    }
}

TEST_F(AuthStoreTest, DisablingUserRevokesItsTokens) {
    add("lan", Role::viewer, "883");
    auto a = store.login("lan", kPassword, kLocal);
    auto b = store.issue_api_token("lan", "report robot", std::nullopt, kLocal);
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE(b.ok());
    auto updated = store.update_user("lan", disable(), {"admin", "127.0.0.1"});
    ASSERT_TRUE(updated.ok()) << updated.error().message;
    EXPECT_TRUE(updated->disabled);
    EXPECT_EQ(count(db, "SELECT COUNT(*) FROM auth_tokens WHERE revoked_at_us IS NULL"), 0);
    EXPECT_FALSE(store.authenticate(a->token).ok());
    EXPECT_FALSE(store.authenticate(b->token).ok());
    auto login = store.login("lan", kPassword, kLocal);
    ASSERT_FALSE(login.ok());
    EXPECT_EQ(login.error().message, "user 'lan' is disabled");
    EXPECT_EQ(count(db, "SELECT COUNT(*) FROM auth_tokens"), 2);
    // One update and two revocations, all by the admin.
    EXPECT_EQ(store.audit().query(db, by_actor("admin")).size(), 3u);
}

TEST_F(AuthStoreTest, UpdateUserRecordsBeforeAndAfter) {
    add("lan", Role::commune_operator, "30280");
    clock.advance(1s);
    auto updated = store.update_user("lan", role_and_scope(Role::district_operator, "883"), kLocal);
    ASSERT_TRUE(updated.ok()) << updated.error().message;
    EXPECT_EQ(count(db,
                    "SELECT COUNT(*) FROM auth_users WHERE role = 'district-operator' AND "
                    "scope = '883'"),
              1);
    const auto events = store.audit().query(db, of_object("user", "lan"));
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].action, "update");
    EXPECT_NE(events[0].before->find("\"30280\""), std::string::npos);
    EXPECT_NE(events[0].after->find("\"883\""), std::string::npos);

    // A viewer without scope is refused, and nothing changes.
    auto refused = store.update_user("lan", role_and_scope(Role::viewer, ""), kLocal);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(count(db, "SELECT COUNT(*) FROM auth_users WHERE role = 'district-operator'"), 1);
    EXPECT_EQ(count(db, "SELECT COUNT(*) FROM audit_log"), 2);
}

TEST_F(AuthStoreTest, ApiTokenNeverExpiresUnlessGivenALifetime) {
    add("robot", Role::viewer, "883");
    auto forever = store.issue_api_token("robot", "exporter", std::nullopt, kLocal);
    auto week = store.issue_api_token("robot", "exporter", 24h * 7, kLocal);
    ASSERT_TRUE(forever.ok());
    ASSERT_TRUE(week.ok());
    EXPECT_FALSE(forever->info.expires_at_us);
    EXPECT_EQ(forever->info.kind, TokenKind::api);
    clock.advance(24h * 3650);
    EXPECT_TRUE(store.authenticate(forever->token).ok());
    EXPECT_FALSE(store.authenticate(week->token).ok());
    EXPECT_FALSE(store.issue_api_token("nobody", "", std::nullopt, kLocal).ok());
    EXPECT_EQ(count(db, "SELECT COUNT(*) FROM auth_tokens WHERE kind = 'api'"), 2);
}

TEST_F(AuthStoreTest, LastUseIsNotedAtMostOnceAMinute) {
    add("lan", Role::viewer, "883");
    auto issued = store.login("lan", kPassword, kLocal);
    ASSERT_TRUE(issued.ok());
    ASSERT_TRUE(store.authenticate(issued->token).ok());
    EXPECT_EQ(count(db, "SELECT last_used_at_us FROM auth_tokens"), to_unix_us(epoch()));
    clock.advance(30s);
    ASSERT_TRUE(store.authenticate(issued->token).ok());
    EXPECT_EQ(count(db, "SELECT last_used_at_us FROM auth_tokens"), to_unix_us(epoch()));
    clock.advance(30s);
    ASSERT_TRUE(store.authenticate(issued->token).ok());
    EXPECT_EQ(count(db, "SELECT last_used_at_us FROM auth_tokens"), to_unix_us(epoch() + 60s));
}

TEST_F(AuthStoreTest, SetPasswordReplacesTheHash) {
    add("lan", Role::viewer, "883");
    ASSERT_TRUE(store.set_password("lan", "a brand new secret", kLocal).ok());
    EXPECT_FALSE(store.login("lan", kPassword, kLocal).ok());
    EXPECT_TRUE(store.login("lan", "a brand new secret", kLocal).ok());
    EXPECT_FALSE(store.set_password("lan", "short", kLocal).ok());
    EXPECT_FALSE(store.set_password("nobody", "a brand new secret", kLocal).ok());
    const auto events = store.audit().query(db, by_actor("local:test"));
    ASSERT_GE(events.size(), 2u);
    EXPECT_EQ(events[0].action, "set-password");
    EXPECT_FALSE(events[0].after);
}

TEST(AuthStoreFile, UsersAndTokensSurviveReopenAndNoPasswordReachesTheFile) {
    TempDir dir;
    const auto path = dir / "scheduler.db";
    FakeClock clock{epoch()};
    std::string token;
    {
        AuthStore store{path, clock, fast_options()};
        ASSERT_TRUE(store.add_user({"lan", "Lan", Role::viewer, "883"}, kPassword, kLocal).ok());
        auto issued = store.login("lan", kPassword, kLocal);
        ASSERT_TRUE(issued.ok());
        token = issued->token;
    }
    for (const char* suffix : {"", "-wal"}) {
        const auto bytes = file_bytes(path.string() + suffix);
        EXPECT_EQ(bytes.find(kPassword), std::string::npos) << suffix;
        EXPECT_EQ(bytes.find(token), std::string::npos) << suffix;
    }
    AuthStore reopened{path, clock, fast_options()};
    EXPECT_EQ(auth_schema_version(reopened.database()), latest_auth_schema_version());
    auto user = reopened.authenticate(token);
    ASSERT_TRUE(user.ok()) << user.error().message;
    EXPECT_EQ(user->display_name, "Lan");
    EXPECT_EQ(reopened.count_users(), 1u);
}

// The store's own migrations keep the file's schema_version; the auth tables keep theirs apart,
// so neither set of migrations skips or repeats the other's.
TEST(AuthSchema, MigratesBesideAnotherProgramsSchema) {
    sqlite::Database db{":memory:"};
    const std::array<std::string_view, 2> other{"CREATE TABLE a (x INTEGER)",
                                                "CREATE TABLE b (y INTEGER)"};
    db.migrate(other, "loa-scheduler");
    migrate_auth_schema(db);
    migrate_auth_schema(db);  // idempotent
    EXPECT_EQ(db.schema_version(), 2);
    EXPECT_EQ(auth_schema_version(db), 1);
    EXPECT_EQ(count(db,
                    "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('auth_users', "
                    "'auth_tokens', 'audit_log')"),
              3);
    db.migrate(other, "loa-scheduler");
    EXPECT_EQ(db.schema_version(), 2);
}

TEST(AuthSchema, RefusesANewerAuthSchema) {
    sqlite::Database db{":memory:"};
    migrate_auth_schema(db);
    db.exec("UPDATE schema_parts SET version = 99 WHERE part = 'auth'");
    try {
        migrate_auth_schema(db);
        FAIL() << "a newer schema was accepted";
    } catch (const sqlite::Error& e) {
        EXPECT_NE(std::string{e.what()}.find("version 99 of auth is newer"), std::string::npos)
            << e.what();
    }
}

TEST(AuthStorePasswordFile, ReadsTheFirstLine) {
    TempDir dir;
    const auto path = dir / "pw";
    std::ofstream{path} << "s3cret password\r\nsecond line\n";
    auto pw = AuthStore::read_password_file(path);
    ASSERT_TRUE(pw.ok());
    EXPECT_EQ(*pw, "s3cret password");
    std::ofstream{dir / "empty"} << "\n";
    EXPECT_FALSE(AuthStore::read_password_file(dir / "empty").ok());
    auto missing = AuthStore::read_password_file(dir / "missing");
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("missing"), std::string::npos);
}

// With the production cost (argon2id INTERACTIVE), a login takes a noticeable time but checking
// a token does not run argon2: hundreds of checks take less time than a few logins.
TEST(AuthStoreCost, TokenCheckIsFarCheaperThanLogin) {
    FakeClock clock{epoch()};
    AuthStore store{":memory:", clock};  // default options: INTERACTIVE
    ASSERT_TRUE(store.add_user({"lan", "", Role::viewer, "883"}, kPassword, kLocal).ok());
    const auto t0 = std::chrono::steady_clock::now();
    auto issued = store.login("lan", kPassword, kLocal);
    const auto login_time = std::chrono::steady_clock::now() - t0;
    ASSERT_TRUE(issued.ok());
    const auto t1 = std::chrono::steady_clock::now();
    constexpr int kChecks = 500;
    for (int i = 0; i < kChecks; ++i) {
        ASSERT_TRUE(store.authenticate(issued->token).ok());
    }
    const auto checks_time = std::chrono::steady_clock::now() - t1;
    RecordProperty("login_ms", static_cast<int>(login_time / 1ms));
    RecordProperty("token_check_us", static_cast<int>(checks_time / 1us / kChecks));
    std::printf("argon2id INTERACTIVE login: %.1f ms; token check: %.1f us\n",
                std::chrono::duration<double, std::milli>(login_time).count(),
                std::chrono::duration<double, std::micro>(checks_time).count() / kChecks);
    EXPECT_LT(checks_time, login_time);
}

}  // namespace
