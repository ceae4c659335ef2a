// The link's clock exchanges, heartbeat telemetry, station events and offline detection.
#include "loa/scheduler/link_server.hpp"

#include "loa/protocol/signing.hpp"
#include "loa/scheduler/scheduler_store.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <thread>

using namespace loa;
using namespace loa::scheduler;
using namespace std::chrono_literals;

namespace {

// Waits (polling the store on the test's own connection) until `done` holds, at most 5 s.
template <typename F>
bool eventually(F done) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) {
            return true;
        }
        std::this_thread::sleep_for(10ms);
    }
    return done();
}

class LinkTelemetryTest : public ::testing::Test {
protected:
    LinkTelemetryTest() {
        StationRecord s;
        s.id = "30280";
        s.name = "My Binh";
        s.public_key = agent_keys.public_key;
        s.created_at_us = to_unix_us(clock.now());
        EXPECT_TRUE(store.add_station(s).ok());
        LinkServerOptions options;
        options.listen = "tcp://127.0.0.1:*";
        options.database = (dir.path() / "scheduler.db").string();
        options.assets_dir = dir.path() / "assets";
        options.heartbeat_interval = 10s;
        link = std::make_unique<LinkServer>(options, keys, clock);
        link->start();
        agent =
            std::make_unique<test::TestAgent>(agent_keys, keys.curve.public_key, link->endpoint());
        auto env = agent->envelope();
        env.mutable_hello()->set_software_version("test-agent");
        agent->send(env);
        EXPECT_TRUE(agent->receive_body(wire::Envelope::kWelcome));
    }

    test::TempDir dir;
    FakeClock clock{test::test_epoch()};
    SchedulerKeys keys{transport::CurveKeyPair::generate(), protocol::SigningKeyPair::generate()};
    transport::CurveKeyPair agent_keys = transport::CurveKeyPair::generate();
    SchedulerStore store{(dir.path() / "scheduler.db").string()};
    std::unique_ptr<LinkServer> link;
    std::unique_ptr<test::TestAgent> agent;
};

wire::StationEvent event(const std::string& id, wire::StationEventKind kind, std::int64_t at_us) {
    wire::StationEvent e;
    e.set_event_id(id);
    e.set_kind(kind);
    e.set_zone("main");
    e.set_at_us(at_us);
    e.set_detail("relay did not close");
    return e;
}

TEST_F(LinkTelemetryTest, AnswersTimeRequestsWithItsOwnClock) {
    auto env = agent->envelope();
    env.mutable_time_request()->set_t1_us(123456);
    agent->send(env);
    const auto answer = agent->receive_body(wire::Envelope::kTimeResponse);
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->time_response().t1_us(), 123456);
    // The fake clock stands still: t2 and t3 are its time exactly.
    EXPECT_EQ(answer->time_response().t2_us(), to_unix_us(clock.now()));
    EXPECT_EQ(answer->time_response().t3_us(), to_unix_us(clock.now()));
    // Counted once the answer was handed to the socket, which may be just after it arrived here.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{5};
    while (link->time_requests_answered() == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::yield();
    }
    EXPECT_EQ(link->time_requests_answered(), 1U);
}

