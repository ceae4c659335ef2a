// The agent's own /metrics: the Prometheus text itself, and a whole agent (AgentService on a fake
// clock, linked to a hand-driven scheduler) answering over HTTP before and after an item airs.
#include "loa/agent/agent_metrics.hpp"
#include "loa/agent/agent_service.hpp"
#include "loa/agent/agent_store.hpp"
#include "loa/agent/metrics_server.hpp"
#include "loa/agent/opus_frame_source.hpp"
#include "loa/audio/audio_output.hpp"
#include "loa/audio/transcode.hpp"
#include "loa/common/digest.hpp"
#include "loa/protocol/signing.hpp"
#include "temp_dir.hpp"
#include "test_scheduler.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <cmath>
#include <map>
#include <regex>
#include <sstream>

using namespace loa;
using namespace loa::agent;
using namespace std::chrono_literals;
using loa::agent::test::read_bytes;
using loa::agent::test::TempDir;
using loa::agent::test::TestScheduler;
using Body = wire::Envelope::BodyCase;

namespace {

const TimePoint kT0 = from_unix_us(1'795'000'000'000'000);

// Parses Prometheus text 0.0.4: every line is a # HELP / # TYPE comment or
// `name{labels} value`; answers the samples by "name{labels}". A line that is neither fails the
// test.
std::map<std::string, double> parse(const std::string& text) {
    static const std::regex sample{
        R"(^([a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})?) (\S+)$)"};
    static const std::regex comment{R"(^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$)"};
    std::map<std::string, double> out;
    std::istringstream in{text};
    std::string line;
    while (std::getline(in, line)) {
        std::smatch m;
        if (std::regex_match(line, m, sample)) {
            out[m[1].str()] = std::stod(m[5].str());
        } else {
            EXPECT_TRUE(std::regex_match(line, comment)) << "not Prometheus text: " << line;
        }
    }
    return out;
}

class ManualOutput final : public audio::IAudioOutput {
public:
    Status start(audio::IRenderSource& source) override {
        source_ = &source;
        return {};
    }
    void stop() override { source_ = nullptr; }
    std::uint64_t frames_rendered() const override { return frames_; }
    std::string describe() const override { return "manual"; }

    void render_until(FakeClock& clock, TimePoint until) {
        std::vector<float> block(480);
        while (clock.now() < until) {
            source_->render(block, clock.now());
            frames_ += block.size();
            clock.advance(10ms);
        }
    }

private:
    audio::IRenderSource* source_ = nullptr;
    std::uint64_t frames_ = 0;
};

// The agent's answer to GET /metrics, parsed.
std::map<std::string, double> scrape(const std::string& address) {
    httplib::Client client{"http://" + address};
    client.set_connection_timeout(2s);
    client.set_read_timeout(5s);
    const auto res = client.Get("/metrics");
    EXPECT_TRUE(res) << "no answer from " << address;
    if (!res) {
        return {};
    }
    EXPECT_EQ(res->status, 200);
    EXPECT_NE(res->get_header_value("Content-Type").find("version=0.0.4"), std::string::npos);
    return parse(res->body);
}

// Waits for the link thread to have handled everything sent so far: a Heartbeat is not a
// message the scheduler sends, so the agent refuses it, in order.
void ping(TestScheduler& scheduler) {
    wire::Envelope env;
    env.mutable_heartbeat();
    scheduler.send(env);
    ASSERT_TRUE(scheduler.expect(Body::kRefusal).has_value());
}

}  // namespace

TEST(AgentMetrics, RendersEveryFamilyAsParseableTextWithLabelsEscaped) {
    AgentMetrics m;
    m.station_id = "30280";
    m.software_version = "0.5.0";
    m.link_connected = true;
    m.last_heard_age_s = 1.5;
    m.timeline_revision = 7;
    m.items_completed = 3;
    m.items_interrupted = 1;
    m.items_failed = 2;
    m.clock_offset_s = -0.0125;
    m.clock_synced = true;
    m.disk_free_bytes = 123456789;
    m.live_frames_concealed = 4;
    m.zones.push_back({"main", "faulted", "relay \"K1\" open\\stuck", -20.5, -3.0, false, true});
    const auto text = render_prometheus(m);
    const auto samples = parse(text);
    EXPECT_EQ(samples.at(R"(loa_agent_info{station="30280",version="0.5.0"})"), 1);
    EXPECT_EQ(samples.at("loa_agent_link_connected"), 1);
    EXPECT_EQ(samples.at("loa_agent_link_last_heard_age_seconds"), 1.5);
    EXPECT_EQ(samples.at("loa_agent_timeline_revision"), 7);
    EXPECT_EQ(samples.at(R"(loa_agent_items_total{status="completed"})"), 3);
    EXPECT_EQ(samples.at("loa_agent_items_aired_total"), 4);
    EXPECT_EQ(samples.at("loa_agent_items_missed_total"), 2);
    EXPECT_EQ(samples.at("loa_agent_clock_offset_seconds"), -0.0125);
    EXPECT_EQ(samples.at("loa_agent_clock_synced"), 1);
    EXPECT_EQ(samples.at("loa_agent_disk_free_bytes"), 123456789);
    EXPECT_EQ(samples.at(R"(loa_agent_zone_amplifier{zone="main",state="faulted"})"), 1);
    EXPECT_EQ(samples.at(R"(loa_agent_zone_amplifier{zone="main",state="on"})"), 0);
    EXPECT_EQ(samples.at(R"(loa_agent_zone_fault{zone="main",fault="relay \"K1\" open\\stuck"})"),
              1);
    EXPECT_EQ(samples.at(R"(loa_agent_zone_output_rms_dbfs{zone="main"})"), -20.5);
    EXPECT_EQ(samples.at(R"(loa_agent_zone_dead_air{zone="main"})"), 1);
    EXPECT_EQ(samples.at(R"(loa_agent_live_frames_total{kind="concealed"})"), 4);
    // Never heard: -1.
    EXPECT_EQ(parse(render_prometheus(AgentMetrics{})).at("loa_agent_link_last_heard_age_seconds"),
              -1);
    // Every family has its HELP and TYPE.
    EXPECT_NE(text.find("# TYPE loa_agent_items_total counter\n"), std::string::npos);
    EXPECT_NE(text.find("# TYPE loa_agent_as_run_outbox_depth gauge\n"), std::string::npos);
}

