#include "loa/agent/agent_service.hpp"

#include "loa/agent/agent_store.hpp"
#include "loa/agent/opus_frame_source.hpp"
#include "loa/audio/audio_output.hpp"
#include "loa/audio/transcode.hpp"
#include "loa/common/digest.hpp"
#include "loa/protocol/signing.hpp"
#include "temp_dir.hpp"
#include "test_scheduler.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

using namespace loa;
using namespace loa::agent;
using namespace std::chrono_literals;
using loa::agent::test::read_bytes;
using loa::agent::test::TempDir;
using loa::agent::test::TestScheduler;
using Body = wire::Envelope::BodyCase;

namespace {

const TimePoint kT0 = from_unix_us(1'795'000'000'000'000);

// An output the test drives by hand: it renders when the test says, at fake-clock times.
class ManualOutput final : public audio::IAudioOutput {
public:
    Status start(audio::IRenderSource& source) override {
        source_ = &source;
        return {};
    }
    void stop() override { source_ = nullptr; }
    std::uint64_t frames_rendered() const override { return frames_; }
    std::string describe() const override { return "manual"; }

    void render_until(FakeClock& clock, TimePoint until, std::vector<float>& heard) {
        std::vector<float> block(480);
        while (clock.now() < until) {
            source_->render(block, clock.now());
            heard.insert(heard.end(), block.begin(), block.end());
            frames_ += block.size();
            clock.advance(10ms);
        }
    }

private:
    audio::IRenderSource* source_ = nullptr;
    std::uint64_t frames_ = 0;
};

void ping(TestScheduler& scheduler) {
    wire::Envelope env;
    env.mutable_heartbeat();
    scheduler.send(env);
    ASSERT_TRUE(scheduler.expect(Body::kRefusal).has_value());
}

}  // namespace

TEST(AgentService, TimelineToAirToAsRunThroughTheWholeAgent) {
    TempDir dir;
    FakeClock clock{kT0};
    const auto agent_keys = transport::CurveKeyPair::generate();
    const auto signer = protocol::SigningKeyPair::generate();
    TestScheduler scheduler{agent_keys.public_key};

    // The asset: 0.5 s of tone, Ogg Opus.
    std::vector<float> pcm(24000);
    for (std::size_t i = 0; i < pcm.size(); ++i) {
        pcm[i] = 0.5F * static_cast<float>(std::sin(2.0 * M_PI * 440.0 * i / 48000.0));
    }
    ASSERT_TRUE(audio::encode_ogg_opus(pcm, dir / "tone.opus"));
    const auto file = read_bytes(dir / "tone.opus");
    const auto asset = sha256_hex(file);

    config::AgentConfig config;
    config.state_dir = dir / "state";
    config.scheduler_endpoint = scheduler.endpoint();
    config.scheduler_public_key = scheduler.keys().public_key;
    config.scheduler_signing_key = signer.public_key;
    auto output = std::make_unique<ManualOutput>();
    auto* out = output.get();
    AgentService service{config, agent_keys, std::move(output), clock, open_opus_frame_source};
    EXPECT_EQ(service.public_key(), agent_keys.public_key);
    ASSERT_TRUE(service.start());

    ASSERT_TRUE(scheduler.expect(Body::kHello).has_value());
    scheduler.welcome(to_unix_us(kT0), 1);
    const auto start = kT0 + 5s;
    wire::Timeline t;
    t.set_station_id("30280");
    t.set_revision(1);
    auto* item = t.add_items();
    item->set_item_id("e1");
    item->set_asset_id(asset);
    item->set_start_at_us(to_unix_us(start));
    item->set_duration_ms(500);
    item->set_asset_size(file.size());
    wire::Envelope update;
    update.mutable_timeline_update()->set_timeline(t.SerializeAsString());
    update.mutable_timeline_update()->set_signature(protocol::sign(t.SerializeAsString(), signer));
    scheduler.send(update);
    ASSERT_TRUE(scheduler.expect(Body::kTimelineAck).has_value());

    // Serve the download.
    std::uint64_t have = 0;
    while (have < file.size()) {
        const auto req = scheduler.expect(Body::kAssetRequest);
        ASSERT_TRUE(req.has_value());
        const auto& r = req->asset_request();
        wire::Envelope c;
        c.mutable_asset_chunk()->set_asset_id(asset);
        c.mutable_asset_chunk()->set_offset(r.offset());
        const auto n = std::min<std::uint64_t>(r.length(), file.size() - r.offset());
        c.mutable_asset_chunk()->set_data(
            std::string{reinterpret_cast<const char*>(file.data()) + r.offset(), n});
        c.mutable_asset_chunk()->set_total_size(file.size());
        scheduler.send(c);
        have = std::max(have, r.offset() + n);
    }
    ping(scheduler);
    EXPECT_TRUE(std::filesystem::exists(dir / "state" / "assets" / (asset + ".opus")));

    // Into the cue lead; let the feeder make a full pass, then play through the item.
    clock.set(start - 2500ms);
    (void)service.alive();
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    int passes = 0;
    while (passes < 2 && std::chrono::steady_clock::now() < deadline) {
        passes += service.alive() ? 1 : 0;
        std::this_thread::yield();
    }
    ASSERT_EQ(passes, 2);
    std::vector<float> heard;
    out->render_until(clock, start + 1s, heard);

    const auto report = scheduler.expect(Body::kAsRunReport);
    ASSERT_TRUE(report.has_value());
    ASSERT_EQ(report->as_run_report().records_size(), 1);
    const auto& record = report->as_run_report().records(0);
    EXPECT_EQ(record.item_id(), "e1");
    EXPECT_EQ(record.status(), wire::COMPLETED) << record.reason();
    EXPECT_EQ(record.started_at_us(), to_unix_us(start));
    EXPECT_EQ(record.timeline_revision(), 1U);
    // The tone is in the audio from 2.5 s on.
    float peak = 0.0F;
    for (std::size_t i = 120'000; i < 120'000 + 4800; ++i) {
        peak = std::max(peak, std::abs(heard[i]));
    }
    EXPECT_GT(peak, 0.3F);
    EXPECT_EQ(service.store().outbox_depth(), 1U);

    wire::Envelope ack;
    ack.mutable_as_run_ack()->add_record_ids(record.record_id());
    scheduler.send(ack);
    ping(scheduler);
    EXPECT_EQ(service.store().outbox_depth(), 0U);
    service.stop();
}

TEST(AgentService, AChimeThatIsNotOggOpusStopsTheStartNamingTheSetting) {
    TempDir dir;
    FakeClock clock{kT0};
    {
        std::ofstream bad{dir / "siren.opus"};
        bad << "not audio";
    }
    config::AgentConfig config;
    config.state_dir = dir / "state";
    config.chimes[4].before = dir / "siren.opus";
    try {
        AgentService service{config, transport::CurveKeyPair::generate(),
                             std::make_unique<ManualOutput>(), clock, open_opus_frame_source};
        ADD_FAILURE() << "the agent started with a broken chime";
    } catch (const std::runtime_error& e) {
        const std::string message = e.what();
        EXPECT_EQ(message.rfind("[chimes] emergency_before: ", 0), 0U) << message;
        EXPECT_NE(message.find("siren.opus"), std::string::npos) << message;
    }
    // Nothing was made: the store is opened only after the chimes decode.
    EXPECT_FALSE(std::filesystem::exists(dir / "state" / "agent.db"));
}

TEST(AgentService, ConfiguredChimeDecodesAndTheZoneGetsItsAmplifier) {
    TempDir dir;
    FakeClock clock{kT0};
    std::vector<float> pcm(4800, 0.25F);  // 100 ms
    ASSERT_TRUE(audio::encode_ogg_opus(pcm, dir / "ding.opus"));
    config::AgentConfig config;
    config.state_dir = dir / "state";
    config.chimes[2].after = dir / "ding.opus";  // district, after
    config.zones[0].amplifier = config::AmplifierKind::simulated;
    config.zones[0].simulated_fault_file = dir / "fault";
    AgentService service{config, transport::CurveKeyPair::generate(),
                         std::make_unique<ManualOutput>(), clock, open_opus_frame_source};
    EXPECT_EQ(service.amplifier().describe(), "simulated");
    EXPECT_FALSE(service.amplifier().state().faulted);
    std::ofstream{dir / "fault"} << "demo fault\n";
    EXPECT_EQ(service.amplifier().state().fault, "demo fault");
}
