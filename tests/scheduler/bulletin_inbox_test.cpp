#include "loa/scheduler/bulletin_inbox.hpp"

#include "loa/test/temp_dir.hpp"

#include <gtest/gtest.h>

using namespace loa;
using namespace loa::scheduler;
using namespace std::chrono_literals;

namespace {

const TimePoint kEpoch = from_unix_us(1'795'000'000'000'000);

NewBulletin flood_warning(BulletinKind kind) {
    NewBulletin b;
    b.kind = kind;
    b.title = "Bản tin phòng chống lũ";
    b.asset_id = std::string(64, 'a');
    b.duration = 90s;
    b.from_unit = "883";
    b.priority = wire::DISTRICT;
    b.created_by = "tan-chau";
    return b;
}

class BulletinInboxTest : public ::testing::Test {
protected:
    FakeClock clock_{kEpoch};
    sqlite::Database db_{":memory:"};
    BulletinInbox inbox_{db_, clock_};
};

TEST_F(BulletinInboxTest, SendPutsOnePendingDeliveryInEachTargetInbox) {
    auto sent = inbox_.send(flood_warning(BulletinKind::normal), {"30280", "30283"});
    ASSERT_TRUE(sent) << sent.error().message;
    EXPECT_GT(sent->id, 0);
    EXPECT_EQ(sent->created_at, kEpoch);

    auto deliveries = inbox_.deliveries_of(sent->id);
    ASSERT_EQ(deliveries.size(), 2U);
    for (const auto& d : deliveries) {
        EXPECT_EQ(d.state, DeliveryState::pending);
        EXPECT_FALSE(d.air_at);
        EXPECT_TRUE(d.decided_by.empty());
    }
    EXPECT_EQ(inbox_.inbox("30280", true).size(), 1U);
    EXPECT_TRUE(inbox_.inbox("30285").empty());

    auto stored = inbox_.find(sent->id);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->title, "Bản tin phòng chống lũ");
    EXPECT_EQ(stored->duration, 90s);
    EXPECT_EQ(stored->priority, wire::DISTRICT);
}

TEST_F(BulletinInboxTest, BadBulletinsStoreNothing) {
    auto no_title = flood_warning(BulletinKind::normal);
    no_title.title.clear();
    EXPECT_FALSE(inbox_.send(no_title, {"30280"}));
    auto no_length = flood_warning(BulletinKind::normal);
    no_length.duration = 0s;
    EXPECT_FALSE(inbox_.send(no_length, {"30280"}));
    EXPECT_FALSE(inbox_.send(flood_warning(BulletinKind::normal), {}));
    auto twice = inbox_.send(flood_warning(BulletinKind::normal), {"30280", "30280"});
    ASSERT_FALSE(twice);
    EXPECT_NE(twice.error().message.find("twice"), std::string::npos);
    EXPECT_TRUE(inbox_.list().empty());
    EXPECT_TRUE(inbox_.inbox("30280").empty());
}

TEST_F(BulletinInboxTest, DecisionsAreRecordedWithWhoAndWhen) {
    auto sent = inbox_.send(flood_warning(BulletinKind::normal), {"30280", "30283"});
    ASSERT_TRUE(sent);
    clock_.advance(10min);
    ASSERT_TRUE(inbox_.schedule(sent->id, "30280", kEpoch + 2h, 17, "my-binh"));
    ASSERT_TRUE(inbox_.decline(sent->id, "30283", "my-long", "already aired by hand"));

    auto aired = inbox_.delivery(sent->id, "30280");
    ASSERT_TRUE(aired);
    EXPECT_EQ(aired->state, DeliveryState::scheduled);
    EXPECT_EQ(aired->air_at, kEpoch + 2h);
    EXPECT_EQ(aired->entry_id, 17);
    EXPECT_EQ(aired->decided_by, "my-binh");
    EXPECT_EQ(aired->decided_at, kEpoch + 10min);

    auto declined = inbox_.delivery(sent->id, "30283");
    ASSERT_TRUE(declined);
    EXPECT_EQ(declined->state, DeliveryState::declined);
    EXPECT_EQ(declined->note, "already aired by hand");

    // A scheduled delivery may be moved; a declined one stays declined.
    EXPECT_TRUE(inbox_.schedule(sent->id, "30280", kEpoch + 3h, 18, "my-binh"));
    EXPECT_EQ(inbox_.delivery(sent->id, "30280")->air_at, kEpoch + 3h);
    auto again = inbox_.schedule(sent->id, "30283", kEpoch + 3h, 19, "my-long");
    ASSERT_FALSE(again);
    EXPECT_NE(again.message().find("declined"), std::string::npos);
    EXPECT_FALSE(inbox_.schedule(sent->id, "30285", kEpoch + 3h, 19, "x"));
    EXPECT_FALSE(inbox_.decline(sent->id, "30280", "my-binh", ""));
    EXPECT_TRUE(inbox_.inbox("30280", true).empty());
}

TEST(BulletinInboxStore, DecisionsSurviveReopening) {
    test_support::TempDir dir;
    FakeClock clock{kEpoch};
    std::int64_t id = 0;
    {
        sqlite::Database db{dir.path() / "scheduler.db"};
        BulletinInbox inbox{db, clock};
        auto sent = inbox.send(flood_warning(BulletinKind::priority), {"30280"});
        ASSERT_TRUE(sent);
        id = sent->id;
        ASSERT_TRUE(inbox.schedule(id, "30280", kEpoch + 5min, 3, "system"));
    }
    sqlite::Database db{dir.path() / "scheduler.db"};
    BulletinInbox inbox{db, clock};
    auto d = inbox.delivery(id, "30280");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->state, DeliveryState::scheduled);
    EXPECT_EQ(inbox.find(id)->kind, BulletinKind::priority);
}

CompiledItem item(TimePoint start, Duration length) {
    CompiledItem i;
    i.start = start;
    i.occurrence = start;
    i.duration = length;
    return i;
}

TEST(NextBreak, WaitsForTheItemAiringThenTakesTheFirstGapLongEnough) {
    StationPlan plan;
    plan.items = {item(kEpoch, 10min), item(kEpoch + 11min, 5min), item(kEpoch + 20min, 5min)};
    // Airing at kEpoch + 2min: the break is when that item ends, if 1 min fits before the next.
    EXPECT_EQ(next_break(plan, kEpoch + 2min, 1min), kEpoch + 10min);
    // 2 min does not fit in [10, 11); it fits in [16, 20).
    EXPECT_EQ(next_break(plan, kEpoch + 2min, 2min), kEpoch + 16min);
    // 5 min fits only after the last item.
    EXPECT_EQ(next_break(plan, kEpoch + 2min, 5min), kEpoch + 25min);
    // Nothing airs at 30 min: at once.
    EXPECT_EQ(next_break(plan, kEpoch + 30min, 5min), kEpoch + 30min);
    EXPECT_EQ(next_break(StationPlan{}, kEpoch, 1h), kEpoch);
}

TEST(BulletinKinds, NamesRoundTrip) {
    for (auto kind : {BulletinKind::normal, BulletinKind::priority, BulletinKind::emergency}) {
        EXPECT_EQ(parse_bulletin_kind(bulletin_kind_name(kind)), kind);
    }
    EXPECT_FALSE(parse_bulletin_kind("urgent"));
}

}  // namespace
