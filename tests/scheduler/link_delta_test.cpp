// The link server's timeline deltas (docs/protocol.md, "Timeline deltas"): revisions come from
// the store as the Planner writes them; the test writes them with store_timeline().
#include "loa/common/digest.hpp"
#include "loa/protocol/signing.hpp"
#include "loa/protocol/timeline_delta.hpp"
#include "loa/scheduler/link_server.hpp"
#include "loa/scheduler/scheduler_store.hpp"
#include "test_support.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

using namespace loa;
using namespace loa::scheduler;
using namespace std::chrono_literals;

namespace {

constexpr auto kHeartbeat = 10s;

class LinkDeltaTest : public ::testing::Test {
protected:
    LinkDeltaTest() {
        StationRecord s;
        s.id = "30280";
        s.name = "My Binh";
        s.public_key = agent_keys.public_key;
        s.created_at_us = to_unix_us(clock.now());
        EXPECT_TRUE(store.add_station(s).ok());
        std::filesystem::create_directories(dir.path() / "assets");
        LinkServerOptions options;
        options.listen = "tcp://127.0.0.1:*";
        options.database = (dir.path() / "scheduler.db").string();
        options.assets_dir = dir.path() / "assets";
        options.heartbeat_interval = kHeartbeat;
        link = std::make_unique<LinkServer>(options, keys, clock);
        link->start();
    }

