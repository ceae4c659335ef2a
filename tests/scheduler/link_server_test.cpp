#include "loa/scheduler/link_server.hpp"

#include "loa/common/digest.hpp"
#include "loa/protocol/signing.hpp"
#include "loa/scheduler/planner.hpp"
#include "loa/scheduler/scheduler_store.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <random>

using namespace loa;
using namespace loa::scheduler;
using namespace std::chrono_literals;

namespace {

constexpr Duration kHorizon = std::chrono::hours{24};

// A scheduler link on an ephemeral TCP port with one registered station, "30280", and a store
// connection of the test's own on the same database file.
class LinkServerTest : public ::testing::Test {
protected:
    LinkServerTest() {
        StationRecord s;
        s.id = "30280";
        s.name = "My Binh";
        s.public_key = agent_keys.public_key;
        s.created_at_us = to_unix_us(clock.now());
        EXPECT_TRUE(store.add_station(s).ok());
        std::filesystem::create_directories(assets_dir());

        LinkServerOptions options;
        options.listen = "tcp://127.0.0.1:*";
        options.database = db_path();
        options.assets_dir = assets_dir();
        options.heartbeat_interval = 10s;
        options.horizon = kHorizon;
        link = std::make_unique<LinkServer>(options, keys, clock);
        link->start();
        PlannerOptions plan;
        plan.database = db_path();
        plan.horizon = kHorizon;
        planner = std::make_unique<Planner>(plan, clock, *link);
    }

    std::string db_path() const { return (dir.path() / "scheduler.db").string(); }
    std::filesystem::path assets_dir() const { return dir.path() / "assets"; }

    std::unique_ptr<test::TestAgent> connect(const transport::CurveKeyPair& k) {
        return std::make_unique<test::TestAgent>(k, keys.curve.public_key, link->endpoint());
    }

    // Hello; answers the Welcome and, if one came, the TimelineUpdate.
    wire::Welcome hello(test::TestAgent& agent, std::uint64_t revision = 0) {
        auto env = agent.envelope();
        env.mutable_hello()->set_software_version("test-agent");
        env.mutable_hello()->set_timeline_revision(revision);
        agent.send(env);
        auto welcome = agent.receive_body(wire::Envelope::kWelcome);
        EXPECT_TRUE(welcome) << "no Welcome";
        return welcome ? welcome->welcome() : wire::Welcome{};
    }

    // Verifies the update's signature and station, and answers the Timeline inside.
    wire::Timeline verified(const wire::Envelope& env) {
        EXPECT_EQ(env.body_case(), wire::Envelope::kTimelineUpdate);
        const auto& update = env.timeline_update();
        EXPECT_TRUE(
            protocol::verify(update.timeline(), update.signature(), keys.signing.public_key))
            << "signature does not verify";
        wire::Timeline t;
        EXPECT_TRUE(t.ParseFromString(update.timeline()));
        EXPECT_EQ(t.station_id(), "30280");
        return t;
    }

