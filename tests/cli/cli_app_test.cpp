#include "loa/cli/cli_app.hpp"

#include "cli_runner.hpp"
#include "fake_scheduler.hpp"
#include "loa/audio/transcode.hpp"
#include "loa/common/time_format.hpp"

#include "loa/test/temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

using loa::cli::test::FakeScheduler;
using nlohmann::json;

namespace {

using loa::cli::test::run_loa;

using loa::test_support::TempDir;

std::string slurp(const std::filesystem::path& file) {
    std::ifstream in{file, std::ios::binary};
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

const std::string kAssetA(64, 'a');
const std::string kAssetB(64, 'b');

const json kStations = json::parse(R"([
  {"id":"30280","name":"Mỹ Bình","public_key":"k","created_at":"2026-11-01T00:00:00.000Z",
   "online":true,"last_seen_at":"2026-11-27T09:59:58.000Z","timeline_revision":12,
   "acked_revision":11,"software_version":"0.1.0"},
  {"id":"30301","name":"Long Xuyên","public_key":"k","created_at":"2026-11-01T00:00:00.000Z",
   "online":false,"last_seen_at":null,"timeline_revision":3,"acked_revision":3,
   "software_version":"0.1.0"}
])");

}  // namespace

class CliAppTest : public ::testing::Test {
protected:
    FakeScheduler scheduler_;
    std::string server_ = scheduler_.url();
};

TEST_F(CliAppTest, StationListIsATableInLocalTime) {
    scheduler_.answer("GET", "/api/v1/stations", 200, kStations.dump());
    const auto r = run_loa({"--server", server_, "station", "list"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(r.out,
              "ID     NAME        ONLINE  LAST SEEN                  REVISION  ACKED  VERSION\n"
              "30280  Mỹ Bình     yes     2026-11-27T16:59:58+07:00        12     11  0.1.0\n"
              "30301  Long Xuyên  no      never                             3      3  0.1.0\n");
    const auto requests = scheduler_.requests();
    ASSERT_EQ(requests.size(), 1U);
    EXPECT_EQ(requests[0].method, "GET");
    EXPECT_EQ(requests[0].path, "/api/v1/stations");
}

TEST_F(CliAppTest, TimeZoneOptionChangesTheTimesShown) {
    scheduler_.answer("GET", "/api/v1/stations", 200, kStations.dump());
    const auto r = run_loa({"station", "list", "--tz", "Europe/Paris", "--server", server_});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("2026-11-27T10:59:58+01:00"), std::string::npos) << r.out;
}

TEST_F(CliAppTest, JsonOptionPrintsTheAnswerAsItCame) {
    scheduler_.answer("GET", "/api/v1/stations", 200, kStations.dump());
    const auto r = run_loa({"station", "list", "--json", "--server", server_});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out), kStations);
    EXPECT_NE(r.out.find("Mỹ Bình"), std::string::npos) << "UTF-8 is printed as it is";
}

TEST_F(CliAppTest, EmptyListsSaySo) {
    scheduler_.answer("GET", "/api/v1/stations", 200, "[]");
    scheduler_.answer("GET", "/api/v1/assets", 200, "[]");
    EXPECT_EQ(run_loa({"--server", server_, "station", "list"}).out, "No stations.\n");
    EXPECT_EQ(run_loa({"--server", server_, "asset", "list"}).out, "No assets.\n");
}

