#include "loa/alerting/alert_planner.hpp"

#include "angiang_fixture.hpp"
#include "loa/alerting/cap_parser.hpp"
#include "loa/common/time_format.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace loa::alerting {
namespace {

using test::AnGiang;
using test::read_source_file;
using ::testing::HasSubstr;
using ::testing::StartsWith;

Alert parse_file(const std::string& name) {
    auto r = CapParser{}.parse(read_source_file("tests/alerting/data/" + name));
    if (!r.ok()) {
        ADD_FAILURE() << name << ": " << r.error().message;
        return {};
    }
    return std::move(r).value();
}

class AlertPlannerTest : public ::testing::Test {
protected:
    AlertPlannerTest()
        : resolver_{ag_.resolver()},
          clock_{*parse_time("2026-10-14T09:00:00+07:00")},
          planner_{resolver_, clock_, {{"30280"}, {"vi"}}} {}

    AnGiang ag_;
    AreaResolver resolver_;
    FakeClock clock_;
    AlertPlanner planner_;
};

TEST_F(AlertPlannerTest, ActualAlertAirsOnItsAreaInVietnamese) {
    const auto plan = planner_.plan(parse_file("angiang-flood-district.xml"));
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    auto expected = ag_.subtree("883");
    expected.push_back("30322");
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(plan->stations, expected);
    EXPECT_EQ(plan->area_stations, expected);
    EXPECT_FALSE(plan->exercise);
    EXPECT_EQ(plan->info_index, 1U);  // the vi-VN info, though en-US comes first
    EXPECT_EQ(plan->language, "vi-VN");
    EXPECT_EQ(plan->spoken_text,
              "Cảnh báo lũ trên sông Hậu. Mực nước tại Long Xuyên đêm nay sẽ vượt báo động 3. "
              "Di dời người và gia súc ở vùng trũng đến nơi an toàn trước 18 giờ.");
    EXPECT_FALSE(plan->audio.has_value());
}

TEST_F(AlertPlannerTest, PolygonAlertAirsOnTheDistrict) {
    const auto plan = planner_.plan(parse_file("angiang-polygon.xml"));
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    EXPECT_EQ(plan->stations, ag_.subtree("883"));
    EXPECT_EQ(plan->spoken_text,
              "Cảnh báo dông lốc. Dông lốc mạnh đang di chuyển qua khu vực. Người dân không ra "
              "ngoài trời!");
}

TEST_F(AlertPlannerTest, ExerciseAirsOnTheTestStationsOnly) {
    const auto plan = planner_.plan(parse_file("angiang-exercise.xml"));
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    EXPECT_TRUE(plan->exercise);
    EXPECT_EQ(plan->stations, std::vector<std::string>{"30280"});
    EXPECT_EQ(plan->area_stations.size(), 168U);  // what it would have reached
    EXPECT_EQ(plan->spoken_text, "Đây là tin diễn tập.");

    const AlertPlanner no_test_target{resolver_, clock_, {{}, {"vi"}}};
    const auto refused = no_test_target.plan(parse_file("angiang-exercise.xml"));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().message,
              "status Exercise: no test station is configured, so it cannot air");
}

TEST_F(AlertPlannerTest, CancelNamesTheAlertItCancels) {
    const auto plan = planner_.plan(parse_file("angiang-cancel.xml"));
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    EXPECT_EQ(plan->msg_type, MsgType::Cancel);
    ASSERT_EQ(plan->references.size(), 1U);
    EXPECT_EQ(plan->references[0].identifier, "AG-2026-0042");
    EXPECT_EQ(plan->references[0].sender, "pctt@angiang.gov.vn");
    EXPECT_EQ(format_utc(plan->references[0].sent), "2026-10-14T01:00:00.000Z");
    EXPECT_EQ(plan->stations, ag_.subtree("883"));
    EXPECT_EQ(plan->spoken_text, "Hủy cảnh báo lũ. Mực nước đã xuống dưới báo động 2.");

    // A Cancel without an info: nothing to say, the store finds the stations of the original.
    auto bare = parse_file("angiang-cancel.xml");
    bare.infos.clear();
    const auto quiet = planner_.plan(bare);
    ASSERT_TRUE(quiet.ok()) << quiet.error().message;
    EXPECT_TRUE(quiet->stations.empty());
    EXPECT_FALSE(quiet->info_index.has_value());
    EXPECT_EQ(quiet->references.size(), 1U);
}

