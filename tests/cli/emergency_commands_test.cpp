// loa emergency start|stop|list and loa alert send|list: what is sent to the scheduler, what is
// printed, and usage errors that send nothing.
#include "cli_runner.hpp"
#include "fake_scheduler.hpp"
#include "loa/test/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

using loa::cli::test::FakeScheduler;
using loa::cli::test::run_loa;
using nlohmann::json;

namespace {

const std::string kAsset(64, 'a');

const json kSession = {{"id", 7},
                       {"state", "active"},
                       {"title", "Emergency: Lũ lớn"},
                       {"asset_id", kAsset},
                       {"units", {"883"}},
                       {"stations", {"30280", "30283"}},
                       {"entries", {41, 42}},
                       {"repeat", 2},
                       {"every_min", 10},
                       {"starts_at", "2026-11-27T10:00:03.000Z"},
                       {"ends_at", "2026-11-27T10:10:33.000Z"},
                       {"started_at", "2026-11-27T10:00:00.000Z"},
                       {"started_by", "root"},
                       {"stopped_at", nullptr},
                       {"stopped_by", nullptr},
                       {"alert_id", nullptr}};

class EmergencyCliTest : public ::testing::Test {
protected:
    FakeScheduler scheduler_;

    loa::cli::test::Outcome loa(std::vector<std::string> args) {
        args.insert(args.begin(), {"--server", scheduler_.url()});
        return run_loa(std::move(args));
    }
};

TEST_F(EmergencyCliTest, StartSendsTargetsTextAndRepeats) {
    scheduler_.answer("POST", "/api/v1/emergency", 201, kSession.dump());
    const auto r = loa({"emergency", "start", "--unit", "883", "--station", "30322", "--text",
                        "Lũ lớn", "--voice", "vi", "--repeat", "2", "--every", "10"});
    ASSERT_EQ(r.code, 0) << r.err;
    ASSERT_EQ(scheduler_.requests().size(), 1U);
    EXPECT_EQ(json::parse(scheduler_.requests()[0].body), (json{{"units", {"883"}},
                                                                {"stations", {"30322"}},
                                                                {"text", "Lũ lớn"},
                                                                {"voice", "vi"},
                                                                {"repeat", 2},
                                                                {"every_min", 10}}));
    EXPECT_EQ(r.out.substr(0, r.out.find('\n')),
              "emergency 7 started: 2 station(s) from 2026-11-27T17:00:03+07:00");
    EXPECT_NE(r.out.find("30280,30283"), std::string::npos) << r.out;
}

TEST_F(EmergencyCliTest, StartWithAnAssetAndJson) {
    scheduler_.answer("POST", "/api/v1/emergency", 201, kSession.dump());
    const auto r = loa({"--json", "emergency", "start", "--station", "30280", "--asset", kAsset});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(json::parse(scheduler_.requests().at(0).body), (json{{"units", json::array()},
                                                                   {"stations", {"30280"}},
                                                                   {"asset_id", kAsset},
                                                                   {"repeat", 1}}));
    EXPECT_EQ(json::parse(r.out)["id"], 7);
}

TEST_F(EmergencyCliTest, UsageErrorsSendNothing) {
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"emergency", "start", "--asset", kAsset},
             {"emergency", "start", "--unit", "883"},
             {"emergency", "start", "--unit", "883", "--asset", kAsset, "--text", "x"},
             {"emergency", "start", "--unit", "883", "--asset", kAsset, "--voice", "vi"},
             {"emergency", "start", "--unit", "883", "--asset", kAsset, "--repeat", "3"},
             {"emergency", "start", "--unit", "883", "--asset", kAsset, "--repeat", "0"},
             {"emergency", "stop"}}) {
        const auto r = loa(args);
        EXPECT_EQ(r.code, 2) << args.back() << ": " << r.err;
        EXPECT_FALSE(r.err.empty());
    }
    EXPECT_TRUE(scheduler_.requests().empty());
}

TEST_F(EmergencyCliTest, RefusalIsPrinted) {
    scheduler_.answer("POST", "/api/v1/emergency", 403,
                      json{{"error",
                            "district-operator d1 cannot start or stop an emergency: "
                            "only an admin may"}}
                          .dump());
    const auto r = loa({"emergency", "start", "--unit", "883", "--asset", kAsset});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("only an admin may"), std::string::npos) << r.err;
}

TEST_F(EmergencyCliTest, StopAndList) {
    json stopped = kSession;
    stopped["state"] = "stopped";
    stopped["stopped_by"] = "root";
    stopped["retired"] = {42};
    scheduler_.answer("POST", "/api/v1/emergency/7/stop", 200, stopped.dump());
    scheduler_.answer("GET", "/api/v1/emergency", 200, json::array({stopped}).dump());
    const auto s = loa({"emergency", "stop", "7"});
    ASSERT_EQ(s.code, 0) << s.err;
    EXPECT_EQ(s.out,
              "emergency 7 stopped: 1 airing(s) retired; the stations return to their "
              "timelines\n");
    const auto l = loa({"emergency", "list"});
    ASSERT_EQ(l.code, 0) << l.err;
    EXPECT_NE(l.out.find("stopped"), std::string::npos) << l.out;
    EXPECT_NE(l.out.find("Emergency: Lũ lớn"), std::string::npos) << l.out;
    EXPECT_EQ(scheduler_.requests().at(0).path, "/api/v1/emergency/7/stop");
}

TEST_F(EmergencyCliTest, AlertSendPostsTheXml) {
    loa::test_support::TempDir dir;
    const auto file = (dir.path() / "alert.xml").string();
    const std::string xml = "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"/>";
    std::ofstream{file} << xml;
    scheduler_.answer("POST", "/api/v1/alerts", 201,
                      json{{"alert",
                            {{"identifier", "AG-1"},
                             {"status", "Actual"},
                             {"msg_type", "Alert"},
                             {"stopped_sessions", json::array()}}},
                           {"session", kSession},
                           {"notes", {"areas are matched by their GSO geocodes only"}}}
                          .dump());
    const auto r = loa({"alert", "send", file});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(scheduler_.requests().at(0).body, xml);
    EXPECT_EQ(scheduler_.requests().at(0).content_type, "application/cap+xml");
    EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "alert AG-1 (Actual Alert) received");
    EXPECT_NE(r.out.find("note: areas are matched"), std::string::npos) << r.out;
}

}  // namespace

TEST_F(EmergencyCliTest, StartWithALiveSourceSendsItWithoutRepeats) {
    json session = kSession;
    session["live_source"] = "mic:USB Audio";
    session["live_session"] = "E7";
    session["repeat"] = 1;
    scheduler_.answer("POST", "/api/v1/emergency", 201, session.dump());
    const auto r = loa({"emergency", "start", "--unit", "883", "--live", "mic:USB Audio"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(json::parse(scheduler_.requests().at(0).body),
              (json{{"units", {"883"}}, {"stations", json::array()}, {"live", "mic:USB Audio"}}));
    EXPECT_NE(r.out.find("live"), std::string::npos) << r.out;

    // --live with another content or with repeats is a usage error that sends nothing.
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"emergency", "start", "--unit", "883", "--live", "x.wav", "--asset", kAsset},
             {"emergency", "start", "--unit", "883", "--live", "x.wav", "--text", "Lũ"},
             {"emergency", "start", "--unit", "883", "--live", "x.wav", "--repeat", "2"}}) {
        const auto bad = loa(args);
        EXPECT_NE(bad.code, 0) << args.back();
    }
    EXPECT_EQ(scheduler_.requests().size(), 1U);
}
