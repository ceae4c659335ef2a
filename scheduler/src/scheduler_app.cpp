#include "loa/scheduler/scheduler_app.hpp"

#include "loa/common/logging.hpp"
#include "loa/scheduler/scheduler_store.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace loa::scheduler {
namespace {

SchedulerKeys prepare_state(const std::filesystem::path& state_dir) {
    std::error_code ec;
    std::filesystem::create_directories(state_dir, ec);
    if (ec) {
        throw std::runtime_error{
            fmt::format("cannot create the state folder {}: {}", state_dir.string(), ec.message())};
    }
    return SchedulerKeys::load_or_create(state_dir);
}

}  // namespace

SchedulerApp::SchedulerApp(config::SchedulerConfig config, const IClock& clock)
    : config_{std::move(config)}, keys_{prepare_state(config_.state_dir)} {
    assets_ = std::make_unique<AssetLibrary>(config_.state_dir, config_.ingest);
    {
        // Open once here so that migrations run (and fail) before anything listens.
        SchedulerStore store{database_path().string()};
    }
    LinkServerOptions link;
    link.listen = config_.link_listen;
    link.database = database_path().string();
    link.assets_dir = assets_->assets_dir();
    link.heartbeat_interval = config_.heartbeat_interval;
    link.horizon = config_.horizon;
    try {
        link_ = std::make_unique<LinkServer>(std::move(link), keys_, clock);
    } catch (const zmq::error_t& e) {
        throw std::runtime_error{
            fmt::format("cannot listen on {} (link): {}", config_.link_listen, e.what())};
    }
    PlannerOptions plan;
    plan.database = database_path().string();
    plan.horizon = config_.horizon;
    plan.recompile_interval = config_.recompile_interval;
    planner_ = std::make_unique<Planner>(std::move(plan), clock, *link_);
    HttpApiOptions api;
    api.listen = config_.api_listen;
    api.database = database_path().string();
    api.link_public_endpoint = config_.link_public_endpoint;
    api.heartbeat_interval = config_.heartbeat_interval;
    api.horizon = config_.horizon;
    api.time_zone = config_.time_zone;
    for (const auto& name : config_.approval_required_for) {
        if (const auto role = parse_role(name)) {
            api.auth_policy.approval_required_for.push_back(*role);
        }
    }
    api.auth.session_lifetime = std::chrono::hours{24} * config_.session_days;
    api.emergency_delay = config_.emergency_delay;
    api.emergency.lead = config_.emergency_lead;
    api.emergency.allow_operators = config_.emergency_allow_operators;
    api.emergency.live_delay = config_.emergency_live_delay;
    api.emergency.test_stations = config_.alert_test_stations;
    api.monitoring.evaluate_interval = config_.alarms.evaluate_interval;
    api.monitoring.coverage_threshold = config_.alarms.coverage_threshold;
    api.monitoring.coverage_thresholds = config_.alarms.coverage_thresholds;
    api.monitoring.webhook_url = config_.alarms.webhook_url;
    api.monitoring.metrics_require_token = config_.metrics_require_token;
    api.monitoring.alarm_history_keep = std::chrono::hours{24} * config_.alarms.history_days;
    api.monitoring.history_keep = std::chrono::hours{24} * config_.monitoring_keep_days;
    api_ = std::make_unique<HttpApi>(std::move(api), keys_, *assets_, *link_, *planner_, clock);
}

SchedulerApp::~SchedulerApp() {
    stop();
}

void SchedulerApp::start() {
    link_->start();
    planner_->start();
    api_->start();
}

void SchedulerApp::stop() {
    if (api_) {
        api_->stop();
    }
    if (planner_) {
        planner_->stop();
    }
    if (link_) {
        link_->stop();
    }
}

std::string SchedulerApp::ready_json() const {
    return nlohmann::json{{"api", api_url()},
                          {"link", link_endpoint()},
                          {"public_key", keys_.curve.public_key},
                          {"signing_key", keys_.signing.public_key}}
        .dump();
}

}  // namespace loa::scheduler
