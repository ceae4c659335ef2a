#include "loa/agent/agent_service.hpp"

#include "loa/agent/agent_setup.hpp"
#include "loa/agent/agent_store.hpp"
#include "loa/agent/amplifier.hpp"
#include "loa/agent/amplifier_sequencer.hpp"
#include "loa/agent/asset_cache.hpp"
#include "loa/agent/live_receiver.hpp"
#include "loa/agent/metrics_server.hpp"
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
    : public_key_{keys.public_key},
      amplifier_{std::move(amplifier)},
      output_{std::move(output)},
      clock_{clock},
      station_id_{config.station_id},
      metrics_listen_{config.metrics_listen} {
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
    live_ = std::make_unique<LiveReceiver>(
        clock, *engine_, LiveSourceOptions{},
        LiveFaults{config.faults.drop_live_frames_percent, config.faults.seed});
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
    station_clock_ = &clock;
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
    if (!metrics_listen_.empty()) {
        metrics_server_ = std::make_unique<MetricsServer>(
            metrics_listen_, [this] { return render_prometheus(metrics()); });
        if (auto st = metrics_server_->start(); !st) {
            metrics_server_.reset();
            stop();
            return st;
        }
    }
    return {};
}

void AgentService::stop() {
    if (!running_) {
        return;
    }
    running_ = false;
    if (metrics_server_) {
        metrics_server_->stop();
        metrics_server_.reset();
    }
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

std::string AgentService::metrics_address() const {
    return metrics_server_ ? metrics_server_->address() : std::string{};
}

AgentMetrics AgentService::metrics() const {
    AgentMetrics m;
    m.station_id = station_id_;
    m.software_version = software_version();
    const auto link = link_->stats();
    const auto now = clock_.now();
    m.link_connected = link.welcomed;
    if (link.last_heard_us != 0) {
        m.last_heard_age_s =
            std::max(0.0, static_cast<double>(to_unix_us(now) - link.last_heard_us) / 1e6);
    }
    m.hellos_sent = link.hellos_sent;
    m.heartbeats_sent = link.heartbeats_sent;
    m.timeline_revision = link.timeline_revision;
    m.timelines_refused = link.timelines_refused;
    m.deltas_applied = link.deltas_applied;
    m.assets_verified = link.assets_verified;
    m.asset_failures = link.asset_failures;
    m.time_exchanges = link.time_exchanges;
    m.items_completed = engine_->items_completed();
    m.items_interrupted = engine_->items_interrupted();
    m.items_failed = engine_->items_failed();
    m.underruns = player_->underruns();
    m.as_run_outbox = store_->outbox_depth();
    m.event_outbox = store_->event_outbox_depth();
    m.events_raised = telemetry_->events_raised();
    if (station_clock_ != nullptr) {
        auto& estimator = station_clock_->estimator();
        m.clock_synced = estimator.synchronized() && estimator.consistent();
        m.clock_offset_s = std::chrono::duration<double>(estimator.offset()).count();
        m.clock_jitter_s = std::chrono::duration<double>(estimator.jitter()).count();
    }
    wire::Heartbeat status;
    telemetry_->fill_heartbeat(status);
    m.disk_free_bytes = status.disk_free_bytes();
    for (const auto& z : status.zones()) {
        ZoneMetrics zone;
        zone.zone = z.zone();
        switch (z.amplifier()) {
            case wire::AMPLIFIER_WARMING:
                zone.amplifier = "warming";
                break;
            case wire::AMPLIFIER_ON:
                zone.amplifier = "on";
                break;
            case wire::AMPLIFIER_FAULTED:
                zone.amplifier = "faulted";
                break;
            default:
                zone.amplifier = "off";
                break;
        }
        zone.fault = z.fault();
        zone.rms_dbfs = z.rms_dbfs();
        zone.peak_dbfs = z.peak_dbfs();
        zone.playing = z.playing();
        zone.dead_air = z.dead_air();
        m.zones.push_back(std::move(zone));
    }
    for (const auto& session : live_->sessions()) {
        ++m.live_sessions;
        m.live_frames_received += session.stats.received;
        m.live_frames_late += session.stats.late;
        m.live_frames_recovered += session.stats.recovered;
        m.live_frames_concealed += session.stats.concealed;
        m.live_frames_dropped += session.dropped_by_fault;
    }
    return m;
}

}  // namespace loa::agent
