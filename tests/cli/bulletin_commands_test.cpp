// loa bulletin: sending down, inboxes and the commune's decisions.
#include "cli_runner.hpp"
#include "fake_scheduler.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using loa::cli::test::FakeScheduler;
using loa::cli::test::run_loa;
using nlohmann::json;

namespace {

const std::string kAsset(64, 'a');

const json kPending = {
    {"station_id", "30280"}, {"state", "pending"},    {"air_at", nullptr}, {"entry_id", nullptr},
    {"decided_by", ""},      {"decided_at", nullptr}, {"note", ""}};
const json kPlaced = {
    {"station", "30281"}, {"state", "scheduled"},   {"air_at", "2026-11-27T10:30:00.000Z"},
    {"entry_id", 12},     {"decided_by", "system"}, {"decided_at", "2026-11-27T10:00:00.000Z"},
    {"note", ""}};

class BulletinCliTest : public ::testing::Test {
protected:
    FakeScheduler scheduler_;
    std::string server_ = scheduler_.url();

    loa::cli::test::Outcome loa(std::vector<std::string> args) {
        args.insert(args.begin(), {"--server", server_});
        return run_loa(std::move(args));
    }
};

TEST_F(BulletinCliTest, SendListsTheDeliveries) {
    scheduler_.answer("POST", "/api/v1/bulletins", 201,
                      json{{"id", 5}, {"deliveries", json::array({kPending, kPlaced})}}.dump());
    const auto r = loa({"bulletin", "send", "--kind", "priority", "--title", "Phòng chống bão",
                        "--asset", kAsset, "--unit", "883", "--unit", "886"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(json::parse(scheduler_.requests().at(0).body), (json{{"kind", "priority"},
                                                                   {"title", "Phòng chống bão"},
                                                                   {"asset_id", kAsset},
                                                                   {"units", {"883", "886"}}}));
    EXPECT_EQ(r.out,
              "bulletin 5 (priority) sent to 2 stations\n"
              "STATION  STATE      AIR AT                     ENTRY  DECIDED BY  DECIDED AT      "
              "           NOTE\n"
              "30280    pending    -                          -      -           -               "
              "           -\n"
              "30281    scheduled  2026-11-27T17:30:00+07:00  12     system      "
              "2026-11-27T17:00:00+07:00  -\n");
}

TEST_F(BulletinCliTest, SendUsageErrorsSendNothing) {
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"bulletin", "send", "--kind", "urgent", "--title", "t", "--asset", kAsset, "--unit",
              "883"},
             {"bulletin", "send", "--kind", "normal", "--title", "t", "--asset", kAsset},
             {"bulletin", "send", "--kind", "normal", "--asset", kAsset, "--unit", "883"},
             {"bulletin", "air", "5", "--station", "30280"},
             {"bulletin", "air", "5", "--station", "30280", "--at", "noon"},
             {"bulletin", "decline", "5", "--station", "30280"},
         }) {
        EXPECT_EQ(loa(args).code, 2) << args.at(1);
    }
    EXPECT_TRUE(scheduler_.requests().empty());
}

TEST_F(BulletinCliTest, ListAndShow) {
    const json bulletin = {{"id", 5},
                           {"kind", "normal"},
                           {"title", "Tiêm chủng"},
                           {"asset_id", kAsset},
                           {"from_unit", "883"},
                           {"created_by", "an"},
                           {"created_at", "2026-11-27T09:00:00.000Z"}};
    scheduler_.answer("GET", "/api/v1/bulletins", 200, json::array({bulletin}).dump());
    const auto list = loa({"bulletin", "list"});
    EXPECT_EQ(list.code, 0) << list.err;
    EXPECT_EQ(list.out,
              "ID  KIND    TITLE       FROM  BY  CREATED                    ASSET\n"
              "5   normal  Tiêm chủng  883   an  2026-11-27T16:00:00+07:00  aaaaaaaaaaaa\n");

    auto full = bulletin;
    full["deliveries"] = json::array({kPlaced});
    scheduler_.answer("GET", "/api/v1/bulletins/5", 200, full.dump());
    const auto show = loa({"bulletin", "show", "5"});
    EXPECT_EQ(show.code, 0) << show.err;
    EXPECT_EQ(show.out.substr(0, show.out.find("STATION")),
              "id:         5\n"
              "kind:       normal\n"
              "title:      Tiêm chủng\n"
              "asset:      " +
                  kAsset +
                  "\n"
                  "from unit:  883\n"
                  "sent by:    an\n"
                  "created:    2026-11-27T16:00:00+07:00\n"
                  "\n");
    EXPECT_NE(show.out.find("30281    scheduled  2026-11-27T17:30:00+07:00  12"), std::string::npos)
        << show.out;
}

TEST_F(BulletinCliTest, InboxOfAStation) {
    auto item = kPending;
    item["bulletin_id"] = 5;
    item["bulletin"] = {{"id", 5}, {"kind", "normal"}, {"title", "Tiêm chủng"}};
    scheduler_.answer("GET", "/api/v1/stations/30280/inbox", 200, json::array({item}).dump());
    scheduler_.answer("GET", "/api/v1/stations/30280/inbox", 200, "[]");
    const auto r = loa({"bulletin", "inbox", "30280", "--pending"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out,
              "BULLETIN  KIND    TITLE       STATE    AIR AT  DECIDED BY  NOTE\n"
              "5         normal  Tiêm chủng  pending  -       -           -\n");
    EXPECT_EQ(scheduler_.requests().back().query,
              (std::multimap<std::string, std::string>{{"pending", "1"}}));
    EXPECT_EQ(loa({"bulletin", "inbox", "30280"}).out, "The inbox is empty.\n");
    EXPECT_TRUE(scheduler_.requests().back().query.empty());
}

TEST_F(BulletinCliTest, AirAndDecline) {
    auto placed = kPlaced;
    placed["station"] = "30280";
    placed["decided_by"] = "binh";
    scheduler_.answer("POST", "/api/v1/bulletins/5/deliveries/30280/schedule", 200, placed.dump());
    const auto air = loa({"bulletin", "air", "5", "--station", "30280", "--at", "+30m"});
    EXPECT_EQ(air.code, 0) << air.err;
    EXPECT_EQ(json::parse(scheduler_.requests().back().body),
              (json{{"at", "2026-11-27T17:30:01+07:00"}}));
    EXPECT_NE(air.out.find("bulletin 5 airs at station 30280 at 2026-11-27T17:30:01+07:00\n"),
              std::string::npos)
        << air.out;

    scheduler_.answer("POST", "/api/v1/bulletins/5/deliveries/30280/decline", 409,
                      R"({"error":"delivery of bulletin 5 to 30280 is decided already"})");
    const auto decline =
        loa({"bulletin", "decline", "5", "--station", "30280", "--note", "trùng lịch họp"});
    EXPECT_EQ(decline.code, 1);
    EXPECT_EQ(decline.err, "loa: delivery of bulletin 5 to 30280 is decided already\n");
    EXPECT_EQ(json::parse(scheduler_.requests().back().body), (json{{"note", "trùng lịch họp"}}));
}

}  // namespace
