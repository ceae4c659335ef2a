// The agent's clock synchronisation and telemetry against the real scheduler link, in one
// process: a LinkServer on 127.0.0.1 and a LinkClient whose own clock is wrong on purpose.
#include "loa/agent/agent_store.hpp"
#include "loa/agent/asset_cache.hpp"
#include "loa/agent/link_client.hpp"
#include "loa/agent/simulated_amplifier.hpp"
#include "loa/agent/station_clock.hpp"
#include "loa/agent/station_telemetry.hpp"
#include "loa/protocol/signing.hpp"
#include "loa/scheduler/link_server.hpp"
#include "loa/scheduler/scheduler_store.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <thread>

using namespace loa;
using namespace loa::agent;
using namespace std::chrono_literals;
using loa::agent::test::TempDir;

namespace {

template <typename F>
bool eventually(F done, Duration timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) {
            return true;
        }
        std::this_thread::sleep_for(5ms);
    }
    return done();
}

double ms(Duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

// The scheduler's link with one registered station, on the real system clock, and an agent's
// link whose own clock is the system clock shifted by `offset`.
struct SyncRig {
    explicit SyncRig(Duration offset) : station_clock{SystemClock::instance(), offset} {
        {
            scheduler::SchedulerStore setup{db()};
            scheduler::StationRecord s;
            s.id = "30280";
            s.name = "My Binh";
            s.public_key = agent_keys.public_key;
            s.created_at_us = to_unix_us(SystemClock::instance().now());
            EXPECT_TRUE(setup.add_station(s).ok());
        }
        scheduler::LinkServerOptions options;
        options.listen = "tcp://127.0.0.1:*";
        options.database = db();
        options.assets_dir = dir.path() / "assets";
        options.heartbeat_interval = 1s;
        server = std::make_unique<scheduler::LinkServer>(options, keys, SystemClock::instance());
        server->start();

        LinkOptions link;
        link.endpoint = server->endpoint();
        link.scheduler_public_key = keys.curve.public_key;
        link.signing_key = keys.signing.public_key;
        link.agent_keys = agent_keys;
        link.software_version = "9.8.7";
        link.time_sync_burst_interval = 20ms;
        client = std::make_unique<LinkClient>(link, store, cache, station_clock.corrected());
        client->set_clock_sync(station_clock.estimator(), station_clock.local());
    }
    ~SyncRig() {
        client->stop();
        server->stop();
    }
    SyncRig(const SyncRig&) = delete;
    SyncRig& operator=(const SyncRig&) = delete;

    std::string db() const { return (dir.path() / "scheduler.db").string(); }

    TempDir dir;
    StationClock station_clock;
    AgentStore store{dir / "agent.db", station_clock.corrected()};
    AssetCache cache{dir / "assets-agent"};
    scheduler::SchedulerKeys keys{transport::CurveKeyPair::generate(),
                                  protocol::SigningKeyPair::generate()};
    transport::CurveKeyPair agent_keys = transport::CurveKeyPair::generate();
    std::unique_ptr<scheduler::LinkServer> server;
    std::unique_ptr<LinkClient> client;
};

class ClockSync : public ::testing::TestWithParam<int> {};

TEST_P(ClockSync, CorrectedClockFollowsTheSchedulersWithinAFewMilliseconds) {
    const Duration offset = std::chrono::milliseconds{GetParam()};
    SyncRig rig{offset};
    const auto& system = SystemClock::instance();
    // Before any exchange the agent's clock is as wrong as it was made.
    EXPECT_NEAR(ms(rig.station_clock.corrected().now() - system.now()), ms(offset), 5.0);

    rig.client->start();
    ASSERT_TRUE(eventually([&] { return rig.client->stats().time_exchanges >= 8; }))
        << "exchanges: " << rig.client->stats().time_exchanges;
    const auto& estimator = rig.station_clock.estimator();
    EXPECT_TRUE(estimator.synchronized());
    // The estimate undoes the shift: scheduler clock minus ours.
    EXPECT_NEAR(ms(estimator.offset()), -ms(offset), 3.0);
    const auto before = system.now();
    const auto corrected = rig.station_clock.corrected().now();
    const auto after = system.now();
    EXPECT_GE(ms(corrected - before), -3.0);
    EXPECT_LE(ms(corrected - after), 3.0);

    // An item scheduled at scheduler time T is due when the agent's own clock shows T - offset.
    const TimePoint t = system.now() + 10s;
    EXPECT_NEAR(ms(estimator.to_local(t) - (t + offset)), 0.0, 3.0);

    // The heartbeat reports the offset, and the scheduler stores it.
    scheduler::SchedulerStore check{rig.db()};
    ASSERT_TRUE(eventually([&] {
        const auto h = check.station_health("30280");
        return h && h->last_heartbeat_at_us != 0 && h->clock_synced;
    }));
    const auto health = check.station_health("30280");
    EXPECT_NEAR(static_cast<double>(health->clock_offset_us) / 1000.0, -ms(offset), 3.0);
    EXPECT_TRUE(health->online);
}

INSTANTIATE_TEST_SUITE_P(ShiftedAgentClock, ClockSync, ::testing::Values(-2000, 1500, 0));

TEST(ClockSyncRig, AbsurdDelaysAreRefused) {
    FakeClock base{from_unix_us(1'795'000'000'000'000)};
    StationClock clock{base, -2s};
    auto& e = clock.estimator();
    const auto t1 = clock.local().now();
    // A 5 s round trip: refused, nothing changes.
    EXPECT_FALSE(e.add_exchange(t1, base.now(), base.now(), t1 + 5s));
    EXPECT_FALSE(e.synchronized());
    EXPECT_EQ(clock.corrected().now(), base.now() - 2s);
    // A sane one: the corrected clock is the base clock again.
    EXPECT_TRUE(e.add_exchange(t1, base.now(), base.now(), t1 + 2ms));
    EXPECT_NEAR(ms(clock.corrected().now() - base.now()), 0.0, 1.0);
}

TEST(Telemetry, FaultsReachTheSchedulerOnceAndLeaveTheOutbox) {
    SyncRig rig{0ms};
    SimulatedAmplifier amplifier{rig.station_clock.corrected()};
    TelemetryOptions options;
    options.zone = "main";
    options.state_dir = rig.dir.path();
    options.software_version = "9.8.7";
    options.config_sha256 = std::string(64, 'a');
    StationTelemetry telemetry{options,   rig.store, rig.station_clock.corrected(),
                               amplifier, nullptr,   nullptr};
    telemetry.set_listener([&] { rig.client->wake(); });
    rig.client->set_telemetry(telemetry);
    // Offline: queued durably before the link is even up.
    amplifier.inject_fault("relay did not close");
    amplifier.set_mains(false);
    amplifier.set_battery_percent(15);
    EXPECT_EQ(telemetry.poll(), 3U);  // fault, mains lost, battery low
    EXPECT_EQ(rig.store.event_outbox_depth(), 3U);

    rig.client->start();
    scheduler::SchedulerStore check{rig.db()};
    ASSERT_TRUE(eventually([&] { return rig.store.event_outbox_depth() == 0; }));
    auto rows =
        check.list_station_events("30280", 0, std::numeric_limits<std::int64_t>::max(), 100);
    ASSERT_EQ(rows.size(), 3U);
    EXPECT_EQ(rows[0].kind, "AMPLIFIER_FAULT");
    EXPECT_EQ(rows[0].detail, "relay did not close");
    EXPECT_EQ(rows[0].zone, "main");

    // Cleared and back on mains: two more events, sent at once.
    amplifier.clear_fault();
    amplifier.set_mains(true);
    ASSERT_TRUE(eventually([&] {
        return check.list_station_events("30280", 0, std::numeric_limits<std::int64_t>::max(), 100)
                   .size() == 5;
    }));
    rows = check.list_station_events("30280", 0, std::numeric_limits<std::int64_t>::max(), 100);
    std::set<std::string> kinds;
    for (const auto& r : rows) {
        kinds.insert(r.kind);
    }
    EXPECT_EQ(kinds, (std::set<std::string>{"AMPLIFIER_FAULT", "AMPLIFIER_FAULT_CLEARED",
                                            "MAINS_LOST", "MAINS_RESTORED", "BATTERY_LOW"}));

    // Heartbeats carry the zone's status.
    ASSERT_TRUE(eventually([&] {
        const auto h = check.station_health("30280");
        if (!h || h->status_json == "{}") {
            return false;
        }
        const auto j = nlohmann::json::parse(h->status_json);
        return j["zones"].size() == 1 && j["zones"][0]["amplifier"] == "AMPLIFIER_OFF" &&
               j["zones"][0]["mains_ok"] == true;
    }));
    const auto j = nlohmann::json::parse(check.station_health("30280")->status_json);
    EXPECT_EQ(j["software_version"], "9.8.7");
    EXPECT_EQ(j["config_sha256"], std::string(64, 'a'));
    EXPECT_GT(j["disk_free_bytes"].get<std::uint64_t>(), 0U);
    EXPECT_DOUBLE_EQ(j["zones"][0]["battery_percent"].get<double>(), 15.0);
}

}  // namespace
