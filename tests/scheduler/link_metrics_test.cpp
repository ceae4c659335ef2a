// The link's traffic on /metrics after a real distribution (a CurveZMQ agent fetching its
// timelines and an asset), and the scheduler's [alarms] / [metrics] settings reaching the
// monitoring through SchedulerApp.
#include "loa/common/digest.hpp"
#include "loa/config/config.hpp"
#include "loa/protocol/signing.hpp"
#include "loa/scheduler/http_api.hpp"
#include "loa/scheduler/link_server.hpp"
#include "loa/scheduler/planner.hpp"
#include "loa/scheduler/scheduler_app.hpp"
#include "loa/scheduler/scheduler_store.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

using namespace loa;
using namespace loa::scheduler;
using namespace std::chrono_literals;

namespace {

// The samples of a Prometheus text answer, by name with labels.
std::map<std::string, double> samples_of(const std::string& text) {
    std::map<std::string, double> out;
    std::istringstream lines{text};
    std::string line;
    while (std::getline(lines, line)) {
        if (line.empty() || line[0] == '#') {
            continue;
        }
        const auto space = line.rfind(' ');
        if (space != std::string::npos) {
            out[line.substr(0, space)] = std::stod(line.substr(space + 1));
        }
    }
    return out;
}

class LinkMetricsTest : public ::testing::Test {
protected:
    LinkMetricsTest() : assets{dir.path()} {
        StationRecord s;
        s.id = "30280";
        s.name = "My Binh";
        s.public_key = agent_keys.public_key;
        s.created_at_us = to_unix_us(clock.now());
        EXPECT_TRUE(store.add_station(s).ok());
        std::filesystem::create_directories(assets.assets_dir());
        LinkServerOptions options;
        options.listen = "tcp://127.0.0.1:*";
        options.database = db_path();
        options.assets_dir = assets.assets_dir();
        link = std::make_unique<LinkServer>(options, keys, clock);
        link->start();
        PlannerOptions plan;
        plan.database = db_path();
        planner = std::make_unique<Planner>(plan, clock, *link);
        HttpApiOptions api_options;
        api_options.listen = "127.0.0.1:0";
        api_options.database = db_path();
        api_options.monitoring.evaluate_interval = 0s;
        api = std::make_unique<HttpApi>(api_options, keys, assets, *link, *planner, clock);
        api->start();
    }

    std::string db_path() const { return (dir.path() / "scheduler.db").string(); }

