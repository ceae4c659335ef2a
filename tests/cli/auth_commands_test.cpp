// loa login / logout / user / token / audit, and the bearer token every request carries.
#include "cli_runner.hpp"
#include "fake_scheduler.hpp"

#include "loa/test/temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

using loa::cli::test::FakeScheduler;
using loa::cli::test::run_loa;
using loa::test_support::TempDir;
using nlohmann::json;

namespace {

std::string slurp(const std::filesystem::path& file) {
    std::ifstream in{file, std::ios::binary};
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

unsigned mode_of(const std::filesystem::path& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 0777U) : 0U;
}

// Sets an environment variable for one test.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const std::string& value) : name_{name} {
        ::setenv(name, value.c_str(), 1);
    }
    ~ScopedEnv() { ::unsetenv(name_); }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    const char* name_;
};

const json kLogin = {{"token", "tok-123"},
                     {"expires_at", "2026-11-28T10:00:00.000Z"},
                     {"user",
                      {{"name", "an"},
                       {"display_name", "Nguyễn Văn An"},
                       {"role", "district-operator"},
                       {"scope", "883"}}}};

class AuthCliTest : public ::testing::Test {
protected:
    FakeScheduler scheduler_;
    std::string server_ = scheduler_.url();
    TempDir dir_;

    loa::cli::test::Outcome loa(std::vector<std::string> args) {
        args.insert(args.begin(), {"--server", server_});
        return run_loa(std::move(args));
    }

    std::filesystem::path password_file(const std::string& content) {
        const auto file = dir_ / "password";
        std::ofstream{file} << content;
        return file;
    }
};

TEST_F(AuthCliTest, LoginKeepsTheTokenPrivatelyAndLaterRequestsSendIt) {
    scheduler_.answer("POST", "/api/v1/login", 200, kLogin.dump());
    scheduler_.answer("GET", "/api/v1/stations", 200, "[]");
    const auto token_file = dir_ / "cfg" / "loa" / "token";
    const auto r = loa({"--token-file", token_file.string(), "login", "--user", "an",
                        "--password-file", password_file("mật khẩu 1\nignored\n").string()});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out,
              "logged in as an (district-operator, scope 883) until "
              "2026-11-28T17:00:00+07:00; token kept in " +
                  token_file.string() + "\n");
    EXPECT_EQ(slurp(token_file), "tok-123\n");
    EXPECT_EQ(mode_of(token_file), 0600U);
    EXPECT_EQ(mode_of(token_file.parent_path()), 0700U);
    EXPECT_EQ(mode_of(token_file.parent_path().parent_path()), 0700U);
    const auto login = scheduler_.requests().at(0);
    EXPECT_EQ(login.path, "/api/v1/login");
    EXPECT_EQ(json::parse(login.body), (json{{"user", "an"}, {"password", "mật khẩu 1"}}));
    EXPECT_EQ(login.authorization, "") << "login sends no old token";

    ASSERT_EQ(loa({"--token-file", token_file.string(), "station", "list"}).code, 0);
    EXPECT_EQ(scheduler_.requests().back().authorization, "Bearer tok-123");
}

TEST_F(AuthCliTest, LoginGoesToTheDefaultFileUnderXdgConfigHome) {
    scheduler_.answer("POST", "/api/v1/login", 200, kLogin.dump());
    scheduler_.answer("GET", "/api/v1/assets", 200, "[]");
    const auto r = loa({"login", "--user", "an", "--password-file", password_file("pw").string()});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto file = std::filesystem::path{loa::cli::test::config_home()} / "loa" / "token";
    EXPECT_EQ(slurp(file), "tok-123\n");
    ASSERT_EQ(loa({"asset", "list"}).code, 0);
    EXPECT_EQ(scheduler_.requests().back().authorization, "Bearer tok-123");

    const auto out = loa({"logout"});
    EXPECT_EQ(out.code, 1) << "the fake has no DELETE /api/v1/session";
    EXPECT_FALSE(std::filesystem::exists(file)) << "the token goes whatever the scheduler said";
}