TEST(AgentMetrics, ServerAnswersOnlyMetricsAndAnAddressInUseIsAnErrorNamingTheKey) {
    MetricsServer server{"127.0.0.1:0", [] { return std::string{"loa_agent_up 1\n"}; }};
    ASSERT_TRUE(server.start());
    ASSERT_GT(server.port(), 0);
    EXPECT_EQ(server.address(), "127.0.0.1:" + std::to_string(server.port()));
    httplib::Client client{"http://" + server.address()};
    const auto ok = client.Get("/metrics");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->body, "loa_agent_up 1\n");
    const auto other = client.Get("/api/v1/status");
    ASSERT_TRUE(other);
    EXPECT_EQ(other->status, 404);

    MetricsServer clash{server.address(), [] { return std::string{}; }};
    const auto st = clash.start();
    ASSERT_FALSE(st);
    EXPECT_NE(st.message().find("metrics.listen"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find(server.address()), std::string::npos) << st.message();
    server.stop();
    server.stop();  // idempotent
}

TEST(AgentMetrics, AWholeAgentAnswersMetricsThatChangeWhenAnItemAirs) {
    TempDir dir;
    FakeClock clock{kT0};
    const auto agent_keys = transport::CurveKeyPair::generate();
    const auto signer = protocol::SigningKeyPair::generate();
    TestScheduler scheduler{agent_keys.public_key};

    std::vector<float> pcm(24000);  // 0.5 s of tone
    for (std::size_t i = 0; i < pcm.size(); ++i) {
        pcm[i] = 0.5F * static_cast<float>(std::sin(2.0 * M_PI * 440.0 * i / 48000.0));
    }
    ASSERT_TRUE(audio::encode_ogg_opus(pcm, dir / "tone.opus"));
    const auto file = read_bytes(dir / "tone.opus");
    const auto asset = sha256_hex(file);

    config::AgentConfig config;
    config.state_dir = dir / "state";
    config.station_id = "30280";
    config.scheduler_endpoint = scheduler.endpoint();
    config.scheduler_public_key = scheduler.keys().public_key;
    config.scheduler_signing_key = signer.public_key;
    config.metrics_listen = "127.0.0.1:0";
    auto output = std::make_unique<ManualOutput>();
    auto* out = output.get();
    AgentService service{config, agent_keys, std::move(output), clock, open_opus_frame_source};
    EXPECT_TRUE(service.metrics_address().empty());  // not before start()
    ASSERT_TRUE(service.start());
    const auto address = service.metrics_address();
    ASSERT_FALSE(address.empty());

    ASSERT_TRUE(scheduler.expect(Body::kHello).has_value());
    auto before = scrape(address);
    EXPECT_EQ(before.at("loa_agent_link_connected"), 0);
    EXPECT_EQ(before.at("loa_agent_link_last_heard_age_seconds"), -1);
    EXPECT_EQ(before.at("loa_agent_timeline_revision"), 0);

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

    const auto linked = scrape(address);
    EXPECT_EQ(linked.at("loa_agent_link_connected"), 1);
    EXPECT_GE(linked.at("loa_agent_link_last_heard_age_seconds"), 0);
    EXPECT_EQ(linked.at("loa_agent_timeline_revision"), 1);
    EXPECT_EQ(linked.at("loa_agent_assets_verified_total"), 1);
    EXPECT_EQ(linked.at(R"(loa_agent_items_total{status="completed"})"), 0);
    EXPECT_EQ(linked.at("loa_agent_as_run_outbox_depth"), 0);
    EXPECT_EQ(linked.at(R"(loa_agent_zone_amplifier{zone="main",state="off"})"), 1);
    EXPECT_GT(linked.at("loa_agent_disk_free_bytes"), 0);

    // Play the item through (as the whole-agent test does), then scrape again.
    clock.set(start - 2500ms);
    (void)service.alive();
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    int passes = 0;
    while (passes < 2 && std::chrono::steady_clock::now() < deadline) {
        passes += service.alive() ? 1 : 0;
        std::this_thread::yield();
    }
    ASSERT_EQ(passes, 2);
    out->render_until(clock, start + 1s);
    const auto report = scheduler.expect(Body::kAsRunReport);
    ASSERT_TRUE(report.has_value());
    ASSERT_EQ(report->as_run_report().records_size(), 1);
    EXPECT_EQ(report->as_run_report().records(0).status(), wire::COMPLETED);

    const auto aired = scrape(address);
    EXPECT_EQ(aired.at(R"(loa_agent_items_total{status="completed"})"), 1);
    EXPECT_EQ(aired.at("loa_agent_items_aired_total"), 1);
    EXPECT_EQ(aired.at("loa_agent_items_missed_total"), 0);
    EXPECT_EQ(aired.at("loa_agent_as_run_outbox_depth"), 1);  // not acknowledged yet
    // The zone's output level is reported (the monitor's last full second, dBFS).
    EXPECT_LE(aired.at(R"(loa_agent_zone_output_peak_dbfs{zone="main"})"), 0);
    EXPECT_EQ(aired.at(R"(loa_agent_zone_amplifier{zone="main",state="faulted"})"), 0);

    wire::Envelope ack;
    ack.mutable_as_run_ack()->add_record_ids(report->as_run_report().records(0).record_id());
    scheduler.send(ack);
    ping(scheduler);
    EXPECT_EQ(scrape(address).at("loa_agent_as_run_outbox_depth"), 0);
    service.stop();
    EXPECT_TRUE(service.metrics_address().empty());
    httplib::Client gone{"http://" + address};
    gone.set_connection_timeout(1s);
    EXPECT_FALSE(gone.Get("/metrics"));  // stopped with the agent
}
