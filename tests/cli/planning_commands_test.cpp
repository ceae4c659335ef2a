// loa unit / station import and provision / programme / schedule: the requests each command
// sends and what it prints, against a fake scheduler.
#include "cli_runner.hpp"
#include "fake_scheduler.hpp"
#include "loa/config/config.hpp"
#include "loa/transport/curve_keys.hpp"

#include "loa/test/temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <nlohmann/json.hpp>

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

const std::string kAsset(64, 'a');

class PlanningCliTest : public ::testing::Test {
protected:
    FakeScheduler scheduler_;
    std::string server_ = scheduler_.url();

    loa::cli::test::Outcome loa(std::vector<std::string> args) {
        args.insert(args.begin(), {"--server", server_});
        return run_loa(std::move(args));
    }
};

// --- units and station import

TEST_F(PlanningCliTest, UnitImportSendsTheFileAndPrintsCounts) {
    TempDir dir;
    const auto file = dir / "đơn vị.csv";
    const std::string csv = "code,parent_code,level,unit_type,name\n89,,1,Tỉnh,An Giang\n";
    std::ofstream{file, std::ios::binary} << csv;
    scheduler_.answer("POST", "/api/v1/units/import", 200,
                      json{{"units", 168},
                           {"stations", 168},
                           {"stations_created", 167},
                           {"changed_stations", json::array({"89", "883"})},
                           {"problems", json::array({"unit 30280 has no station"})}}
                          .dump());
    const auto r = loa({"unit", "import", file.string()});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out,
              "imported: 168 units, 168 stations (167 new); 2 station timelines changed\n"
              "  note: unit 30280 has no station\n");
    const auto requests = scheduler_.requests();
    ASSERT_EQ(requests.size(), 1U);
    EXPECT_EQ(requests[0].method, "POST");
    EXPECT_EQ(requests[0].body, csv);
    EXPECT_EQ(requests[0].content_type, "text/csv; charset=utf-8");
    EXPECT_TRUE(requests[0].query.empty());

    ASSERT_EQ(loa({"unit", "import", file.string(), "--no-stations"}).code, 0);
    EXPECT_EQ(scheduler_.requests().back().query,
              (std::multimap<std::string, std::string>{{"stations", "none"}}));
}

