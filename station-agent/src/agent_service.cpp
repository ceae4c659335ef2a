#include "loa/agent/agent_service.hpp"

#include "loa/agent/agent_setup.hpp"
#include "loa/agent/agent_store.hpp"
#include "loa/agent/asset_cache.hpp"
#include "loa/agent/playout_engine.hpp"
#include "loa/agent/signed_timeline.hpp"
#include "loa/audio/audio_output.hpp"
#include "loa/audio/player.hpp"

#include <spdlog/spdlog.h>

namespace loa::agent {

AgentService::AgentService(const config::AgentConfig& config, transport::CurveKeyPair keys,
                           std::unique_ptr<audio::IAudioOutput> output, const IClock& clock,
                           FrameSourceOpener opener)
    : public_key_{keys.public_key}, output_{std::move(output)} {
    std::filesystem::create_directories(config.state_dir);
    store_ = std::make_unique<AgentStore>(config.state_dir / "agent.db", clock);
    cache_ = std::make_unique<AssetCache>(config.state_dir / "assets");
    player_ = std::make_unique<audio::Player>();
    engine_ = std::make_unique<PlayoutEngine>(clock, *player_, *store_, *cache_, std::move(opener));

    LinkOptions link;
    link.endpoint = config.scheduler_endpoint;
    link.scheduler_public_key = config.scheduler_public_key;
    link.signing_key = config.scheduler_signing_key;
    link.agent_keys = std::move(keys);
    link.software_version = software_version();
    link.heartbeat_interval = config.heartbeat_interval;
    link.expected_station_id = config.station_id;
    link_ = std::make_unique<LinkClient>(std::move(link), *store_, *cache_, clock);

    link_->set_timeline_handler([this](const wire::Timeline& t) { engine_->set_timeline(t); });
    link_->set_underrun_counter([this] { return player_->underruns(); });
    engine_->set_outbox_listener([this] { link_->wake(); });

    if (auto timeline = load_stored_timeline(*store_, config.scheduler_signing_key)) {
        spdlog::info("store: timeline revision {} loaded ({} items), {} as-run records waiting",
                     timeline->revision(), timeline->items_size(), store_->outbox_depth());
        engine_->set_timeline(*timeline);
    }
}

AgentService::~AgentService() {
    stop();
}

Status AgentService::start() {
    if (running_) {
        return {};
    }
    if (auto st = output_->start(*player_); !st) {
        return Error{"audio output " + output_->describe() + ": " + st.message()};
    }
    engine_->start();
    try {
        link_->start();
    } catch (...) {
        output_->stop();
        engine_->stop();
        throw;
    }
    running_ = true;
    spdlog::info("agent: playing to {}", output_->describe());
    return {};
}

void AgentService::stop() {
    if (!running_) {
        return;
    }
    running_ = false;
    link_->stop();
    output_->stop();
    engine_->stop();
    spdlog::info("agent: stopped; {} as-run records wait in the outbox", store_->outbox_depth());
}

bool AgentService::alive() {
    const auto feeder = engine_->loops();
    const auto link = link_->loops();
    if (feeder == seen_feeder_loops_ || link == seen_link_loops_) {
        return false;
    }
    seen_feeder_loops_ = feeder;
    seen_link_loops_ = link;
    return true;
}

std::string AgentService::output_description() const {
    return output_->describe();
}

LinkStats AgentService::link_stats() const {
    return link_->stats();
}

}  // namespace loa::agent