    // Adds an asset file of `size` random bytes and its row; answers its id.
    std::string add_asset(std::size_t size) {
        std::string bytes(size, '\0');
        std::mt19937 rng{static_cast<unsigned>(size)};
        for (auto& c : bytes) {
            c = static_cast<char>(rng());
        }
        const auto id = sha256_hex(
            std::span{reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
        test::write_file(assets_dir() / (id + ".opus"), bytes);
        AssetRecord a;
        a.id = id;
        a.name = "news.wav";
        a.duration_ms = 30000;
        a.size_bytes = size;
        a.created_at_us = to_unix_us(clock.now());
        a.source_sha256 = id;
        EXPECT_TRUE(store.add_asset(a));
        return id;
    }

    // Schedules the asset at `at` on "30280" through the planner; answers the entry's id.
    std::int64_t schedule(const std::string& asset_id, TimePoint at) {
        ScheduleEntry e;
        e.what = AssetContent{asset_id, {}};
        e.title = "Morning news";
        e.priority = wire::DISTRICT;
        e.at = at;
        e.where.stations = {"30280"};
        e.state = EntryState::approved;
        auto change = planner->add_entry(e, "test");
        EXPECT_TRUE(change.ok()) << (change.ok() ? "" : change.error().message);
        return change.ok() ? change->entry_id : 0;
    }

    std::optional<wire::AssetChunk> request(test::TestAgent& agent, const std::string& asset_id,
                                            std::uint64_t offset, std::uint32_t length) {
        auto env = agent.envelope();
        env.mutable_asset_request()->set_asset_id(asset_id);
        env.mutable_asset_request()->set_offset(offset);
        env.mutable_asset_request()->set_length(length);
        agent.send(env);
        auto answer = agent.receive_body(wire::Envelope::kAssetChunk);
        if (!answer) {
            return std::nullopt;
        }
        return answer->asset_chunk();
    }

    test::TempDir dir;
    FakeClock clock{test::test_epoch()};
    SchedulerKeys keys{transport::CurveKeyPair::generate(), protocol::SigningKeyPair::generate()};
    transport::CurveKeyPair agent_keys = transport::CurveKeyPair::generate();
    SchedulerStore store{db_path()};
    std::unique_ptr<LinkServer> link;
    std::unique_ptr<Planner> planner;
};

wire::AsRunRecord record(const std::string& id) {
    wire::AsRunRecord r;
    r.set_record_id(id);
    r.set_item_id("e1");
    r.set_asset_id(std::string(64, 'b'));
    r.set_scheduled_at_us(1000);
    r.set_started_at_us(1500);
    r.set_ended_at_us(2000);
    r.set_status(wire::COMPLETED);
    r.set_timeline_revision(2);
    return r;
}

}  // namespace

TEST_F(LinkServerTest, HelloIsWelcomedWithTheStationIdAndASignedTimeline) {
    auto agent = connect(agent_keys);
    const auto welcome = hello(*agent);
    EXPECT_EQ(welcome.station_id(), "30280");
    EXPECT_EQ(welcome.heartbeat_interval_s(), 10U);
    EXPECT_EQ(welcome.server_time_us(), to_unix_us(clock.now()));
    EXPECT_EQ(welcome.timeline_revision(), 1U);

    const auto update = agent->receive();
    ASSERT_TRUE(update);
    const auto timeline = verified(*update);
    EXPECT_EQ(timeline.revision(), 1U);
    EXPECT_EQ(timeline.items_size(), 0);
    // The link sends the stored revision as it is: a station's first, empty timeline is
    // complete up to the moment the station was registered.
    const auto station = store.find_station("30280");
    EXPECT_EQ(timeline.horizon_end_us(), station->created_at_us);
    EXPECT_EQ(station->software_version, "test-agent");
    EXPECT_EQ(station->last_seen_at_us, to_unix_us(clock.now()));
}

TEST_F(LinkServerTest, AnAgentThatHoldsTheRevisionGetsNoTimeline) {
    auto agent = connect(agent_keys);
    EXPECT_EQ(hello(*agent, 1).timeline_revision(), 1U);
    EXPECT_FALSE(agent->receive(300ms));
}

TEST_F(LinkServerTest, ATamperedTimelineDoesNotVerify) {
    auto agent = connect(agent_keys);
    hello(*agent);
    const auto update = agent->receive_body(wire::Envelope::kTimelineUpdate);
    ASSERT_TRUE(update);
    std::string bytes = update->timeline_update().timeline();
    bytes.push_back('\0');
    EXPECT_FALSE(
        protocol::verify(bytes, update->timeline_update().signature(), keys.signing.public_key));
}

TEST_F(LinkServerTest, AddingAnEntryPushesTheNewRevisionAtOnce) {
    auto agent = connect(agent_keys);
    hello(*agent);
    ASSERT_TRUE(agent->receive_body(wire::Envelope::kTimelineUpdate));

    const auto asset_id = add_asset(1000);
    const auto entry_id = schedule(asset_id, clock.now() + 1h);
    const auto update = agent->receive();
    ASSERT_TRUE(update) << "no TimelineUpdate after the entry was added";
    const auto timeline = verified(*update);
    EXPECT_EQ(timeline.revision(), 2U);
    ASSERT_EQ(timeline.items_size(), 1);
    const auto& item = timeline.items(0);
    EXPECT_EQ(item.item_id(),
              fmt::format("e{}-{}-0", entry_id, to_unix_us(clock.now() + 1h) / 1000000));
    EXPECT_EQ(item.asset_id(), asset_id);
    EXPECT_EQ(item.start_at_us(), to_unix_us(clock.now() + 1h));
    EXPECT_EQ(item.duration_ms(), 30000U);
    EXPECT_EQ(item.priority(), wire::DISTRICT);
    EXPECT_EQ(item.title(), "Morning news");
    EXPECT_EQ(item.asset_size(), 1000U);

    auto ack = agent->envelope();
    ack.mutable_timeline_ack()->set_revision(2);
    agent->send(ack);
    // The ack is stored by the link thread; a following Hello is answered after it.
    hello(*agent, 2);
    EXPECT_EQ(store.find_station("30280")->acked_revision, 2U);
}

TEST_F(LinkServerTest, EntriesEnteringTheHorizonArePushedByTheRecompilation) {
    auto agent = connect(agent_keys);
    hello(*agent);
    ASSERT_TRUE(agent->receive_body(wire::Envelope::kTimelineUpdate));
    const auto asset_id = add_asset(100);
    schedule(asset_id, clock.now() + kHorizon + 30min);
    EXPECT_FALSE(agent->receive(300ms)) << "an entry beyond the horizon changed the timeline";

    clock.advance(1h);
    planner->roll();
    const auto update = agent->receive();
    ASSERT_TRUE(update);
    const auto timeline = verified(*update);
    EXPECT_EQ(timeline.revision(), 2U);
    EXPECT_EQ(timeline.items_size(), 1);
}

TEST_F(LinkServerTest, AssetChunksReassembleToTheFile) {
    auto agent = connect(agent_keys);
    hello(*agent);
    const std::size_t size = 300 * 1024 + 17;
    const auto asset_id = add_asset(size);
    schedule(asset_id, clock.now() + 1h);
    ASSERT_TRUE(agent->receive_body(wire::Envelope::kTimelineUpdate));

    std::string received;
    constexpr std::uint32_t kChunk = 64 * 1024;
    while (received.size() < size) {
        const auto chunk = request(*agent, asset_id, received.size(), kChunk);
        ASSERT_TRUE(chunk);
        ASSERT_EQ(chunk->error(), "");
        EXPECT_EQ(chunk->asset_id(), asset_id);
        EXPECT_EQ(chunk->offset(), received.size());
        EXPECT_EQ(chunk->total_size(), size);
        ASSERT_LE(chunk->data().size(), kChunk);
        ASSERT_FALSE(chunk->data().empty());
        received += chunk->data();
    }
    EXPECT_EQ(received.size(), size);
    EXPECT_EQ(sha256_hex(std::span{reinterpret_cast<const std::uint8_t*>(received.data()),
                                   received.size()}),
              asset_id);

    // Past the end, and more than the limit, are errors without data.
    const auto past = request(*agent, asset_id, size, kChunk);
    ASSERT_TRUE(past);
    EXPECT_NE(past->error(), "");
    EXPECT_TRUE(past->data().empty());
    const auto too_much = request(*agent, asset_id, 0, protocol::kMaxChunkBytes + 1);
    ASSERT_TRUE(too_much);
    EXPECT_NE(too_much->error(), "");
    EXPECT_TRUE(too_much->data().empty());
    const auto largest = request(*agent, asset_id, 0, protocol::kMaxChunkBytes);
    ASSERT_TRUE(largest);
    EXPECT_EQ(largest->error(), "");
    EXPECT_EQ(largest->data().size(), protocol::kMaxChunkBytes);
}

TEST_F(LinkServerTest, AnAssetNotInTheTimelineIsNotServed) {
    auto agent = connect(agent_keys);
    hello(*agent);
    const auto asset_id = add_asset(5000);  // exists, but no entry names it for this station
    const auto chunk = request(*agent, asset_id, 0, 4096);
    ASSERT_TRUE(chunk);
    EXPECT_NE(chunk->error().find("timeline"), std::string::npos) << chunk->error();
    EXPECT_TRUE(chunk->data().empty());

    const auto unknown = request(*agent, std::string(64, 'c'), 0, 4096);
    ASSERT_TRUE(unknown);
    EXPECT_NE(unknown->error(), "");
    const auto not_an_id = request(*agent, "../scheduler.db", 0, 4096);
    ASSERT_TRUE(not_an_id);
    EXPECT_NE(not_an_id->error(), "");
    EXPECT_TRUE(not_an_id->data().empty());
}

TEST_F(LinkServerTest, AsRunReportIsStoredOnceAndAckedEveryTime) {
    auto agent = connect(agent_keys);
    hello(*agent);
    auto report = agent->envelope();
    *report.mutable_as_run_report()->add_records() = record("0123456789abcdef0123456789abcdef");
    *report.mutable_as_run_report()->add_records() = record("fedcba9876543210fedcba9876543210");
    for (int i = 0; i < 2; ++i) {
        agent->send(report);
        const auto ack = agent->receive_body(wire::Envelope::kAsRunAck);
        ASSERT_TRUE(ack);
        ASSERT_EQ(ack->as_run_ack().record_ids_size(), 2);
        EXPECT_EQ(ack->as_run_ack().record_ids(0), "0123456789abcdef0123456789abcdef");
        EXPECT_EQ(ack->as_run_ack().record_ids(1), "fedcba9876543210fedcba9876543210");
    }
    EXPECT_EQ(store.count_as_run(), 2U);
    const auto rows = store.list_as_run("30280", 10);
    ASSERT_EQ(rows.size(), 2U);
    EXPECT_EQ(rows[0].station_id, "30280");
    EXPECT_EQ(rows[0].status, wire::COMPLETED);
    EXPECT_EQ(rows[0].received_at_us, to_unix_us(clock.now()));
}

TEST_F(LinkServerTest, AnInvalidAsRunRecordIsRefusedAndNothingStored) {
    auto agent = connect(agent_keys);
    hello(*agent, 1);  // holds the current revision: no update follows
    auto report = agent->envelope();
    *report.mutable_as_run_report()->add_records() = record("0123456789abcdef0123456789abcdef");
    *report.mutable_as_run_report()->add_records() = record("bad id with spaces");
    agent->send(report);
    const auto answer = agent->receive();
    ASSERT_TRUE(answer);
    ASSERT_EQ(answer->body_case(), wire::Envelope::kRefusal);
    EXPECT_NE(answer->refusal().reason().find("record_id"), std::string::npos);
    EXPECT_EQ(store.count_as_run(), 0U);
}

TEST_F(LinkServerTest, GarbageIsRefusedAndTheServerGoesOn) {
    auto agent = connect(agent_keys);
    agent->send_raw("\xff\xfe this is not protobuf \x01\x02");
    auto answer = agent->receive();
    ASSERT_TRUE(answer);
    ASSERT_EQ(answer->body_case(), wire::Envelope::kRefusal);
    EXPECT_FALSE(answer->refusal().reason().empty());

    // Another protocol version is refused too.
    auto other = agent->envelope();
    other.set_version(99);
    other.mutable_hello();
    agent->send(other);
    answer = agent->receive();
    ASSERT_TRUE(answer);
    ASSERT_EQ(answer->body_case(), wire::Envelope::kRefusal);
    EXPECT_NE(answer->refusal().reason().find("99"), std::string::npos);
    EXPECT_EQ(store.find_station("30280")->software_version, "");
    EXPECT_EQ(link->refusals(), 2U);

    EXPECT_EQ(hello(*agent).station_id(), "30280");
}

TEST_F(LinkServerTest, MessagesBeforeHelloAreRefused) {
    auto agent = connect(agent_keys);
    auto report = agent->envelope();
    *report.mutable_as_run_report()->add_records() = record("0123456789abcdef0123456789abcdef");
    agent->send(report);
    const auto answer = agent->receive();
    ASSERT_TRUE(answer);
    ASSERT_EQ(answer->body_case(), wire::Envelope::kRefusal);
    EXPECT_NE(answer->refusal().reason().find("Hello"), std::string::npos);
    EXPECT_EQ(store.count_as_run(), 0U);
}

TEST_F(LinkServerTest, HeartbeatUpdatesTheStationsStatus) {
    auto agent = connect(agent_keys);
    hello(*agent, 1);
    clock.advance(10s);
    auto hb = agent->envelope();
    hb.mutable_heartbeat()->set_timeline_revision(1);
    hb.mutable_heartbeat()->set_outbox_depth(4);
    hb.mutable_heartbeat()->set_assets_missing(2);
    hb.mutable_heartbeat()->set_underruns(9);
    agent->send(hb);
    hello(*agent, 1);  // answered after the heartbeat was handled
    const auto s = store.find_station("30280");
    EXPECT_EQ(s->outbox_depth, 4U);
    EXPECT_EQ(s->assets_missing, 2U);
    EXPECT_EQ(s->underruns, 9U);
}

TEST_F(LinkServerTest, AnUnregisteredKeyIsNeverWelcomed) {
    auto stranger = connect(transport::CurveKeyPair::generate());
    auto env = stranger->envelope();
    env.mutable_hello();
    // The handshake never completes, so the send cannot go out; try it without blocking.
    (void)stranger->try_send_raw(protocol::encode(env));
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (link->connections_refused() == 0 && std::chrono::steady_clock::now() < deadline) {
        EXPECT_FALSE(stranger->receive(50ms));
    }
    EXPECT_GE(link->connections_refused(), 1U);
    EXPECT_FALSE(stranger->receive(300ms));
    EXPECT_EQ(store.find_station("30280")->last_seen_at_us, std::nullopt);
}

TEST_F(LinkServerTest, AStationRegisteredLaterIsAdmitted) {
    const auto later = transport::CurveKeyPair::generate();
    StationRecord s;
    s.id = "30281";
    s.name = "Later";
    s.public_key = later.public_key;
    ASSERT_TRUE(store.add_station(s).ok());
    link->station_registered(s.id, s.public_key);
    auto agent = connect(later);
    auto env = agent->envelope();
    env.mutable_hello();
    agent->send(env);
    const auto welcome = agent->receive_body(wire::Envelope::kWelcome);
    ASSERT_TRUE(welcome);
    EXPECT_EQ(welcome->welcome().station_id(), "30281");
}