    // A week of `n` items, each with its own asset id.
    static wire::Timeline week(int n, const std::string& title = "Tin tức") {
        wire::Timeline t;
        t.set_horizon_end_us(to_unix_us(test::test_epoch() + 7 * 24h));
        for (int i = 0; i < n; ++i) {
            auto* item = t.add_items();
            item->set_item_id(fmt::format("e{}-{}-0", i + 1, 1'795'000'000 + i * 2040));
            item->set_asset_id(
                sha256_hex(std::span{reinterpret_cast<const std::uint8_t*>(&i), sizeof i}));
            item->set_start_at_us(to_unix_us(test::test_epoch() + 1h) + i * 2'040'000'000LL);
            item->set_duration_ms(180'000);
            item->set_priority(wire::COMMUNE);
            item->set_title(fmt::format("{} {}", title, i));
            item->set_asset_size(1'000'000);
        }
        return t;
    }

    // Stores `t` as the station's next revision and tells the link; answers the revision.
    std::uint64_t publish(const wire::Timeline& t) {
        const auto revision = store.store_timeline("30280", t, clock.now());
        EXPECT_TRUE(revision.has_value());
        link->timelines_changed({"30280"});
        return revision.value_or(0);
    }

    wire::Timeline stored(std::uint64_t revision) {
        wire::Timeline t;
        const auto s = store.timeline_at("30280", revision);
        EXPECT_TRUE(s.has_value());
        EXPECT_TRUE(s && t.ParseFromString(s->timeline));
        return t;
    }

    std::unique_ptr<test::TestAgent> join(std::uint64_t holds, bool accepts_deltas = true) {
        auto agent =
            std::make_unique<test::TestAgent>(agent_keys, keys.curve.public_key, link->endpoint());
        auto env = agent->envelope();
        env.mutable_hello()->set_software_version("test-agent");
        env.mutable_hello()->set_timeline_revision(holds);
        env.mutable_hello()->set_accepts_deltas(accepts_deltas);
        agent->send(env);
        EXPECT_TRUE(agent->receive_body(wire::Envelope::kWelcome));
        return agent;
    }

    // Returns once the link has handled everything the agent sent before (and finished what it
    // did in answer to it).
    static void sync(test::TestAgent& agent) {
        auto env = agent.envelope();
        env.mutable_asset_request()->set_asset_id("sync");
        agent.send(env);
        EXPECT_TRUE(agent.receive_body(wire::Envelope::kAssetChunk));
    }

    // Applies a received delta to `base` as an agent does; answers the result.
    wire::Timeline applied(const wire::Envelope& env, const wire::Timeline& base) {
        EXPECT_EQ(env.body_case(), wire::Envelope::kTimelineDelta);
        auto delta =
            protocol::open_signed_delta(env.timeline_delta().delta(),
                                        env.timeline_delta().signature(), keys.signing.public_key);
        EXPECT_TRUE(delta) << (delta ? "" : delta.error().message);
        if (!delta) {
            return {};
        }
        auto result = protocol::apply_delta(base, *delta);
        EXPECT_TRUE(result) << (result ? "" : result.error().message);
        return result ? *result : wire::Timeline{};
    }

    test::TempDir dir;
    FakeClock clock{test::test_epoch()};
    SchedulerKeys keys{transport::CurveKeyPair::generate(), protocol::SigningKeyPair::generate()};
    transport::CurveKeyPair agent_keys = transport::CurveKeyPair::generate();
    SchedulerStore store{(dir.path() / "scheduler.db").string()};
    std::unique_ptr<LinkServer> link;
};

// Same station, revision and items (by id and content), whatever the order.
void expect_same(const wire::Timeline& a, const wire::Timeline& b) {
    EXPECT_EQ(a.station_id(), b.station_id());
    EXPECT_EQ(a.revision(), b.revision());
    EXPECT_EQ(a.horizon_end_us(), b.horizon_end_us());
    EXPECT_EQ(a.issued_at_us(), b.issued_at_us());
    ASSERT_EQ(a.items_size(), b.items_size());
    std::map<std::string, std::string> items;
    for (const auto& i : a.items()) {
        items[i.item_id()] = i.SerializeAsString();
    }
    for (const auto& i : b.items()) {
        EXPECT_EQ(items[i.item_id()], i.SerializeAsString()) << i.item_id();
    }
}

}  // namespace

TEST_F(LinkDeltaTest, AnAgentHoldingAKeptRevisionGetsASignedDeltaThatRebuildsTheNewest) {
    const auto base_rev = publish(week(300));
    auto next = week(300);
    next.mutable_items(42)->set_duration_ms(120'000);
    const auto newest = publish(next);
    ASSERT_EQ(newest, base_rev + 1);

    auto agent = join(base_rev);
    const auto env = agent->receive();
    ASSERT_TRUE(env);
    ASSERT_EQ(env->body_case(), wire::Envelope::kTimelineDelta);
    const auto result = applied(*env, stored(base_rev));
    expect_same(result, stored(newest));
    // One item changed: the delta is a fraction of the whole.
    EXPECT_LT(env->timeline_delta().delta().size() * 50,
              store.latest_timeline("30280")->timeline.size());
}

TEST_F(LinkDeltaTest, AConnectedAgentGetsEachNewRevisionAsADeltaOnTheLastOneSent) {
    const auto first = publish(week(20));
    auto agent = join(first);
    EXPECT_FALSE(agent->receive(200ms)) << "an agent holding the newest revision got something";

    auto t = week(20);
    t.mutable_items()->erase(t.mutable_items()->begin());  // the first item went by
    const auto second = publish(t);
    auto env = agent->receive();
    ASSERT_TRUE(env);
    auto held = applied(*env, stored(first));
    expect_same(held, stored(second));

    // Another change before the agent acknowledged: the delta builds on what was sent.
    t.mutable_items(3)->set_title("Thông báo khẩn");
    const auto third = publish(t);
    env = agent->receive();
    ASSERT_TRUE(env);
    ASSERT_EQ(env->body_case(), wire::Envelope::kTimelineDelta);
    held = applied(*env, held);
    expect_same(held, stored(third));
    sync(*agent);
    EXPECT_EQ(link->deltas_sent(), 2U);
}

TEST_F(LinkDeltaTest, WholeTimelinesForOldAgentsAndForRevisionsNoLongerKept) {
    const auto first = publish(week(5));
    auto t = week(5, "changed");
    const auto second = publish(t);

    // An agent that does not take deltas.
    auto old_agent = join(first, false);
    auto env = old_agent->receive();
    ASSERT_TRUE(env);
    ASSERT_EQ(env->body_case(), wire::Envelope::kTimelineUpdate);
    EXPECT_TRUE(protocol::verify(env->timeline_update().timeline(),
                                 env->timeline_update().signature(), keys.signing.public_key));
    EXPECT_EQ(env->timeline_update().timeline(), store.latest_timeline("30280")->timeline);
    old_agent.reset();

    // The agent's revision was pruned long ago (the store keeps the newest 32).
    std::uint64_t newest = second;
    for (int i = 0; i < 40; ++i) {
        t.mutable_items(0)->set_title(fmt::format("rev {}", i));
        newest = store.store_timeline("30280", t, clock.now()).value();
    }
    ASSERT_FALSE(store.timeline_at("30280", first).has_value());
    auto agent = join(first);
    env = agent->receive();
    ASSERT_TRUE(env);
    ASSERT_EQ(env->body_case(), wire::Envelope::kTimelineUpdate);
    wire::Timeline whole;
    ASSERT_TRUE(whole.ParseFromString(env->timeline_update().timeline()));
    EXPECT_EQ(whole.revision(), newest);
    sync(*agent);
    EXPECT_EQ(link->deltas_sent(), 0U);
    EXPECT_EQ(link->timelines_sent(), 2U);
}

TEST_F(LinkDeltaTest, AnAgentStillOnTheBaseAtItsHeartbeatGetsTheWholeTimeline) {
    const auto first = publish(week(10));
    auto t = week(10);
    t.mutable_items(2)->set_start_at_us(t.items(2).start_at_us() + 60'000'000);
    const auto second = publish(t);
    auto agent = join(first);
    auto env = agent->receive();
    ASSERT_TRUE(env);
    ASSERT_EQ(env->body_case(), wire::Envelope::kTimelineDelta);

    // The agent could not apply it (say its stored base was damaged): it keeps saying `first`.
    auto hb = agent->envelope();
    hb.mutable_heartbeat()->set_timeline_revision(first);
    agent->send(hb);
    EXPECT_FALSE(agent->receive(200ms)) << "resent within the heartbeat interval";
    clock.advance(kHeartbeat);
    agent->send(hb);
    env = agent->receive();
    ASSERT_TRUE(env);
    ASSERT_EQ(env->body_case(), wire::Envelope::kTimelineUpdate);
    EXPECT_EQ(env->timeline_update().timeline(), store.timeline_at("30280", second)->timeline);

    // It stores that and acknowledges; the next change goes as a delta on it again.
    auto ack = agent->envelope();
    ack.mutable_timeline_ack()->set_revision(second);
    agent->send(ack);
    t.mutable_items(5)->set_title("again");
    const auto third = publish(t);
    env = agent->receive();
    ASSERT_TRUE(env);
    expect_same(applied(*env, stored(second)), stored(third));
}

TEST_F(LinkDeltaTest, ARefusedDeltaMakesTheNextUpdateWhole) {
    const auto first = publish(week(10));
    auto t = week(10);
    t.mutable_items(1)->set_title("x");
    publish(t);
    auto agent = join(first);
    ASSERT_TRUE(agent->receive_body(wire::Envelope::kTimelineDelta));
    auto refusal = agent->envelope();
    refusal.mutable_refusal()->set_reason("timeline refused: delta discarded: digest");
    agent->send(refusal);
    sync(*agent);
    t.mutable_items(2)->set_title("y");
    const auto third = publish(t);
    const auto env = agent->receive();
    ASSERT_TRUE(env);
    ASSERT_EQ(env->body_case(), wire::Envelope::kTimelineUpdate);
    wire::Timeline whole;
    ASSERT_TRUE(whole.ParseFromString(env->timeline_update().timeline()));
    EXPECT_EQ(whole.revision(), third);
}

TEST_F(LinkDeltaTest, AssetsAreServedOnlyWhenTheStationsTimelineNamesThem) {
    const std::string bytes(1000, 'a');
    const auto asset_id =
        sha256_hex(std::span{reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
    test::write_file(dir.path() / "assets" / (asset_id + ".opus"), bytes);
    auto agent = join(1);
    const auto ask = [&] {
        auto env = agent->envelope();
        env.mutable_asset_request()->set_asset_id(asset_id);
        env.mutable_asset_request()->set_length(4096);
        agent->send(env);
        auto answer = agent->receive_body(wire::Envelope::kAssetChunk);
        EXPECT_TRUE(answer);
        return answer ? answer->asset_chunk() : wire::AssetChunk{};
    };
    EXPECT_NE(ask().error().find("not in this station's timeline"), std::string::npos);

    auto t = week(1);
    t.mutable_items(0)->set_asset_id(asset_id);
    publish(t);
    ASSERT_TRUE(agent->receive_body(wire::Envelope::kTimelineDelta));
    const auto chunk = ask();
    EXPECT_EQ(chunk.error(), "");
    EXPECT_EQ(chunk.data(), bytes);
}