TEST_F(PlanningCliTest, ImportPrintsEveryLineTheSchedulerRefused) {
    TempDir dir;
    const auto file = dir / "stations.csv";
    std::ofstream{file} << "id,name,unit\n1,,x\n";
    const std::string why =
        "the file has 2 error(s); nothing was imported:\nline 2: name: empty\nline 2: unit: 'x' "
        "is not a known unit";
    scheduler_.answer("POST", "/api/v1/stations/import", 400,
                      json{{"error", why}, {"lines", json::array()}}.dump());
    const auto r = loa({"station", "import", file.string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "loa: " + file.string() + ": " + why + "\n");
}

TEST_F(PlanningCliTest, ImportOfAMissingFileSendsNothing) {
    const auto r = loa({"unit", "import", "/nonexistent/units.csv"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "loa: cannot read /nonexistent/units.csv: No such file or directory\n");
    EXPECT_TRUE(scheduler_.requests().empty());
}

TEST_F(PlanningCliTest, UnitListIsAnIndentedTree) {
    // Listed out of tree order: the CLI puts each unit under its parent.
    const json units = json::array({
        {{"code", "30280"},
         {"parent_code", "883"},
         {"level", 3},
         {"unit_type", "Phường"},
         {"name", "Mỹ Bình"},
         {"name_with_type", "Phường Mỹ Bình"},
         {"stations", json::array({"30280"})}},
        {{"code", "89"},
         {"parent_code", nullptr},
         {"level", 1},
         {"unit_type", "Tỉnh"},
         {"name", "An Giang"},
         {"name_with_type", "Tỉnh An Giang"},
         {"stations", json::array({"89"})}},
        {{"code", "883"},
         {"parent_code", "89"},
         {"level", 2},
         {"unit_type", "Thành phố"},
         {"name", "Long Xuyên"},
         {"name_with_type", "Thành phố Long Xuyên"},
         {"stations", json::array()}},
        {{"code", "886"},
         {"parent_code", "89"},
         {"level", 2},
         {"unit_type", "Thị xã"},
         {"name", "Tân Châu"},
         {"name_with_type", "Thị xã Tân Châu"},
         {"stations", json::array({"886", "886b"})}},
    });
    scheduler_.answer("GET", "/api/v1/units", 200, units.dump());
    const auto r = loa({"unit", "list"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out,
              "UNIT                    CODE   TYPE       STATIONS\n"
              "Tỉnh An Giang           89     Tỉnh       89\n"
              "  Thành phố Long Xuyên  883    Thành phố  -\n"
              "    Phường Mỹ Bình      30280  Phường     30280\n"
              "  Thị xã Tân Châu       886    Thị xã     886,886b\n");
    EXPECT_TRUE(scheduler_.requests().back().query.empty());

    ASSERT_EQ(loa({"unit", "list", "--under", "883"}).code, 0);
    EXPECT_EQ(scheduler_.requests().back().query,
              (std::multimap<std::string, std::string>{{"under", "883"}}));
}

// --- station provision

class ProvisionTest : public PlanningCliTest {
protected:
    const loa::transport::CurveKeyPair scheduler_keys_ = loa::transport::CurveKeyPair::generate();
    const std::string signing_key_ = std::string(64, 'c');

    void SetUp() override {
        scheduler_.answer("GET", "/api/v1/link", 200,
                          json{{"endpoint", "tcp://10.0.0.1:8641"},
                               {"public_key", scheduler_keys_.public_key},
                               {"signing_key", signing_key_}}
                              .dump());
    }
};

TEST_F(ProvisionTest, WritesEachConfigAndRegistersItsPublicKey) {
    TempDir dir;
    const auto out = dir / "agents";
    scheduler_.answer("PUT", "/api/v1/stations/30280/key", 200, "{}");
    scheduler_.answer("PUT", "/api/v1/stations/30281/key", 200, "{}");
    const auto r = loa({"station", "provision", "30280", "30281", "30280", "--out", out.string(),
                        "--scheduler-endpoint", "tcp://loa.example.vn:8641"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "provisioned 2 stations: agent configs in " + out.string() +
                         " (scheduler link tcp://loa.example.vn:8641); copy each to its station "
                         "as /etc/loa/agent.toml and keep them private\n");
    EXPECT_EQ(mode_of(out), 0700U);

    const auto requests = scheduler_.requests();
    ASSERT_EQ(requests.size(), 3U) << "one GET of the link, then one PUT per station";
    EXPECT_EQ(requests[0].path, "/api/v1/link");
    for (std::size_t i = 0; i < 2; ++i) {
        const std::string id = i == 0 ? "30280" : "30281";
        const auto& put = requests[i + 1];
        EXPECT_EQ(put.method, "PUT");
        EXPECT_EQ(put.path, "/api/v1/stations/" + id + "/key");
        const auto body = json::parse(put.body);
        ASSERT_EQ(body.size(), 1U);

        const auto file = out / (id + ".toml");
        EXPECT_EQ(mode_of(file), 0600U);
        const auto agent = loa::config::parse_agent_config(slurp(file), file.string());
        EXPECT_EQ(agent.station_id, id);
        EXPECT_EQ(agent.scheduler_endpoint, "tcp://loa.example.vn:8641");
        EXPECT_EQ(agent.scheduler_public_key, scheduler_keys_.public_key);
        EXPECT_EQ(agent.scheduler_signing_key, signing_key_);
        // The key registered is the public half of the secret written.
        const auto pair = loa::transport::CurveKeyPair::from_secret(agent.secret_key);
        ASSERT_TRUE(pair) << pair.error().message;
        EXPECT_EQ(body.at("public_key"), pair->public_key);
    }
    EXPECT_NE(json::parse(requests[1].body), json::parse(requests[2].body));
}

TEST_F(ProvisionTest, AllTakesTheStationsWithoutAKeyAndTheSchedulersEndpoint) {
    scheduler_.answer("GET", "/api/v1/stations", 200,
                      json::array({{{"id", "89"}, {"public_key", "K"}},
                                   {{"id", "883"}, {"public_key", nullptr}},
                                   {{"id", "30280"}, {"public_key", nullptr}}})
                          .dump());
    scheduler_.answer("PUT", "/api/v1/stations/883/key", 200, "{}");
    scheduler_.answer("PUT", "/api/v1/stations/30280/key", 200, "{}");
    TempDir dir;
    const auto r = loa({"--json", "station", "provision", "--all", "--out", dir.path().string()});
    EXPECT_EQ(r.code, 0) << r.err;
    const auto done = json::parse(r.out);
    ASSERT_EQ(done.size(), 2U);
    EXPECT_EQ(done[0].at("station_id"), "883");
    EXPECT_EQ(done[1].at("station_id"), "30280");
    EXPECT_FALSE(std::filesystem::exists(dir / "89.toml"));
    const auto agent = loa::config::parse_agent_config(slurp(dir / "883.toml"), "883.toml");
    EXPECT_EQ(agent.scheduler_endpoint, "tcp://10.0.0.1:8641");
    EXPECT_EQ(mode_of(dir / "30280.toml"), 0600U);
}

TEST_F(ProvisionTest, AnExistingFileStopsEverythingBeforeAnyKeyChanges) {
    TempDir dir;
    std::ofstream{dir / "30281.toml"} << "old";
    const auto r = loa({"station", "provision", "30280", "30281", "--out", dir.path().string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("30281.toml already exists"), std::string::npos) << r.err;
    EXPECT_EQ(slurp(dir / "30281.toml"), "old");
    EXPECT_FALSE(std::filesystem::exists(dir / "30280.toml"));
    for (const auto& q : scheduler_.requests()) {
        EXPECT_NE(q.method, "PUT");
    }
}

TEST_F(ProvisionTest, ARefusedKeyLeavesNoFileAndSaysHowFarItGot) {
    scheduler_.answer("PUT", "/api/v1/stations/30280/key", 200, "{}");
    scheduler_.answer("PUT", "/api/v1/stations/99/key", 404,
                      R"({"error":"station '99' does not exist"})");
    TempDir dir;
    const auto r = loa({"station", "provision", "30280", "99", "--out", dir.path().string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err,
              "loa: provisioned 1 of 2 stations, then stopped: station 99: station '99' does not "
              "exist\n");
    EXPECT_TRUE(std::filesystem::exists(dir / "30280.toml"));
    EXPECT_FALSE(std::filesystem::exists(dir / "99.toml"));
}

TEST_F(PlanningCliTest, ProvisionUsageErrorsSendNothing) {
    TempDir dir;
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"station", "provision", "--out", dir.path().string()},
             {"station", "provision", "1", "--all", "--out", dir.path().string()},
             {"station", "provision", "1"},
             {"station", "provision", "1", "--out", dir.path().string(), "--scheduler-endpoint",
              "http://x"},
         }) {
        const auto r = loa(args);
        EXPECT_EQ(r.code, 2) << r.err;
    }
    const auto bad_id = loa({"station", "provision", "..", "--out", dir.path().string()});
    EXPECT_EQ(bad_id.code, 1);
    EXPECT_NE(bad_id.err.find("'..' is not a station id"), std::string::npos) << bad_id.err;
    for (const auto& q : scheduler_.requests()) {
        EXPECT_NE(q.method, "PUT");
    }
}

// --- programmes

const json kProgramme = {
    {"id", "p1"},
    {"title", "Thời sự sáng"},
    {"assets", json::array({{{"asset_id", kAsset}, {"duration_ms", 60'000}},
                            {{"asset_id", std::string(64, 'b')}, {"duration_ms", 125'500}}})},
    {"duration_ms", 185'500}};

TEST_F(PlanningCliTest, ProgrammeAddSendsTheAssetsInOrder) {
    scheduler_.answer("POST", "/api/v1/programmes", 201, kProgramme.dump());
    const auto r =
        loa({"programme", "add", "--title", "Thời sự sáng", kAsset, std::string(64, 'b')});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(
        json::parse(scheduler_.requests().at(0).body),
        (json{{"title", "Thời sự sáng"}, {"assets", json::array({kAsset, std::string(64, 'b')})}}));
    EXPECT_EQ(r.out,
              "ID  TITLE         ITEMS  DURATION  ASSETS\n"
              "p1  Thời sự sáng      2    3:05.5  aaaaaaaaaaaa,bbbbbbbbbbbb\n");
    EXPECT_EQ(loa({"programme", "add", "--title", "x"}).code, 2) << "at least one asset";
}

TEST_F(PlanningCliTest, ProgrammeList) {
    // The fake answers in the order given.
    scheduler_.answer("GET", "/api/v1/programmes", 200, json::array({kProgramme}).dump());
    scheduler_.answer("GET", "/api/v1/programmes", 200, "[]");
    const auto r = loa({"programme", "list"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("p1  Thời sự sáng      2    3:05.5"), std::string::npos) << r.out;
    EXPECT_EQ(loa({"programme", "list"}).out, "No programmes.\n");
}

// --- schedule

const json kConflict = {
    {"station_id", "30280"},
    {"action", "moved"},
    {"entry_id", 7},
    {"occurrence", "2026-11-28T23:00:00.000Z"},
    {"priority", "commune"},
    {"winner_entry_id", 2},
    {"winner_priority", "province"},
    {"start", "2026-11-28T23:30:00.000Z"},
    {"duration_ms", 600'000},
    {"description",
     "entry 7 (commune) at 2026-11-29T06:00:00+07:00 lost to entry 2 (province) at "
     "2026-11-29T05:45:00+07:00 at station 30280: moved to 2026-11-29T06:30:00+07:00"}};

json recurring_entry() {
    return json{{"id", 7},
                {"title", "Thông báo xã"},
                {"priority", "commune"},
                {"cut_policy", "move"},
                {"state", "draft"},
                {"units", json::array({"883"})},
                {"stations", json::array({"30280"})},
                {"zones", json::array({"30281:chợ"})},
                {"asset_id", kAsset},
                {"programme_id", nullptr},
                {"start_at", nullptr},
                {"rrule", "FREQ=DAILY;BYHOUR=6"},
                {"dtstart", "2026-11-28T06:00:00"},
                {"exdates", json::array({"2026-12-01T06:00:00"})},
                {"tz", "Asia/Ho_Chi_Minh"},
                {"conflicts", json::array({kConflict})},
                {"changed_stations", json::array({"30280", "30281"})}};
}

TEST_F(PlanningCliTest, ScheduleAddBuildsARecurringEntryAndPrintsEveryConflict) {
    scheduler_.answer("POST", "/api/v1/schedule", 201, recurring_entry().dump());
    const auto r = loa({"schedule",      "add",
                        "--asset",       kAsset,
                        "--unit",        "883",
                        "--station",     "30280",
                        "--zone",        "30281:chợ",
                        "--at",          "2026-11-28T06:00",
                        "--rrule",       "FREQ=DAILY;BYHOUR=6",
                        "--exdate",      "2026-12-01T06:00",
                        "--exdate",      "2026-12-02T06:00:00+07:00",
                        "--class",       "commune",
                        "--policy",      "move",
                        "--valid-until", "2026-12-31T23:59",
                        "--title",       "Thông báo xã",
                        "--draft"});
    EXPECT_EQ(r.code, 0) << r.err;
    const auto requests = scheduler_.requests();
    ASSERT_EQ(requests.size(), 1U);
    EXPECT_EQ(json::parse(requests[0].body),
              (json{{"asset_id", kAsset},
                    {"at", "2026-11-28T06:00:00+07:00"},
                    {"units", {"883"}},
                    {"stations", {"30280"}},
                    {"zones", {"30281:chợ"}},
                    {"rrule", "FREQ=DAILY;BYHOUR=6"},
                    {"tz", "Asia/Ho_Chi_Minh"},
                    {"exdates", {"2026-12-01T06:00:00", "2026-12-02T06:00:00"}},
                    {"priority", "commune"},
                    {"cut_policy", "move"},
                    {"valid_until", "2026-12-31T23:59:00+07:00"},
                    {"title", "Thông báo xã"},
                    {"state", "draft"}}));
    EXPECT_EQ(r.out,
              "ID  STATE  CLASS    WHEN                                                      "
              "               TITLE         TARGETS                                     CONTENT\n"
              "7   draft  commune  2026-11-28T06:00:00 Asia/Ho_Chi_Minh FREQ=DAILY;BYHOUR=6 "
              "except 1 dates  Thông báo xã  units 883; stations 30280; zones 30281:chợ  "
              "aaaaaaaaaaaa\n"
              "2 station timelines changed\n"
              "1 conflicts:\n"
              "  entry 7 (commune) at 2026-11-29T06:00:00+07:00 lost to entry 2 (province) at "
              "2026-11-29T05:45:00+07:00 at station 30280: moved to 2026-11-29T06:30:00+07:00\n");
}

TEST_F(PlanningCliTest, ScheduleAddWithAProgrammeAndTheRuleInAnotherZone) {
    scheduler_.answer("POST", "/api/v1/schedule", 201, "{}");
    const auto r =
        loa({"schedule", "add", "--programme", "p1", "--unit", "89", "--at", "+1h", "--rrule",
             "FREQ=WEEKLY;BYDAY=MO", "--tz", "Europe/Paris", "--priority", "province"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(json::parse(scheduler_.requests().at(0).body),
              (json{{"programme_id", "p1"},
                    {"at", "2026-11-27T12:00:01+01:00"},
                    {"units", {"89"}},
                    {"rrule", "FREQ=WEEKLY;BYDAY=MO"},
                    {"tz", "Europe/Paris"},
                    {"priority", "province"}}));
}

TEST_F(PlanningCliTest, ScheduleAddUsageErrorsSendNothing) {
    const std::vector<std::vector<std::string>> cases = {
        {"schedule", "add", "--station", "1", "--at", "+5m"},
        {"schedule", "add", "--asset", kAsset, "--programme", "p1", "--station", "1", "--at",
         "+5m"},
        {"schedule", "add", "--asset", kAsset, "--at", "+5m"},
        {"schedule", "add", "--asset", kAsset, "--zone", "30280", "--at", "+5m"},
        {"schedule", "add", "--asset", kAsset, "--zone", ":z", "--at", "+5m"},
        {"schedule", "add", "--asset", kAsset, "--station", "1", "--at", "+5m", "--exdate",
         "2026-12-01"},
        {"schedule", "add", "--asset", kAsset, "--station", "1", "--at", "+5m", "--policy",
         "squeeze"},
        {"schedule", "add", "--asset", kAsset, "--station", "1", "--at", "+5m", "--class",
         "urgent"},
        {"schedule", "add", "--asset", kAsset, "--station", "1", "--at", "+5m", "--valid-from",
         "soon"},
        {"schedule", "approve"},
        {"schedule", "check", "--station", "1", "--unit", "2"},
        {"schedule", "readiness", "--hours", "0"},
        {"schedule", "readiness", "--hours", "745"},
    };
    for (const auto& args : cases) {
        const auto r = loa(args);
        EXPECT_EQ(r.code, 2) << args.at(2) << "\n" << r.err;
        EXPECT_FALSE(r.err.empty());
    }
    EXPECT_TRUE(scheduler_.requests().empty());
}

TEST_F(PlanningCliTest, ApproveAndRetirePostToTheEntry) {
    auto approved = recurring_entry();
    approved["state"] = "approved";
    approved["conflicts"] = json::array();
    scheduler_.answer("POST", "/api/v1/schedule/7/approve", 200, approved.dump());
    const auto r = loa({"schedule", "approve", "7"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("7   approved  commune"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("No conflicts.\n"), std::string::npos) << r.out;

    scheduler_.answer("POST", "/api/v1/schedule/7/retire", 404,
                      R"({"error":"entry 7 does not exist"})");
    const auto retired = loa({"schedule", "retire", "7"});
    EXPECT_EQ(retired.code, 1);
    EXPECT_EQ(retired.err, "loa: entry 7 does not exist\n");
    const auto requests = scheduler_.requests();
    ASSERT_EQ(requests.size(), 2U);
    EXPECT_EQ(requests[0].path, "/api/v1/schedule/7/approve");
    EXPECT_EQ(requests[1].path, "/api/v1/schedule/7/retire");
    EXPECT_EQ(requests[1].method, "POST");
}

TEST_F(PlanningCliTest, ScheduleListShowsRulesAndTargets) {
    auto one_off = recurring_entry();
    one_off["id"] = 8;
    one_off["state"] = "approved";
    one_off["rrule"] = nullptr;
    one_off["start_at"] = "2026-11-28T01:00:00.000Z";
    one_off["asset_id"] = nullptr;
    one_off["programme_id"] = "p1";
    one_off["units"] = json::array();
    one_off["zones"] = json::array();
    scheduler_.answer("GET", "/api/v1/schedule", 200,
                      json::array({recurring_entry(), one_off}).dump());
    const auto r = loa({"schedule", "list"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("7   draft     commune  2026-11-28T06:00:00 Asia/Ho_Chi_Minh "
                         "FREQ=DAILY;BYHOUR=6 except 1 dates"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("8   approved  commune  2026-11-28T08:00:00+07:00"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("Thông báo xã  stations 30280                              programme p1"),
              std::string::npos)
        << r.out;
}

TEST_F(PlanningCliTest, CheckExitsWithOneWhenThereAreConflicts) {
    scheduler_.answer("GET", "/api/v1/schedule/check", 200, json::array({kConflict}).dump());
    scheduler_.answer("GET", "/api/v1/schedule/check", 200, "[]");
    scheduler_.answer("GET", "/api/v1/schedule/check", 200, json::array({kConflict}).dump());
    const auto r = loa({"schedule", "check", "--unit", "883"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(r.out,
              "STATION  ENTRY  CLASS    AT                         LOST TO             OUTCOME\n"
              "30280    7      commune  2026-11-29T06:00:00+07:00  entry 2 (province)  "
              "moved to 2026-11-29T06:30:00+07:00\n"
              "1 conflicts\n");
    EXPECT_EQ(scheduler_.requests().back().query,
              (std::multimap<std::string, std::string>{{"unit", "883"}}));

    const auto clean = loa({"schedule", "check", "--station", "30280"});
    EXPECT_EQ(clean.code, 0);
    EXPECT_EQ(clean.out, "No conflicts.\n");
    EXPECT_EQ(scheduler_.requests().back().query,
              (std::multimap<std::string, std::string>{{"station", "30280"}}));

    const auto as_json = loa({"--json", "schedule", "check"});
    EXPECT_EQ(as_json.code, 1) << "scripts see the conflicts in the exit code too";
    EXPECT_EQ(json::parse(as_json.out), json::array({kConflict}));
}

TEST_F(PlanningCliTest, ReadinessShowsReadyOfTotalAndWhichAreNot) {
    json not_ready = json::array();
    for (int i = 0; i < 10; ++i) {
        not_ready.push_back(std::to_string(30280 + i));
    }
    scheduler_.answer("GET", "/api/v1/schedule/readiness", 200,
                      json::array({{{"entry_id", 2},
                                    {"occurrence", "2026-11-27T23:00:00.000Z"},
                                    {"start", "2026-11-27T23:00:00.000Z"},
                                    {"title", "Thời sự"},
                                    {"priority", "province"},
                                    {"stations", 168},
                                    {"ready", 158},
                                    {"not_ready", not_ready}},
                                   {{"entry_id", 7},
                                    {"occurrence", "2026-11-28T01:00:00.000Z"},
                                    {"start", "2026-11-28T01:00:00.000Z"},
                                    {"title", "Loa xã"},
                                    {"priority", "commune"},
                                    {"stations", 1},
                                    {"ready", 1},
                                    {"not_ready", json::array()}}})
                          .dump());
    const auto r = loa({"schedule", "readiness", "--hours", "48"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out,
              "START                      ENTRY  CLASS     TITLE      READY  NOT READY\n"
              "2026-11-28T06:00:00+07:00  2      province  Thời sự  158/168  "
              "30280,30281,30282,30283,30284,30285,30286,30287 and 2 more\n"
              "2026-11-28T08:00:00+07:00  7      commune   Loa xã       1/1  -\n");
    EXPECT_EQ(scheduler_.requests().back().query,
              (std::multimap<std::string, std::string>{{"hours", "48"}}));
}

}  // namespace
