#include "loa/agent/live_receiver.hpp"

#include "loa/agent/agent_store.hpp"
#include "loa/agent/amplifier_sequencer.hpp"
#include "loa/agent/asset_cache.hpp"
#include "loa/agent/playout_engine.hpp"
#include "loa/agent/simulated_amplifier.hpp"
#include "loa/audio/player.hpp"
#include "loa/common/clock.hpp"
#include "loa/test/temp_dir.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

using namespace loa;
using namespace loa::agent;
using namespace std::chrono_literals;

namespace {

const TimePoint kT0 = from_unix_us(1'795'000'000'000'000);
constexpr std::uint64_t kFrames = 400;  // under LiveSourceOptions::max_buffered: all accepted

// An engine that is never started: LiveReceiver only hands it the session's source.
struct Fixture {
    Fixture() : store{":memory:", clock}, cache{dir / "assets"} {}

    // Sends LiveStart and kFrames LiveFrames of session "S1" to a receiver with `faults`, and
    // returns what the receiver knows of the session.
    LiveSessionInfo run(LiveFaults faults) {
        PlayoutEngine engine{clock, player, sequencer, store, cache, {}};
        LiveReceiver receiver{clock, engine, LiveSourceOptions{}, faults};
        wire::Envelope start;
        auto* s = start.mutable_live_start();
        s->set_session_id("S1");
        s->set_delay_ms(500);
        s->set_first_capture_us(to_unix_us(kT0));
        receiver.on_message(start);
        for (std::uint64_t i = 0; i < kFrames; ++i) {
            wire::Envelope frame;
            auto* f = frame.mutable_live_frame();
            f->set_session_id("S1");
            f->set_index(i);
            f->set_delay_ms(500);
            f->set_first_capture_us(to_unix_us(kT0));
            f->set_opus("opus packet " + std::to_string(i));
            receiver.on_message(frame);
        }
        const auto sessions = receiver.sessions();
        EXPECT_EQ(sessions.size(), 1U);
        return sessions.empty() ? LiveSessionInfo{} : sessions.front();
    }

    FakeClock clock{kT0};
    test_support::TempDir dir;
    AgentStore store;
    AssetCache cache;
    audio::Player player;
    SimulatedAmplifier amplifier{clock};
    AmplifierSequencer sequencer{"main", amplifier, clock};
};

}  // namespace

TEST(LiveReceiverFaults, NoFaultsDropNothing) {
    Fixture f;
    const auto info = f.run({});
    EXPECT_EQ(info.dropped_by_fault, 0U);
    EXPECT_EQ(info.stats.received, kFrames);
}

TEST(LiveReceiverFaults, TenPercentDropsAboutOneFrameInTenBeforeTheJitterBuffer) {
    Fixture f;
    const auto info = f.run({10.0, 7});
    // Every frame either reached the jitter buffer or was dropped, never both.
    EXPECT_EQ(info.stats.received + info.dropped_by_fault, kFrames);
    // Binomial(400, 0.1): mean 40, sd 6; the seed fixes the draw.
    EXPECT_GE(info.dropped_by_fault, 20U);
    EXPECT_LE(info.dropped_by_fault, 60U);
}

TEST(LiveReceiverFaults, TheSameSeedDropsTheSameFramesAnotherSeedOthers) {
    Fixture f;
    const auto a = f.run({10.0, 7});
    const auto b = f.run({10.0, 7});
    EXPECT_EQ(a.dropped_by_fault, b.dropped_by_fault);
    EXPECT_EQ(a.stats.received, b.stats.received);
    bool differs = false;
    for (std::uint64_t seed = 8; seed < 12 && !differs; ++seed) {
        differs = f.run({10.0, seed}).dropped_by_fault != a.dropped_by_fault;
    }
    EXPECT_TRUE(differs);
}

TEST(LiveReceiverFaults, AHundredPercentDropsEveryFrame) {
    Fixture f;
    const auto info = f.run({100.0, 1});
    EXPECT_EQ(info.dropped_by_fault, kFrames);
    EXPECT_EQ(info.stats.received, 0U);
}