TEST_F(AlertPlannerTest, AppendixExamplesSayNoStationIsInTheArea) {
    // The examples are from 2003: move the clock there so the thunderstorm has not expired.
    clock_.set(*parse_time("2003-06-17T15:00:00-07:00"));
    for (const char* name : {"cap-a2-thunderstorm.xml", "cap-a3-earthquake-update.xml",
                             "cap-a4-amber-two-languages.xml"}) {
        const auto plan = planner_.plan(parse_file(name));
        ASSERT_FALSE(plan.ok()) << name;
        EXPECT_THAT(plan.error().message, StartsWith("no station is in the area (")) << name;
    }
}

TEST_F(AlertPlannerTest, ExpiredAlertIsRefused) {
    clock_.set(*parse_time("2026-10-15T08:00:01+07:00"));
    const auto plan = planner_.plan(parse_file("angiang-flood-district.xml"));
    ASSERT_FALSE(plan.ok());
    EXPECT_EQ(plan.error().message,
              "info[*].expires: the alert expired at 2026-10-15T01:00:00.000Z");
}

TEST_F(AlertPlannerTest, DraftSystemAckAndErrorAreNotBroadcast) {
    auto alert = parse_file("angiang-polygon.xml");
    alert.status = AlertStatus::Draft;
    EXPECT_THAT(planner_.plan(alert).error().message, HasSubstr("status Draft"));
    alert.status = AlertStatus::System;
    EXPECT_THAT(planner_.plan(alert).error().message, HasSubstr("status System"));
    alert.status = AlertStatus::Actual;
    alert.msg_type = MsgType::Ack;
    EXPECT_THAT(planner_.plan(alert).error().message, HasSubstr("msgType Ack"));
    alert.msg_type = MsgType::Error;
    EXPECT_THAT(planner_.plan(alert).error().message, HasSubstr("msgType Error"));
}

TEST_F(AlertPlannerTest, FallsBackToTheFirstInfoAndPicksAudio) {
    auto alert = parse_file("cap-a4-amber-two-languages.xml");
    alert.infos[0].areas[0].geocodes.push_back({"GSO", "884"});
    alert.infos[0].resources.push_back({"map", "image/png", {}, "http://x/map.png", {}, false, {}});
    alert.infos[0].resources.push_back(
        {"bulletin", "audio/ogg", 3, "http://x/a.ogg", {}, false, std::string(40, 'a')});
    const auto plan = planner_.plan(alert);
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    EXPECT_EQ(plan->info_index, 0U);  // no Vietnamese: the first
    EXPECT_EQ(plan->language, "en-US");
    EXPECT_EQ(plan->stations, ag_.subtree("884"));
    ASSERT_TRUE(plan->audio.has_value());
    EXPECT_EQ(plan->audio->mime_type, "audio/ogg");
    EXPECT_THAT(plan->spoken_text, StartsWith("Amber Alert in Los Angeles County. DATE/TIME"));
}

TEST_F(AlertPlannerTest, UnknownUnitCodeIsAnError) {
    auto alert = parse_file("angiang-polygon.xml");
    alert.infos[0].areas[0].geocodes.push_back({"GSO", "12345"});
    EXPECT_EQ(planner_.plan(alert).error().message,
              "info[1].area[1].geocode[1]: GSO code '12345' is not a known admin unit");
}

TEST(AlertText, LanguageMatchingAndSpokenText) {
    EXPECT_TRUE(language_matches("vi", "vi"));
    EXPECT_TRUE(language_matches("VI-vn", "vi"));
    EXPECT_FALSE(language_matches("vie", "vi"));
    EXPECT_FALSE(language_matches("en-US", "vi"));
    Info info;
    info.headline = "Tin khẩn";
    info.instruction = "Sơ tán ngay:";
    EXPECT_EQ(spoken_text(info), "Tin khẩn. Sơ tán ngay:");
}

}  // namespace
}  // namespace loa::alerting
