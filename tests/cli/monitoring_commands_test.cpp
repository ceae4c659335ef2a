// loa status / events / coverage / compliance / alarm list: the requests each command sends and
// what it prints, against a fake scheduler.
#include "cli_runner.hpp"
#include "fake_scheduler.hpp"

#include "loa/test/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

using loa::cli::test::FakeScheduler;
using loa::cli::test::run_loa;
using loa::test_support::TempDir;
using nlohmann::json;

namespace {

const json kStatus = {
    {"as_of", "2026-11-27T10:00:00.000Z"},
    {"totals",
     {{"stations", 2}, {"online", 1}, {"offline", 1}, {"zone_faults", 1}, {"dead_air", 0}}},
    {"units", json::array({{{"code", "883"},
                            {"name", "Long Xuyên"},
                            {"stations", 2},
                            {"online", 1},
                            {"offline", 1},
                            {"zone_faults", 1},
                            {"dead_air", 0}}})},
    {"stations",
     json::array({{{"id", "30280"},
                   {"name", "Mỹ Bình"},
                   {"unit", "30280"},
                   {"online", true},
                   {"offline_since", nullptr},
                   {"last_heard", "2026-11-27T09:59:55.000Z"},
                   {"clock", {{"offset_ms", 2.5}, {"jitter_ms", 0.4}, {"synced", true}}},
                   {"disk_free_bytes", 2000000000},
                   {"software_version", "0.9.0"},
                   {"zones", json::array({{{"zone", "main"},
                                           {"amplifier", "AMPLIFIER_FAULTED"},
                                           {"fault", "speaker line open"},
                                           {"rms_dbfs", -120.0},
                                           {"dead_air", false}}})}},
                  {{"id", "30281"},
                   {"name", "Mỹ Long"},
                   {"unit", "30281"},
                   {"online", false},
                   {"offline_since", "2026-11-27T08:00:00.000Z"},
                   {"last_heard", "2026-11-27T07:59:30.000Z"},
                   {"clock", nullptr},
                   {"disk_free_bytes", nullptr},
                   {"software_version", "0.9.0"},
                   {"zones", json::array()}}})}};

class MonitoringCliTest : public ::testing::Test {
protected:
    FakeScheduler scheduler_;
    TempDir dir_;

    loa::cli::test::Outcome loa(std::vector<std::string> args) {
        args.insert(args.begin(), {"--server", scheduler_.url()});
        return run_loa(std::move(args));
    }