TEST_F(LinkTelemetryTest, StoresHeartbeatTelemetry) {
    auto env = agent->envelope();
    auto* hb = env.mutable_heartbeat();
    hb->set_timeline_revision(1);
    hb->set_telemetry(true);
    hb->set_clock_offset_us(-2'000'123);
    hb->set_clock_jitter_us(150);
    hb->set_clock_synced(true);
    hb->set_disk_free_bytes(5'000'000'000);
    hb->set_software_version("0.9.1");
    hb->set_config_sha256(std::string(64, 'c'));
    auto* zone = hb->add_zones();
    zone->set_zone("main");
    zone->set_amplifier(wire::AMPLIFIER_FAULTED);
    zone->set_fault("relay stuck");
    zone->set_rms_dbfs(-18.5);
    zone->set_peak_dbfs(-3.0);
    zone->set_has_power_status(true);
    zone->set_mains_ok(false);
    zone->set_battery_percent(64);
    agent->send(env);

    ASSERT_TRUE(eventually([&] {
        const auto h = store.station_health("30280");
        return h && h->last_heartbeat_at_us != 0;
    }));
    const auto h = store.station_health("30280");
    EXPECT_TRUE(h->online);
    EXPECT_EQ(h->clock_offset_us, -2'000'123);
    EXPECT_EQ(h->clock_jitter_us, 150);
    EXPECT_TRUE(h->clock_synced);
    EXPECT_EQ(h->last_heartbeat_at_us, to_unix_us(clock.now()));
    const auto j = nlohmann::json::parse(h->status_json);
    EXPECT_EQ(j["disk_free_bytes"], 5'000'000'000ULL);
    EXPECT_EQ(j["software_version"], "0.9.1");
    EXPECT_EQ(j["config_sha256"], std::string(64, 'c'));
    ASSERT_EQ(j["zones"].size(), 1U);
    EXPECT_EQ(j["zones"][0]["amplifier"], "AMPLIFIER_FAULTED");
    EXPECT_EQ(j["zones"][0]["fault"], "relay stuck");
    EXPECT_DOUBLE_EQ(j["zones"][0]["rms_dbfs"].get<double>(), -18.5);
    EXPECT_EQ(j["zones"][0]["mains_ok"], false);
    EXPECT_FALSE(j["zones"][0].contains("temperature_c"));
}

TEST_F(LinkTelemetryTest, StoresEachEventOnceAndAcknowledgesEveryId) {
    const auto at = to_unix_us(clock.now()) - 5'000'000;
    auto env = agent->envelope();
    *env.mutable_station_events()->add_events() = event("ev1", wire::AMPLIFIER_FAULT, at);
    *env.mutable_station_events()->add_events() = event("ev2", wire::MAINS_LOST, at + 1000);
    agent->send(env);
    auto ack = agent->receive_body(wire::Envelope::kStationEventAck);
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->station_event_ack().event_ids_size(), 2);

    // Sent again (the ack was lost): acknowledged again, stored once.
    agent->send(env);
    ack = agent->receive_body(wire::Envelope::kStationEventAck);
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->station_event_ack().event_ids_size(), 2);

    const auto rows =
        store.list_station_events("30280", 0, std::numeric_limits<std::int64_t>::max(), 100);
    ASSERT_EQ(rows.size(), 2U);
    EXPECT_EQ(rows[0].event_id, "ev1");
    EXPECT_EQ(rows[0].kind, "AMPLIFIER_FAULT");
    EXPECT_EQ(rows[0].zone, "main");
    EXPECT_EQ(rows[0].at_us, at);
    EXPECT_EQ(rows[0].detail, "relay did not close");
    EXPECT_EQ(rows[1].kind, "MAINS_LOST");
    EXPECT_EQ(link->station_events_stored(), 2U);
    // By time: only the second.
    EXPECT_EQ(store.list_station_events("", at + 1, at + 2000, 100).size(), 1U);
    EXPECT_TRUE(store.list_station_events("other", 0, at + 2000, 100).empty());
}

TEST_F(LinkTelemetryTest, RefusesMalformedEventsWhole) {
    auto env = agent->envelope();
    *env.mutable_station_events()->add_events() = event("good", wire::CLIPPING, 1000);
    *env.mutable_station_events()->add_events() = event("bad id!", wire::CLIPPING, 1000);
    agent->send(env);
    auto refusal = agent->receive_body(wire::Envelope::kRefusal);
    ASSERT_TRUE(refusal);
    EXPECT_NE(refusal->refusal().reason().find("event_id"), std::string::npos);

    env = agent->envelope();
    *env.mutable_station_events()->add_events() =
        event("nokind", wire::STATION_EVENT_KIND_UNSPECIFIED, 1000);
    agent->send(env);
    refusal = agent->receive_body(wire::Envelope::kRefusal);
    ASSERT_TRUE(refusal);
    EXPECT_NE(refusal->refusal().reason().find("no valid kind"), std::string::npos);
    EXPECT_TRUE(store.list_station_events("", 0, 1'000'000, 10).empty());
}

TEST_F(LinkTelemetryTest, StationMissingThreeHeartbeatsIsOfflineAndComesBack) {
    const auto hello_at = clock.now();
    ASSERT_TRUE(eventually([&] {
        const auto h = store.station_health("30280");
        return h && h->online;
    }));
    EXPECT_EQ(store.station_health("30280")->online_changed_at_us, to_unix_us(hello_at));
    EXPECT_FALSE(store.offline_since("30280"));
    EXPECT_EQ(link->stations_online(), 1U);

    // Two and a half intervals of silence: still online.
    clock.advance(25s);
    link->ping();
    const auto ping = link->ping();
    ASSERT_TRUE(eventually([&] { return link->answered(ping); }));
    // answered() means the loop went round once more after the ping, liveness check included.
    const auto again = link->ping();
    ASSERT_TRUE(eventually([&] { return link->answered(again); }));
    EXPECT_TRUE(store.station_health("30280")->online);

    // Past three intervals: offline since the third missed heartbeat.
    clock.advance(6s);
    ASSERT_TRUE(eventually([&] { return store.offline_since("30280").has_value(); }));
    EXPECT_EQ(*store.offline_since("30280"), hello_at + 30s);
    EXPECT_EQ(link->stations_online(), 0U);

    // Heard again: online from that moment.
    clock.advance(60s);
    auto env = agent->envelope();
    env.mutable_heartbeat()->set_timeline_revision(1);
    agent->send(env);
    ASSERT_TRUE(eventually([&] { return store.station_health("30280")->online; }));
    EXPECT_EQ(store.station_health("30280")->online_changed_at_us, to_unix_us(clock.now()));
    EXPECT_FALSE(store.offline_since("30280"));
}

}  // namespace