TEST_F(AuthCliTest, TokenComesFromTheEnvironmentInOrder) {
    scheduler_.answer("GET", "/api/v1/assets", 200, "[]");
    const auto from_file = dir_ / "t1";
    std::ofstream{from_file} << "  file-token \n";
    {
        ScopedEnv token{"LOA_TOKEN", "env-token"};
        ScopedEnv file{"LOA_TOKEN_FILE", from_file.string()};
        ASSERT_EQ(loa({"asset", "list"}).code, 0);
        EXPECT_EQ(scheduler_.requests().back().authorization, "Bearer env-token");
        ASSERT_EQ(loa({"--token-file", from_file.string(), "asset", "list"}).code, 0);
        EXPECT_EQ(scheduler_.requests().back().authorization, "Bearer file-token");
    }
    {
        ScopedEnv file{"LOA_TOKEN_FILE", from_file.string()};
        ASSERT_EQ(loa({"asset", "list"}).code, 0);
        EXPECT_EQ(scheduler_.requests().back().authorization, "Bearer file-token");
    }
    ASSERT_EQ(loa({"asset", "list"}).code, 0);
    EXPECT_EQ(scheduler_.requests().back().authorization, "") << "no token anywhere";
}

TEST_F(AuthCliTest, AMissingOrEmptyTokenFileIsNamed) {
    const auto missing = loa({"--token-file", (dir_ / "none").string(), "asset", "list"});
    EXPECT_EQ(missing.code, 1);
    EXPECT_NE(missing.err.find((dir_ / "none").string()), std::string::npos) << missing.err;
    std::ofstream{dir_ / "empty"} << "\n";
    const auto empty = loa({"--token-file", (dir_ / "empty").string(), "asset", "list"});
    EXPECT_EQ(empty.code, 1);
    EXPECT_NE(empty.err.find("holds no token"), std::string::npos) << empty.err;
    EXPECT_TRUE(scheduler_.requests().empty());
}

TEST_F(AuthCliTest, UnauthorisedSaysToLogIn) {
    scheduler_.answer("GET", "/api/v1/schedule", 401, R"({"error":"token expired"})");
    scheduler_.answer("GET", "/api/v1/assets", 401,
                      R"j({"error":"authentication required (get a token with 'loa login')"})j");
    const auto r = loa({"schedule", "list"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "loa: token expired; run 'loa login'\n");
    EXPECT_EQ(loa({"asset", "list"}).err,
              "loa: authentication required (get a token with 'loa login')\n")
        << "said once";

    scheduler_.answer("POST", "/api/v1/login", 401, R"({"error":"wrong user or password"})");
    const auto bad = loa({"login", "--user", "an", "--password-file", password_file("x").string()});
    EXPECT_EQ(bad.code, 1);
    EXPECT_EQ(bad.err, "loa: wrong user or password\n");
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::path{loa::cli::test::config_home()} /
                                         "loa" / "token"));
}

TEST_F(AuthCliTest, LogoutEndsTheSessionAndRemovesTheToken) {
    const auto file = dir_ / "token";
    std::ofstream{file} << "tok-9\n";
    scheduler_.answer("DELETE", "/api/v1/session", 204, "");
    const auto r = loa({"--token-file", file.string(), "logout"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "logged out; " + file.string() + " removed\n");
    EXPECT_FALSE(std::filesystem::exists(file));
    const auto q = scheduler_.requests().at(0);
    EXPECT_EQ(q.method, "DELETE");
    EXPECT_EQ(q.authorization, "Bearer tok-9");
}

TEST_F(AuthCliTest, UserAddSendsEveryField) {
    scheduler_.answer(
        "POST", "/api/v1/users", 201,
        json{{"name", "binh"}, {"role", "commune-operator"}, {"scope", "30280"}}.dump());
    const auto r = loa({"user", "add", "binh", "--role", "commune-operator", "--scope", "30280",
                        "--display-name", "Trần Thị Bình", "--password-file",
                        password_file("s3cret\r\n").string()});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "user binh (commune-operator, scope 30280) added\n");
    EXPECT_EQ(json::parse(scheduler_.requests().at(0).body),
              (json{{"name", "binh"},
                    {"role", "commune-operator"},
                    {"scope", "30280"},
                    {"display_name", "Trần Thị Bình"},
                    {"password", "s3cret"}}));
    EXPECT_EQ(loa({"user", "add", "x", "--role", "king", "--password-file", "/dev/null"}).code, 2);
    const auto empty = loa(
        {"user", "add", "x", "--role", "viewer", "--password-file", password_file("\n").string()});
    EXPECT_EQ(empty.code, 1);
    EXPECT_NE(empty.err.find("no password"), std::string::npos) << empty.err;
    EXPECT_EQ(scheduler_.requests().size(), 1U);
}