    test::TempDir dir;
    FakeClock clock{test::test_epoch()};
    SchedulerKeys keys{transport::CurveKeyPair::generate(), protocol::SigningKeyPair::generate()};
    transport::CurveKeyPair agent_keys = transport::CurveKeyPair::generate();
    SchedulerStore store{db_path()};
    AssetLibrary assets;
    std::unique_ptr<LinkServer> link;
    std::unique_ptr<Planner> planner;
    std::unique_ptr<HttpApi> api;
};

TEST_F(LinkMetricsTest, BytesSentByKindAndReceivedAreCountedOnMetrics) {
    // An asset of 150 kB, scheduled in an hour.
    std::string bytes(150 * 1024 + 7, '\0');
    std::mt19937 rng{7};
    for (auto& c : bytes) {
        c = static_cast<char>(rng());
    }
    const auto asset_id =
        sha256_hex(std::span{reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
    test::write_file(assets.assets_dir() / (asset_id + ".opus"), bytes);
    AssetRecord a;
    a.id = asset_id;
    a.name = "news.wav";
    a.duration_ms = 30000;
    a.size_bytes = bytes.size();
    a.created_at_us = to_unix_us(clock.now());
    a.source_sha256 = asset_id;
    ASSERT_TRUE(store.add_asset(a));

    test::TestAgent agent{agent_keys, keys.curve.public_key, link->endpoint()};
    std::uint64_t sent_by_agent = 0;
    std::map<wire::Envelope::BodyCase, std::uint64_t> received_by_agent;
    const auto send = [&](const wire::Envelope& env) {
        sent_by_agent += protocol::encode(env).size();
        agent.send(env);
    };
    const auto receive = [&](wire::Envelope::BodyCase expected) {
        auto env = agent.receive();
        EXPECT_TRUE(env) << "nothing received";
        if (!env) {
            return wire::Envelope{};
        }
        EXPECT_EQ(env->body_case(), expected) << protocol::body_name(*env);
        received_by_agent[env->body_case()] += protocol::encode(*env).size();
        return *env;
    };
    auto hello = agent.envelope();
    hello.mutable_hello()->set_software_version("test-agent");
    send(hello);
    receive(wire::Envelope::kWelcome);
    receive(wire::Envelope::kTimelineUpdate);  // revision 1, empty

    ScheduleEntry e;
    e.what = AssetContent{asset_id, {}};
    e.title = "Morning news";
    e.priority = wire::DISTRICT;
    e.at = clock.now() + 1h;
    e.where.stations = {"30280"};
    e.state = EntryState::approved;
    ASSERT_TRUE(planner->add_entry(e, "test").ok());
    receive(wire::Envelope::kTimelineUpdate);  // revision 2, whole (no deltas asked for)

    std::uint64_t fetched = 0;
    while (fetched < bytes.size()) {
        auto request = agent.envelope();
        request.mutable_asset_request()->set_asset_id(asset_id);
        request.mutable_asset_request()->set_offset(fetched);
        request.mutable_asset_request()->set_length(64 * 1024);
        send(request);
        const auto chunk = receive(wire::Envelope::kAssetChunk);
        ASSERT_EQ(chunk.asset_chunk().error(), "");
        ASSERT_FALSE(chunk.asset_chunk().data().empty());
        fetched += chunk.asset_chunk().data().size();
    }
    EXPECT_EQ(fetched, bytes.size());

    httplib::Client client{"127.0.0.1", api->port()};
    const auto res = client.Get("/metrics");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200);
    EXPECT_NE(res->body.find("# TYPE loa_link_bytes_sent_total counter"), std::string::npos);
    EXPECT_NE(res->body.find("# TYPE loa_link_bytes_received_total counter"), std::string::npos);
    auto samples = samples_of(res->body);
    const auto sent = [&](const char* kind) {
        return samples[fmt::format("loa_link_bytes_sent_total{{kind=\"{}\"}}", kind)];
    };
    EXPECT_EQ(sent("timeline"), received_by_agent[wire::Envelope::kTimelineUpdate]);
    EXPECT_EQ(sent("asset_chunk"), received_by_agent[wire::Envelope::kAssetChunk]);
    EXPECT_GT(sent("asset_chunk"), static_cast<double>(bytes.size()));
    EXPECT_LT(sent("asset_chunk"), static_cast<double>(bytes.size()) + 3 * 200);
    EXPECT_EQ(sent("other"), received_by_agent[wire::Envelope::kWelcome]);
    EXPECT_EQ(sent("delta"), 0);
    EXPECT_EQ(sent("live"), 0);
    EXPECT_EQ(samples["loa_link_bytes_received_total"], static_cast<double>(sent_by_agent));
    EXPECT_EQ(samples["loa_link_timelines_sent_total"], 2);
}

// Records the webhook bodies posted to a local HTTP server.
class WebhookServer {
public:
    WebhookServer() {
        server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
            {
                std::lock_guard lock{mutex_};
                bodies_.push_back(nlohmann::json::parse(req.body, nullptr, false));
            }
            cv_.notify_all();
            res.status = 204;
        });
        port_ = server_.bind_to_any_port("127.0.0.1");
        thread_ = std::thread{[this] { server_.listen_after_bind(); }};
    }
    ~WebhookServer() {
        server_.stop();
        thread_.join();
    }
    WebhookServer(const WebhookServer&) = delete;
    WebhookServer& operator=(const WebhookServer&) = delete;

    int port() const { return port_; }
    // The first body, waiting 10 s at most.
    std::optional<nlohmann::json> first() {
        std::unique_lock lock{mutex_};
        cv_.wait_for(lock, 10s, [&] { return !bodies_.empty(); });
        return bodies_.empty() ? std::nullopt : std::optional{bodies_.front()};
    }

private:
    httplib::Server server_;
    int port_ = 0;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<nlohmann::json> bodies_;
};

TEST(SchedulerAppMonitoring, AlarmsAndMetricsSettingsOfTheConfigAreApplied) {
    test::TempDir dir;
    WebhookServer hook;
    const auto config =
        config::parse_scheduler_config(fmt::format(R"(
[store]
state_dir = "{}"
[api]
listen = "127.0.0.1:0"
[link]
listen = "tcp://127.0.0.1:*"
[alarms]
webhook_url = "http://127.0.0.1:{}/hook"
evaluate_interval_s = 1
coverage_threshold = "none"
[metrics]
require_token = true
)",
                                                   dir.path().string(), hook.port()),
                                       "scheduler.toml");
    SystemClock clock;
    SchedulerApp app{config, clock};
    {
        SchedulerStore store{app.database_path().string()};
        StationRecord s;
        s.id = "30280";
        s.name = "My Binh";
        s.public_key = transport::CurveKeyPair::generate().public_key;
        s.created_at_us = to_unix_us(clock.now());
        ASSERT_TRUE(store.add_station(s).ok());
    }
    app.start();
    // A station never heard from is offline: "loa-monitor" raises it on its own and posts it.
    const auto body = hook.first();
    ASSERT_TRUE(body) << "no webhook call";
    EXPECT_EQ((*body)["event"], "raised");
    EXPECT_EQ((*body)["key"], "offline/30280");

    const auto url = app.api_url();
    httplib::Client client{url};
    const auto res = client.Get("/metrics");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 401);
    app.stop();
}

}  // namespace