TEST_F(CliAppTest, SchedulerErrorIsPrintedWithExitCodeOne) {
    scheduler_.answer("POST", "/api/v1/stations", 400,
                      R"({"error":"id: 'a b' is not a station id"})");
    const auto r = run_loa({"--server", server_, "station", "add", "a b"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "loa: id: 'a b' is not a station id\n");
}

TEST_F(CliAppTest, ErrorWithoutAJsonBodyNamesTheStatus) {
    scheduler_.answer("GET", "/api/v1/assets", 502, "<html>bad gateway</html>");
    const auto r = run_loa({"--server", server_, "asset", "list"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "loa: the scheduler answered HTTP 502 without saying why\n");
}

TEST(CliApp, UnreachableSchedulerIsNamed) {
    std::string url;
    {
        FakeScheduler gone;
        url = gone.url();
    }
    const auto r = run_loa({"--server", url, "station", "list"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "loa: cannot reach the scheduler at " + url + ": Connection refused\n");
}

TEST_F(CliAppTest, UsageErrorsExitWithTwoAndSendNothing) {
    const std::vector<std::vector<std::string>> cases = {
        {},
        {"station"},
        {"station", "add"},
        {"station", "frobnicate"},
        {"station", "add", "1", "--public-key", "k", "--agent-config", "/tmp/x"},
        {"schedule", "add", "--asset", kAssetA, "--stations", "1"},
        {"schedule", "add", "--asset", kAssetA, "--stations", "1", "--at", "tomorrow"},
        {"schedule", "add", "--asset", kAssetA, "--stations", "1", "--at", "+5x"},
        {"schedule", "add", "--asset", kAssetA, "--stations", "", "--at", "+5m"},
        {"schedule", "add", "--asset", kAssetA, "--stations", ",", "--at", "+5m"},
        {"schedule", "add", "--asset", kAssetA, "--stations", "1", "--at", "+5m", "--priority",
         "urgent"},
        {"asrun", "list", "--limit", "0"},
        {"asrun", "list", "--limit", "many"},
        {"--tz", "Mars/Olympus", "station", "list"},
        {"--server", "ftp://example.org", "station", "list"},
    };
    for (auto args : cases) {
        std::string shown;
        for (const auto& a : args) {
            shown += a + " ";
        }
        if (std::find(args.begin(), args.end(), "--server") == args.end()) {
            args.insert(args.begin(), {"--server", server_});
        }
        const auto r = run_loa(args);
        EXPECT_EQ(r.code, 2) << shown << "\n" << r.err;
        EXPECT_FALSE(r.err.empty()) << shown;
    }
    EXPECT_TRUE(scheduler_.requests().empty());
    EXPECT_NE(run_loa({"--tz", "Mars/Olympus", "station", "list"}).err.find("Mars/Olympus"),
              std::string::npos);
}

TEST_F(CliAppTest, HelpDescribesEveryCommand) {
    const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> cases = {
        {{"--help"},
         {"--server", "--json", "--tz", "--token-file", "station", "unit", "asset", "programme",
          "schedule", "asrun", "login", "logout", "user", "token", "audit", "bulletin"}},
        {{"station", "--help"}, {"add", "list", "import", "provision"}},
        {{"station", "provision", "--help"}, {"ID", "--all", "--out", "--scheduler-endpoint"}},
        {{"unit", "--help"}, {"import", "list"}},
        {{"unit", "import", "--help"}, {"FILE", "--no-stations"}},
        {{"programme", "add", "--help"}, {"--title", "ASSET_ID"}},
        {{"schedule", "--help"}, {"add", "approve", "retire", "list", "check", "readiness"}},
        {{"schedule", "check", "--help"}, {"--station", "--unit", "exit code"}},
        {{"schedule", "readiness", "--help"}, {"--hours"}},
        {{"login", "--help"}, {"--user", "--password-file"}},
        {{"user", "add", "--help"}, {"NAME", "--role", "--scope", "--display-name"}},
        {{"token", "issue", "--help"}, {"--label", "--days", "--user"}},
        {{"audit", "--help"}, {"--from", "--until", "--user", "--kind", "--object", "--limit"}},
        {{"bulletin", "--help"}, {"send", "list", "show", "inbox", "air", "decline"}},
        {{"bulletin", "send", "--help"}, {"--kind", "--title", "--asset", "--unit"}},
        {{"station", "add", "--help"}, {"ID", "--name", "--public-key", "--agent-config"}},
        {{"asset", "add", "--help"}, {"FILE"}},
        {{"schedule", "add", "--help"},
         {"--asset", "--programme", "--unit", "--station", "--zone", "--at", "--stations",
          "--title", "--class", "--priority", "--rrule", "--exdate", "--policy", "--valid-from",
          "--valid-until", "--draft", "+5m", "emergency"}},
        {{"asrun", "list", "--help"}, {"--station", "--limit"}},
    };
    for (const auto& [args, words] : cases) {
        const auto r = run_loa(args);
        EXPECT_EQ(r.code, 0);
        for (const auto& w : words) {
            EXPECT_NE(r.out.find(w), std::string::npos) << w << " in\n" << r.out;
        }
    }
    EXPECT_TRUE(scheduler_.requests().empty());
}

TEST_F(CliAppTest, StationAddWritesTheAgentConfigPrivately) {
    const std::string config = "[scheduler]\npublic_key = \"...\"\n";
    scheduler_.answer("POST", "/api/v1/stations", 201,
                      json{{"id", "30280"}, {"name", "Mỹ Bình"}, {"agent_config", config}}.dump());
    TempDir dir;
    const auto file = dir / "agent.toml";
    const auto r = run_loa({"--server", server_, "station", "add", "30280", "--name", "Mỹ Bình",
                            "--agent-config", file.string()});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(slurp(file), config);
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600U);
    EXPECT_NE(r.out.find("station 30280 (Mỹ Bình) added"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("public_key"), std::string::npos) << "the secret stays in the file";

    const auto requests = scheduler_.requests();
    ASSERT_EQ(requests.size(), 1U);
    EXPECT_EQ(requests[0].path, "/api/v1/stations");
    EXPECT_EQ(requests[0].content_type, "application/json");
    EXPECT_EQ(json::parse(requests[0].body), (json{{"id", "30280"}, {"name", "Mỹ Bình"}}));
}

TEST_F(CliAppTest, StationAddNeverOverwritesAFile) {
    TempDir dir;
    const auto file = dir / "agent.toml";
    std::ofstream{file} << "old";
    const auto r =
        run_loa({"--server", server_, "station", "add", "30280", "--agent-config", file.string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("already exists"), std::string::npos) << r.err;
    EXPECT_EQ(slurp(file), "old");
    EXPECT_TRUE(scheduler_.requests().empty()) << "no station is made when the file is refused";
}

TEST_F(CliAppTest, FailedStationAddLeavesNoFile) {
    scheduler_.answer("POST", "/api/v1/stations", 409, R"({"error":"station 30280 exists"})");
    TempDir dir;
    const auto file = dir / "agent.toml";
    const auto r =
        run_loa({"--server", server_, "station", "add", "30280", "--agent-config", file.string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "loa: station 30280 exists\n");
    EXPECT_FALSE(std::filesystem::exists(file));
}

TEST_F(CliAppTest, StationAddPrintsTheAgentConfigWithoutAFile) {
    const std::string config = "[keys]\nsecret_key = \"s\"\n";
    scheduler_.answer("POST", "/api/v1/stations", 201,
                      json{{"id", "30280"}, {"name", "30280"}, {"agent_config", config}}.dump());
    const auto r = run_loa({"--server", server_, "station", "add", "30280"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, config) << "stdout is the config alone, ready to redirect";
    EXPECT_NE(r.err.find("station 30280 (30280) added"), std::string::npos) << r.err;
    EXPECT_EQ(json::parse(scheduler_.requests().at(0).body),
              (json{{"id", "30280"}, {"name", "30280"}}));
}

TEST_F(CliAppTest, StationAddWithItsOwnKey) {
    scheduler_.answer("POST", "/api/v1/stations", 201,
                      json{{"id", "30280"}, {"name", "Mỹ Bình"}, {"public_key", "K"}}.dump());
    const auto r = run_loa(
        {"--server", server_, "station", "add", "30280", "--name", "Mỹ Bình", "--public-key", "K"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "station 30280 (Mỹ Bình) added\n");
    EXPECT_EQ(json::parse(scheduler_.requests().at(0).body),
              (json{{"id", "30280"}, {"name", "Mỹ Bình"}, {"public_key", "K"}}));
}

TEST_F(CliAppTest, AssetAddUploadsTheBytesOfEachFile) {
    TempDir dir;
    const auto first = dir / "bản tin sáng.wav";
    const auto second = dir / "nhạc.ogg";
    const std::string first_bytes{"RIFF\0\0\0\0WAVE\xff", 13};
    std::ofstream{first, std::ios::binary} << first_bytes;
    std::ofstream{second, std::ios::binary} << "OggS";
    scheduler_.answer("POST", "/api/v1/assets", 201,
                      json{{"id", kAssetA},
                           {"name", "bản tin sáng.wav"},
                           {"duration_ms", 83'450},
                           {"size_bytes", 1'234'567},
                           {"created_at", "2026-11-27T10:00:00.000Z"},
                           {"loudness_lufs", -16.02},
                           {"true_peak_dbtp", -3.0},
                           {"source_format", "MPEG-1 Layer 3 (MP3)"},
                           {"ingest",
                            {{"input_loudness_lufs", -21.37},
                             {"input_true_peak_dbtp", -0.2},
                             {"gain_db", 5.4},
                             {"limiter_reduction_db", 1.2},
                             {"seconds", 0.612},
                             {"speed", 136.4}}}}
                          .dump());
    scheduler_.answer("POST", "/api/v1/assets", 200,
                      json{{"id", kAssetB},
                           {"name", "nhạc.ogg"},
                           {"duration_ms", 3'725'000},
                           {"size_bytes", 512},
                           {"created_at", "2026-11-20T10:00:00.000Z"}}
                          .dump());
    const auto r = run_loa({"--server", server_, "asset", "add", first.string(), second.string()});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "ID" + std::string(64, ' ') +
                         "NAME               DURATION    LOUDNESS       PEAK    SIZE  CREATED\n" +
                         kAssetA +
                         "  bản tin sáng.wav     1:23.5  -16.0 LUFS  -3.0 dBTP  1.2 MB  "
                         "2026-11-27T17:00:00+07:00\n" +
                         kAssetB +
                         "  nhạc.ogg          1:02:05.0           -          -   512 B  (already "
                         "uploaded)\n");
    // Progress and the ingest's figures go to the error stream.
    EXPECT_EQ(r.err,
              "ingesting bản tin sáng.wav (13 B)…\n"
              "  ingested in 0.61 s (136x real time): -21.4 LUFS → -16.0 LUFS\n"
              "ingesting nhạc.ogg (4 B)…\n");
    const auto requests = scheduler_.requests();
    ASSERT_EQ(requests.size(), 2U);
    EXPECT_EQ(requests[0].path, "/api/v1/assets");
    EXPECT_EQ(requests[0].body, first_bytes);
    EXPECT_EQ(requests[0].content_type, "audio/wav");
    ASSERT_EQ(requests[0].query.count("name"), 1U);
    EXPECT_EQ(requests[0].query.find("name")->second, "bản tin sáng.wav");
    EXPECT_EQ(requests[1].body, "OggS");
    EXPECT_EQ(requests[1].content_type, "audio/ogg");
    EXPECT_EQ(requests[1].query.find("name")->second, "nhạc.ogg");
}

TEST_F(CliAppTest, AssetAddChecksEveryFileBeforeUploading) {
    TempDir dir;
    const auto good = dir / "a.wav";
    std::ofstream{good} << "RIFF";
    const auto missing = dir / "missing.wav";
    const auto r = run_loa({"--server", server_, "asset", "add", good.string(), missing.string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "loa: cannot read " + missing.string() + ": No such file or directory\n");
    EXPECT_TRUE(scheduler_.requests().empty());
}

TEST_F(CliAppTest, AssetAddJsonListsEveryAnswer) {
    TempDir dir;
    const auto file = dir / "a.flac";
    std::ofstream{file} << "fLaC";
    const json asset = {{"id", kAssetA},
                        {"name", "a.flac"},
                        {"duration_ms", 1000},
                        {"size_bytes", 4},
                        {"created_at", "2026-11-27T10:00:00.000Z"}};
    scheduler_.answer("POST", "/api/v1/assets", 201, asset.dump());
    const auto r = run_loa({"--server", server_, "--json", "asset", "add", file.string()});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out), json::array({asset}));
    EXPECT_EQ(scheduler_.requests().at(0).content_type, "audio/flac");
}

TEST_F(CliAppTest, ScheduleAddSendsAnAbsoluteTimeWithOffset) {
    const json entry = {{"id", 7},
                        {"asset_id", kAssetA},
                        {"title", "Bản tin"},
                        {"priority", "district"},
                        {"start_at", "2026-11-27T10:05:01.000Z"},
                        {"stations", {"30280", "30301"}},
                        {"created_at", "2026-11-27T10:00:00.000Z"}};
    scheduler_.answer("POST", "/api/v1/schedule", 201, entry.dump());
    const auto r =
        run_loa({"--server", server_, "schedule", "add", "--asset", kAssetA, "--at", "+5m",
                 "--stations", "30280,30301", "--title", "Bản tin", "--priority", "district"});
    EXPECT_EQ(r.code, 0) << r.err;
    const auto requests = scheduler_.requests();
    ASSERT_EQ(requests.size(), 1U);
    EXPECT_EQ(requests[0].path, "/api/v1/schedule");
    EXPECT_EQ(json::parse(requests[0].body), (json{{"asset_id", kAssetA},
                                                   {"at", "2026-11-27T17:05:01+07:00"},
                                                   {"stations", {"30280", "30301"}},
                                                   {"title", "Bản tin"},
                                                   {"priority", "district"}}));
    EXPECT_EQ(r.out,
              "ID  STATE  CLASS     WHEN                       TITLE    TARGETS               "
              "CONTENT\n"
              "7   -      district  2026-11-27T17:05:01+07:00  Bản tin  stations 30280,30301  "
              "aaaaaaaaaaaa\n"
              "No conflicts.\n");
}

TEST_F(CliAppTest, ScheduleAddReadsTimesWithoutOffsetInTheZone) {
    scheduler_.answer("POST", "/api/v1/schedule", 201, "{}");
    const auto at_of = [&](std::vector<std::string> extra) {
        std::vector<std::string> args = {"--server", server_, "schedule",   "add",
                                         "--asset",  kAssetA, "--stations", "30280"};
        args.insert(args.end(), extra.begin(), extra.end());
        const auto r = run_loa(args);
        EXPECT_EQ(r.code, 0) << r.err;
        return json::parse(scheduler_.requests().back().body).at("at").get<std::string>();
    };
    EXPECT_EQ(at_of({"--at", "2026-11-27 18:00"}), "2026-11-27T18:00:00+07:00");
    EXPECT_EQ(at_of({"--at", "2026-11-27T18:00", "--tz", "Europe/Paris"}),
              "2026-11-27T18:00:00+01:00");
    EXPECT_EQ(at_of({"--at", "2026-11-27T10:00:00Z"}), "2026-11-27T17:00:00+07:00");
    EXPECT_FALSE(json::parse(scheduler_.requests().back().body).contains("priority"));
}

TEST_F(CliAppTest, ScheduleListShowsEntries) {
    scheduler_.answer("GET", "/api/v1/schedule", 200,
                      json::array({{{"id", "e1"},
                                    {"asset_id", kAssetB},
                                    {"title", ""},
                                    {"priority", "commune"},
                                    {"start_at", "2026-11-28T00:30:00.000Z"},
                                    {"stations", {"30280"}},
                                    {"created_at", "2026-11-27T10:00:00.000Z"}}})
                          .dump());
    const auto r = run_loa({"--server", server_, "schedule", "list"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out,
              "ID  STATE  CLASS    WHEN                       TITLE  TARGETS         CONTENT\n"
              "e1  -      commune  2026-11-28T07:30:00+07:00  -      stations 30280  "
              "bbbbbbbbbbbb\n");
}

TEST_F(CliAppTest, AsrunListPassesFiltersAndShowsRecords) {
    const json records = json::array({{{"record_id", "r2"},
                                       {"station_id", "30280"},
                                       {"item_id", "i2"},
                                       {"asset_id", kAssetA},
                                       {"scheduled_at", "2026-11-27T10:00:00.000Z"},
                                       {"started_at", "2026-11-27T10:00:00.012Z"},
                                       {"ended_at", "2026-11-27T10:01:00.000Z"},
                                       {"status", "aired"},
                                       {"reason", ""},
                                       {"received_at", "2026-11-27T10:01:01.000Z"},
                                       {"start_error_ms", 12}},
                                      {{"record_id", "r1"},
                                       {"station_id", "30280"},
                                       {"item_id", "i1"},
                                       {"asset_id", kAssetB},
                                       {"scheduled_at", "2026-11-27T09:00:00.000Z"},
                                       {"started_at", nullptr},
                                       {"ended_at", nullptr},
                                       {"status", "missed"},
                                       {"reason", "asset not verified"},
                                       {"received_at", "2026-11-27T09:00:02.000Z"},
                                       {"start_error_ms", nullptr}}});
    scheduler_.answer("GET", "/api/v1/asrun", 200, records.dump());
    const auto r =
        run_loa({"--server", server_, "asrun", "list", "--station", "30280", "--limit", "5"});
    EXPECT_EQ(r.code, 0) << r.err;
    const auto requests = scheduler_.requests();
    ASSERT_EQ(requests.size(), 1U);
    EXPECT_EQ(requests[0].path, "/api/v1/asrun");
    EXPECT_EQ(requests[0].query,
              (std::multimap<std::string, std::string>{{"limit", "5"}, {"station", "30280"}}));
    EXPECT_EQ(r.out,
              "SCHEDULED                  STATION  STATUS  STARTED                        "
              "START ERROR  ASSET         REASON\n"
              "2026-11-27T17:00:00+07:00  30280    aired   2026-11-27T17:00:00.012+07:00     "
              "+12.0 ms  aaaaaaaaaaaa  -\n"
              "2026-11-27T16:00:00+07:00  30280    missed  -                                  "
              "      -  bbbbbbbbbbbb  asset not verified\n");

    EXPECT_EQ(run_loa({"--server", server_, "asrun", "list"}).code, 0);
    EXPECT_TRUE(scheduler_.requests().back().query.empty());
}

TEST(CliApp, ServerComesFromTheEnvironment) {
    FakeScheduler scheduler;
    scheduler.answer("GET", "/api/v1/assets", 200, "[]");
    ::setenv("LOA_SERVER", scheduler.url().c_str(), 1);
    const auto r = run_loa({"asset", "list"});
    ::unsetenv("LOA_SERVER");
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(scheduler.requests().size(), 1U);
}

namespace {

class CliAssetTest : public ::testing::Test {
protected:
    loa::cli::test::FakeScheduler scheduler_;
    std::string server_ = scheduler_.url();
};

const json kSpoken = {{"id", kAssetA},
                      {"name", "Họp tổ dân phố"},
                      {"duration_ms", 4'250},
                      {"size_bytes", 17'000},
                      {"created_at", "2026-11-27T10:00:00.000Z"},
                      {"loudness_lufs", -16.0},
                      {"true_peak_dbtp", -3.01},
                      {"source_format", "speech (espeak-ng, vi-vn-x-south)"}};

TEST_F(CliAssetTest, TtsSendsTheTextAndVoice) {
    scheduler_.answer("POST", "/api/v1/assets/tts", 201, kSpoken.dump());
    const auto r = run_loa({"--server", server_, "asset", "tts", "--text",
                            "Họp tổ dân phố lúc 15 giờ", "--voice", "vi-vn-x-south"});
    EXPECT_EQ(r.code, 0) << r.err;
    const auto requests = scheduler_.requests();
    ASSERT_EQ(requests.size(), 1U);
    EXPECT_EQ(json::parse(requests[0].body),
              (json{{"text", "Họp tổ dân phố lúc 15 giờ"}, {"voice", "vi-vn-x-south"}}));
    EXPECT_NE(r.out.find(kAssetA + "  Họp tổ dân phố    0:04.3  -16.0 LUFS  -3.0 dBTP"),
              std::string::npos)
        << r.out;
    EXPECT_EQ(r.err, "speaking 25 characters with voice vi-vn-x-south…\n");
}

TEST_F(CliAssetTest, TtsShowsTheSchedulersRefusal) {
    scheduler_.answer("POST", "/api/v1/assets/tts", 400,
                      R"j({"error": "voice: unknown voice 'xx' (available: vi, en)"})j");
    const auto r = run_loa({"--server", server_, "asset", "tts", "--text", "a", "--voice", "xx"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("loa: voice: unknown voice 'xx' (available: vi, en)"), std::string::npos)
        << r.err;
    // --text is required.
    EXPECT_EQ(run_loa({"--server", server_, "asset", "tts"}).code, 2);
}

TEST_F(CliAssetTest, AddShowsWhyAnUploadWasRefused) {
    TempDir dir;
    const auto file = dir / "notice.mp3";
    std::ofstream{file} << "typed text";
    scheduler_.answer("POST", "/api/v1/assets", 400,
                      R"j({"error": "notice.mp3: not audio: GStreamer cannot tell"})j");
    const auto r = run_loa({"--server", server_, "asset", "add", file.string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err,
              "ingesting notice.mp3 (10 B)…\nloa: notice.mp3: not audio: GStreamer cannot tell\n");
    EXPECT_EQ(r.out, "");
}

TEST_F(CliAssetTest, ShowListsEveryFigure) {
    scheduler_.answer("GET", "/api/v1/assets/" + kAssetA, 200, kSpoken.dump());
    const auto r = run_loa({"--server", server_, "asset", "show", kAssetA});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "id:         " + kAssetA +
                         "\n"
                         "name:       Họp tổ dân phố\n"
                         "duration:   0:04.3\n"
                         "loudness:   -16.0 LUFS\n"
                         "true peak:  -3.0 dBTP\n"
                         "source:     speech (espeak-ng, vi-vn-x-south)\n"
                         "size:       17.0 kB\n"
                         "created:    2026-11-27T17:00:00+07:00\n");
    const auto missing = run_loa({"--server", server_, "asset", "show", kAssetB});
    EXPECT_EQ(missing.code, 1);
}

TEST_F(CliAssetTest, PlayLocalDownloadsThenNamesAMissingDevice) {
    scheduler_.answer("GET", "/api/v1/assets/" + kAssetA, 200, kSpoken.dump());
    scheduler_.answer("GET", "/api/v1/assets/" + kAssetA + "/audio", 200, "not an ogg file");
    const auto garbage = run_loa({"--server", server_, "asset", "play-local", kAssetA});
    EXPECT_EQ(garbage.code, 1);
    EXPECT_NE(garbage.err.find("loa: cannot play asset " + kAssetA + ": "), std::string::npos)
        << garbage.err;
    const auto requests = scheduler_.requests();
    ASSERT_EQ(requests.size(), 2U);
    EXPECT_EQ(requests[1].path, "/api/v1/assets/" + kAssetA + "/audio");
}

TEST_F(CliAssetTest, PlayLocalNamesAMissingDevice) {
    TempDir dir;
    std::vector<float> tone(24000);
    for (std::size_t i = 0; i < tone.size(); ++i) {
        tone[i] = 0.3F * static_cast<float>(std::sin(static_cast<double>(i) * 0.0576));
    }
    ASSERT_TRUE(loa::audio::encode_ogg_opus(tone, dir / "tone.opus"));
    scheduler_.answer("GET", "/api/v1/assets/" + kAssetA, 200, kSpoken.dump());
    scheduler_.answer("GET", "/api/v1/assets/" + kAssetA + "/audio", 200, slurp(dir / "tone.opus"));
    const auto r = run_loa(
        {"--server", server_, "asset", "play-local", kAssetA, "--device", "No Such Device 9"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("loa: cannot play asset " + kAssetA + ": "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("No Such Device 9"), std::string::npos) << r.err;
}

}  // namespace