TEST_F(AuthCliTest, UserListAndDisable) {
    scheduler_.answer("GET", "/api/v1/users", 200,
                      json::array({{{"name", "admin"},
                                    {"display_name", "Quản trị"},
                                    {"role", "admin"},
                                    {"scope", nullptr},
                                    {"disabled", false},
                                    {"created_at", "2026-11-01T00:00:00.000Z"}},
                                   {{"name", "binh"},
                                    {"display_name", "Trần Thị Bình"},
                                    {"role", "commune-operator"},
                                    {"scope", "30280"},
                                    {"disabled", true},
                                    {"created_at", "2026-11-02T00:00:00.000Z"}}})
                          .dump());
    const auto r = loa({"user", "list"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out,
              "NAME   DISPLAY NAME   ROLE              SCOPE       DISABLED  CREATED\n"
              "admin  Quản trị       admin             every unit  no        "
              "2026-11-01T07:00:00+07:00\n"
              "binh   Trần Thị Bình  commune-operator  30280       yes       "
              "2026-11-02T07:00:00+07:00\n");
    scheduler_.answer("PATCH", "/api/v1/users/binh", 200, json{{"name", "binh"}}.dump());
    const auto d = loa({"user", "disable", "binh"});
    EXPECT_EQ(d.code, 0) << d.err;
    EXPECT_EQ(d.out, "user binh disabled\n");
    EXPECT_EQ(scheduler_.requests().back().method, "PATCH");
    EXPECT_EQ(json::parse(scheduler_.requests().back().body), (json{{"disabled", true}}));
}

TEST_F(AuthCliTest, TokenIssuePrintsTheTokenAloneAndRevokeDeletes) {
    scheduler_.answer("GET", "/api/v1/me", 200, kLogin.at("user").dump());
    scheduler_.answer("POST", "/api/v1/tokens", 201,
                      json{{"token_id", 4},
                           {"token", "api-xyz"},
                           {"label", "province demo"},
                           {"expires_at", "2026-12-27T10:00:00.000Z"}}
                          .dump());
    const auto r = loa({"token", "issue", "--label", "province demo", "--days", "30"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "api-xyz\n");
    EXPECT_EQ(r.err,
              "token 'province demo' for an (id 4) issued, valid until "
              "2026-12-27T17:00:00+07:00: it is shown only this once\n");
    EXPECT_EQ(scheduler_.requests().at(0).path, "/api/v1/me") << "the token is the user's own";
    EXPECT_EQ(json::parse(scheduler_.requests().back().body),
              (json{{"user", "an"}, {"label", "province demo"}, {"lifetime_days", 30}}));
    ASSERT_EQ(loa({"token", "issue", "--label", "x", "--user", "demo"}).code, 0);
    EXPECT_EQ(json::parse(scheduler_.requests().back().body),
              (json{{"user", "demo"}, {"label", "x"}}));
    EXPECT_EQ(loa({"token", "issue", "--label", "x", "--days", "0"}).code, 2);

    scheduler_.answer("DELETE", "/api/v1/tokens/4", 204, "");
    const auto revoke = loa({"token", "revoke", "4"});
    EXPECT_EQ(revoke.code, 0) << revoke.err;
    EXPECT_EQ(revoke.out, "token 4 revoked\n");
    EXPECT_EQ(scheduler_.requests().back().method, "DELETE");
    EXPECT_EQ(scheduler_.requests().back().path, "/api/v1/tokens/4");
}

TEST_F(AuthCliTest, AuditPassesTheFiltersAndShowsEvents) {
    scheduler_.answer("GET", "/api/v1/audit", 200,
                      json::array({{{"id", 9},
                                    {"at", "2026-11-27T09:00:00.000Z"},
                                    {"user", "an"},
                                    {"action", "approve"},
                                    {"kind", "entry"},
                                    {"object", "7"},
                                    {"before", "{}"},
                                    {"after", "{}"}}})
                          .dump());
    const auto r = loa({"audit", "--from", "2026-11-27T00:00", "--until", "+1h", "--user", "an",
                        "--kind", "entry", "--object", "7", "--limit", "50"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out,
              "AT                         USER  ACTION   KIND   OBJECT\n"
              "2026-11-27T16:00:00+07:00  an    approve  entry  7\n");
    EXPECT_EQ(scheduler_.requests().back().query,
              (std::multimap<std::string, std::string>{{"from", "2026-11-26T17:00:00.000Z"},
                                                       {"kind", "entry"},
                                                       {"limit", "50"},
                                                       {"object", "7"},
                                                       {"until", "2026-11-27T11:00:01.000Z"},
                                                       {"user", "an"}}));
    EXPECT_EQ(loa({"audit", "--from", "yesterday"}).code, 2);
}

}  // namespace
