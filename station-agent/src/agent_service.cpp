#include "loa/agent/agent_service.hpp"

#include "loa/agent/agent_setup.hpp"
#include "loa/agent/agent_store.hpp"
#include "loa/agent/amplifier.hpp"
#include "loa/agent/amplifier_sequencer.hpp"
#include "loa/agent/asset_cache.hpp"
#include "loa/agent/live_receiver.hpp"
#include "loa/agent/opus_frame_source.hpp"
#include "loa/agent/output_monitor.hpp"
#include "loa/agent/playout_engine.hpp"
#include "loa/agent/signed_timeline.hpp"
#include "loa/agent/station_clock.hpp"
#include "loa/agent/station_telemetry.hpp"
#include "loa/audio/air_check_recorder.hpp"
#include "loa/audio/audio_output.hpp"
#include "loa/audio/format.hpp"
#include "loa/audio/output_meter.hpp"
#include "loa/audio/player.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <stdexcept>

namespace loa::agent {
namespace {

// Each slot's ring holds this much decoded audio ahead of the output: 1 s, 50 times the
// feeder's service interval (the rings of all slots are resident: 8 x 192 KB).
constexpr std::size_t kRingFrames = audio::kSampleRate;
// A chime longer than this is refused (30 s).
constexpr std::size_t kMaxChimeFrames = 30 * audio::kSampleRate;

float db_to_gain(double db) {
    return static_cast<float>(std::pow(10.0, db / 20.0));
}

// The per-class gains and decoded chimes of the config. Throws std::runtime_error naming the
// setting and the file when a chime cannot be used.
std::array<ClassPlayout, 6> class_playout(const config::AgentConfig& config) {
    std::array<ClassPlayout, 6> classes{};
    for (std::size_t i = 0; i < config::kPriorityClassNames.size(); ++i) {
        // Config arrays run from FILLER (1 on the wire) to EMERGENCY (5).
        auto& c = classes[i + 1];
        c.gain = db_to_gain(config.class_volume_db[i]);
        const auto load = [&](const std::filesystem::path& path, const char* when) {
            if (path.empty()) {
                return std::vector<float>{};
            }
            auto pcm = decode_opus_file(path, kMaxChimeFrames);
            if (!pcm) {
                throw std::runtime_error{fmt::format("[chimes] {}_{}: {}",
                                                     config::kPriorityClassNames[i], when,
                                                     pcm.error().message)};
            }
            spdlog::info("playout: {} chime {} {}: {} ({:.2f} s)", config::kPriorityClassNames[i],
                         when, "items", path.string(),
                         static_cast<double>(pcm->size()) / audio::kSampleRate);
            return std::move(pcm).value();
        };
        c.chime_before = load(config.chimes[i].before, "before");
        c.chime_after = load(config.chimes[i].after, "after");
    }
    classes[0] = classes[static_cast<std::size_t>(wire::COMMUNE)];
    return classes;
}

}  // namespace

namespace {

audio::AirCheckOptions aircheck_options(const config::AgentConfig& config,
                                        const std::string& zone) {
    audio::AirCheckOptions options;
    options.dir = config.aircheck.dir.empty() ? config.state_dir / "aircheck" : config.aircheck.dir;
    options.zone = zone;
    options.format = config.aircheck.format == config::AirCheckFormat::flac
                         ? audio::AirCheckFormat::flac
                         : audio::AirCheckFormat::opus;
    options.bitrate_kbps = config.aircheck.bitrate_kbps;
    options.keep_days = config.aircheck.keep_days;
    return options;
}

OutputMonitorOptions monitor_options(const config::MonitorConfig& config) {
    OutputMonitorOptions options;
    options.dead_air_db = config.dead_air_db;
    options.dead_air = config.dead_air;
    options.clip_samples = config.clip_samples;
    return options;
}

}  // namespace

AgentService::AgentService(const config::AgentConfig& config, transport::CurveKeyPair keys,
                           std::unique_ptr<audio::IAudioOutput> output, const IClock& clock,
                           FrameSourceOpener opener, std::unique_ptr<IAmplifier> amplifier)
    : public_key_{keys.public_key}, amplifier_{std::move(amplifier)}, output_{std::move(output)} {
    if (config.zones.size() != 1) {
        throw std::runtime_error{fmt::format(
            "[[zones]]: this agent drives exactly one zone, not {}", config.zones.size())};
    }
    const auto& zone = config.zones.front();
    PlayoutOptions options;
    options.classes = class_playout(config);

    std::filesystem::create_directories(config.state_dir);
    store_ = std::make_unique<AgentStore>(config.state_dir / "agent.db", clock);
    cache_ = std::make_unique<AssetCache>(config.state_dir / "assets");

    audio::PlayerOptions mixer;
    mixer.ring_frames = kRingFrames;
    mixer.fade_frames = static_cast<std::size_t>(config.fade.count()) * audio::kSampleRate / 1000;
    mixer.duck_gain = db_to_gain(config.duck_db);
    player_ = std::make_unique<audio::Player>(mixer);
    player_->set_volume(db_to_gain(zone.volume_db));
    meter_ = std::make_unique<audio::OutputMeter>(*player_);
    monitor_ = std::make_unique<OutputMonitor>(zone.name, monitor_options(config.monitor));
    if (config.aircheck.enabled) {
        aircheck_ = std::make_unique<audio::AirCheckRecorder>(
            *meter_, aircheck_options(config, zone.name), clock);
    }

    if (!amplifier_) {
        amplifier_ = make_amplifier(zone, clock);
    }
    AmplifierTiming timing;
    timing.lead = zone.lead_time;
    timing.hold = zone.hold_time;
    sequencer_ = std::make_unique<AmplifierSequencer>(zone.name, *amplifier_, clock, timing);
    spdlog::info("agent: zone {}: amplifier {}, volume {} dB, lead {} ms, hold {} s", zone.name,
                 amplifier_->describe(), zone.volume_db, zone.lead_time.count(),
                 zone.hold_time.count());
    engine_ = std::make_unique<PlayoutEngine>(clock, *player_, *sequencer_, *store_, *cache_,
                                              std::move(opener), std::move(options));

    LinkOptions link;
    link.endpoint = config.scheduler_endpoint;
    link.scheduler_public_key = config.scheduler_public_key;
    link.signing_key = config.scheduler_signing_key;
    link.agent_keys = std::move(keys);
    link.software_version = software_version();
    link.heartbeat_interval = config.heartbeat_interval;
    link.expected_station_id = config.station_id;
    link_ = std::make_unique<LinkClient>(std::move(link), *store_, *cache_, clock);

    TelemetryOptions telemetry;
    telemetry.zone = zone.name;
    telemetry.state_dir = config.state_dir;
    telemetry.software_version = software_version();
    telemetry_ = std::make_unique<StationTelemetry>(std::move(telemetry), *store_, clock,
                                                    *amplifier_, sequencer_.get(), monitor_.get());
    telemetry_->set_listener([this] { link_->wake(); });
    monitor_->set_event_listener(
        [this](const MonitorEvent& e) { telemetry_->on_monitor_event(e); });
    link_->set_telemetry(*telemetry_);

    link_->set_timeline_handler([this](const wire::Timeline& t) { engine_->set_timeline(t); });
    live_ = std::make_unique<LiveReceiver>(clock, *engine_);
    link_->set_live_handler([this](const wire::Envelope& e) { live_->on_message(e); });
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

void AgentService::share_link_context(std::shared_ptr<zmq::context_t> context) {
    link_->set_context(std::move(context));
}

void AgentService::use_station_clock(StationClock& clock) {
    link_->set_clock_sync(clock.estimator(), clock.local());
}

void AgentService::set_config_sha256(std::string sha256) {
    telemetry_->set_config_sha256(std::move(sha256));
}

Status AgentService::start() {
    if (running_) {
        return {};
    }
    audio::IRenderSource& source =
        aircheck_ ? aircheck_->source() : static_cast<audio::IRenderSource&>(*meter_);
    if (auto st = output_->start(source); !st) {
        return Error{"audio output " + output_->describe() + ": " + st.message()};
    }
    engine_->start();
    monitor_->start(*meter_);
    if (aircheck_) {
        aircheck_->start();
    }
    try {
        link_->start();
    } catch (...) {
        output_->stop();
        engine_->stop();
        monitor_->stop();
        if (aircheck_) {
            aircheck_->stop();
        }
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
    monitor_->stop();
    if (aircheck_) {
        aircheck_->stop();
    }
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