    std::string write(const std::string& name, const std::string& text) {
        const auto path = dir_.path() / name;
        std::ofstream{path, std::ios::binary} << text;
        return path.string();
    }
};

TEST_F(MonitoringCliTest, StatusPrintsStationsAndUnitCountsInLocalTime) {
    scheduler_.answer("GET", "/api/v1/status", 200, kStatus.dump());
    const auto r = loa({"status", "--unit", "883"});
    ASSERT_EQ(r.code, 0) << r.err;
    ASSERT_EQ(scheduler_.requests().size(), 1U);
    EXPECT_EQ(scheduler_.requests()[0].query.find("unit")->second, "883");
    EXPECT_NE(r.out.find("2 stations: 1 online, 1 offline; 1 zone faults"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("Mỹ Bình"), std::string::npos);
    EXPECT_NE(r.out.find("+2.5 ms"), std::string::npos);
    EXPECT_NE(r.out.find("main:faulted (speaker line open)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("OFFLINE  2026-11-27T15:00:00+07:00"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Long Xuyên"), std::string::npos);

    const auto j = loa({"--json", "status"});
    ASSERT_EQ(j.code, 0);
    EXPECT_EQ(json::parse(j.out), kStatus);
    EXPECT_TRUE(scheduler_.requests().back().query.empty());
}

TEST_F(MonitoringCliTest, EventsListsAStationsEvents) {
    scheduler_.answer("GET", "/api/v1/stations/30280/events", 200,
                      json::array({{{"event_id", "e1"},
                                    {"kind", "AMPLIFIER_FAULT"},
                                    {"zone", "main"},
                                    {"at", "2026-11-27T09:00:00.000Z"},
                                    {"detail", "quá nhiệt"}}})
                          .dump());
    const auto r = loa({"events", "30280", "--limit", "5"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(scheduler_.requests()[0].query.find("limit")->second, "5");
    EXPECT_EQ(r.out,
              "AT                         KIND             ZONE  DETAIL\n"
              "2026-11-27T16:00:00+07:00  AMPLIFIER_FAULT  main  quá nhiệt\n");
    EXPECT_EQ(loa({"events"}).code, 2);
}

TEST_F(MonitoringCliTest, CoverageImportSendsTheFileAndShowsPerLineErrors) {
    scheduler_.answer("POST", "/api/v1/coverage/clusters", 200,
                      json{{"imported", 2}, {"clusters", 2}}.dump());
    const auto csv = write("clusters.csv", "id,station_id,zone,lon,lat,horns,power_w,reach_m\n");
    auto r = loa({"coverage", "import-clusters", csv});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "imported 2 clusters (2 stored)\n");
    EXPECT_EQ(scheduler_.requests()[0].content_type, "text/csv");
    EXPECT_EQ(scheduler_.requests()[0].body, "id,station_id,zone,lon,lat,horns,power_w,reach_m\n");

    scheduler_.answer(
        "POST", "/api/v1/coverage/hamlets", 400,
        json{{"error",
              "1 problem(s) in the hamlet file; nothing imported:\nline 3: households "
              "-1 is not a whole number >= 0"}}
            .dump());
    const auto geo = write("hamlets.geojson", R"({"type":"FeatureCollection","features":[]})");
    r = loa({"coverage", "import-hamlets", geo});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(scheduler_.requests().back().content_type, "application/geo+json");
    EXPECT_NE(r.err.find("line 3: households -1"), std::string::npos) << r.err;

    EXPECT_EQ(loa({"coverage", "import-hamlets", (dir_.path() / "none.csv").string()}).code, 1);
}

TEST_F(MonitoringCliTest, CoverageShowsUnitsAndHistory) {
    const json body{{"units", json::array({{{"code", "89"},
                                            {"name", "An Giang"},
                                            {"households", 400.0},
                                            {"installed", 0.875},
                                            {"working", 0.75},
                                            {"area_installed", nullptr},
                                            {"area_working", nullptr},
                                            {"hamlets", 4}}})},
                    {"stations_offline", json::array({"30281"})},
                    {"zones_faulted", json::array()},
                    {"history", json::array({{{"date", "2026-11-26"},
                                              {"code", "89"},
                                              {"installed", 0.875},
                                              {"working", 0.86},
                                              {"households_working", 344.0}}})}};
    scheduler_.answer("GET", "/api/v1/coverage", 200, body.dump());
    const auto r = loa({"coverage", "--unit", "89", "--history"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto& q = scheduler_.requests()[0].query;
    EXPECT_EQ(q.find("unit")->second, "89");
    EXPECT_EQ(q.find("history")->second, "1");
    EXPECT_NE(r.out.find("An Giang"), std::string::npos);
    EXPECT_NE(r.out.find("87.5 %"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("75.0 %"), std::string::npos);
    EXPECT_NE(r.out.find("stations offline: 30281"), std::string::npos);
    EXPECT_NE(r.out.find("2026-11-26"), std::string::npos);
    EXPECT_NE(r.out.find("86.0 %"), std::string::npos);
}

TEST_F(MonitoringCliTest, ComplianceSummaryCsvAndHtml) {
    const json body{{"total",
                     {{"scheduled", 2},
                      {"aired", 1},
                      {"partly_aired", 0},
                      {"missed", 1},
                      {"pending", 0},
                      {"aired_ratio", 0.5}}},
                    {"by_station",
                     {{"30280",
                       {{"scheduled", 2},
                        {"aired", 1},
                        {"partly_aired", 0},
                        {"missed", 1},
                        {"aired_ratio", 0.5}}}}},
                    {"items", json::array({{{"station", "30280"},
                                            {"start", "2026-11-27T01:00:00.000Z"},
                                            {"title", "Tin sáng"},
                                            {"programme", "Thời sự"},
                                            {"verdict", "aired"}},
                                           {{"station", "30280"},
                                            {"start", "2026-11-27T02:00:00.000Z"},
                                            {"title", "Tin trưa"},
                                            {"programme", "Thời sự"},
                                            {"verdict", "missed"},
                                            {"reason", "offline"},
                                            {"detail", "station offline"}}})}};
    // Answers are taken in order: the summary, then the CSV, then the report.
    const std::string csv = "\xEF\xBB\xBFTrạm,Mục\r\n30280,i1\r\n";
    const std::string html = "<html><body>Báo cáo tháng 11/2026</body></html>";
    scheduler_.answer("GET", "/api/v1/compliance", 200, body.dump());
    scheduler_.answer("GET", "/api/v1/compliance", 200, csv);
    scheduler_.answer("GET", "/api/v1/compliance", 200, html);
    auto r = loa({"compliance", "--from", "2026-11-27", "--to", "2026-11-27", "--unit", "883"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto& q = scheduler_.requests()[0].query;
    EXPECT_EQ(q.find("from")->second, "2026-11-27");
    EXPECT_EQ(q.find("unit")->second, "883");
    EXPECT_NE(r.out.find("2 scheduled, 1 aired, 0 partly aired, 1 missed"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("Tin trưa"), std::string::npos);
    EXPECT_EQ(r.out.find("Tin sáng"), std::string::npos) << "aired items are not listed";
    EXPECT_NE(r.out.find("2026-11-27T09:00:00+07:00"), std::string::npos);

    // --csv prints the scheduler's CSV as it is.
    r = loa({"compliance", "--from", "2026-11-27", "--to", "2026-11-27", "--csv"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, csv);
    EXPECT_EQ(scheduler_.requests().back().query.find("format")->second, "csv");

    const auto file = (dir_.path() / "report.html").string();
    r = loa({"compliance", "--from", "2026-11-01", "--to", "2026-11-30", "--html", file});
    ASSERT_EQ(r.code, 0) << r.err;
    std::ifstream in{file};
    std::stringstream written;
    written << in.rdbuf();
    EXPECT_EQ(written.str(), html);
    EXPECT_EQ(scheduler_.requests().back().query.find("format")->second, "html");

    EXPECT_EQ(loa({"compliance", "--from", "2026-11-27"}).code, 2);
}

TEST_F(MonitoringCliTest, AlarmListShowsActiveAndClearedInVietnamese) {
    const json alarm{{"key", "offline/30281"},
                     {"kind", "station_offline"},
                     {"severity", "major"},
                     {"unit", "30281"},
                     {"station", "30281"},
                     {"zone", ""},
                     {"text", {{"vi", "Trạm Mỹ Long mất kết nối"}, {"en", "offline"}}},
                     {"since", "2026-11-27T08:00:00.000Z"},
                     {"raised_at", "2026-11-27T08:00:05.000Z"},
                     {"cleared_at", nullptr}};
    json cleared = alarm;
    cleared["key"] = "fault/30280/main";
    cleared["kind"] = "zone_fault";
    cleared["station"] = "30280";
    cleared["zone"] = "main";
    cleared["text"]["vi"] = "Lỗi bộ khuếch đại";
    cleared["cleared_at"] = "2026-11-27T09:00:00.000Z";
    scheduler_.answer(
        "GET", "/api/v1/alarms", 200,
        json{{"active", json::array({alarm})}, {"cleared", json::array({cleared})}}.dump());
    scheduler_.answer("GET", "/api/v1/alarms", 200,
                      json{{"active", json::array()}, {"cleared", json::array()}}.dump());
    const auto r = loa({"alarm", "list"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("Trạm Mỹ Long mất kết nối"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("recently cleared:"), std::string::npos);
    EXPECT_NE(r.out.find("30280:main"), std::string::npos);
    EXPECT_NE(r.out.find("2026-11-27T16:00:00+07:00"), std::string::npos);

    EXPECT_EQ(loa({"alarm", "list"}).out, "no active alarms\n");
}

}  // namespace
