#pragma once

#include "loa/agent/agent_metrics.hpp"
#include "loa/agent/amplifier.hpp"
#include "loa/agent/frame_source.hpp"
#include "loa/agent/link_client.hpp"
#include "loa/common/clock.hpp"
#include "loa/common/result.hpp"
#include "loa/config/config.hpp"
#include "loa/transport/curve_keys.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace loa::audio {
class AirCheckRecorder;
class IAudioOutput;
class OutputMeter;
class Player;
}  // namespace loa::audio

namespace loa::agent {

class AgentStore;
class AssetCache;
class PlayoutEngine;
class LiveReceiver;
class AmplifierSequencer;
class MetricsServer;
class OutputMonitor;
class StationClock;
class StationTelemetry;

// The whole agent: store (<state_dir>/agent.db), asset cache (<state_dir>/assets), link,
// playout engine, the zone's amplifier (config [[zones]]: one zone now) and the audio output
// playing the zone's Player (its mixer).
//
// With [metrics] listen set, start() also serves the agent's Prometheus text (metrics()) at
// http://<listen>/metrics (MetricsServer: threads "loa-metrics", "loa-metrics-w").
//
// Threads: everything from one control thread (main), except metrics() (any thread). It starts
// "loa-link", "loa-feeder", the output's real-time thread and the metrics threads, and stops
// them in stop().
class AgentService {
public:
    // Opens the store and cache, decodes the chimes, makes the zone's amplifier backend and
    // loads the stored timeline. Start-up code: throws StoreError,
    // std::filesystem::filesystem_error or std::runtime_error naming the file or setting that
    // failed. `amplifier` replaces the backend the config names (tests).
    AgentService(const config::AgentConfig& config, transport::CurveKeyPair keys,
                 std::unique_ptr<audio::IAudioOutput> output, const IClock& clock,
                 FrameSourceOpener opener, std::unique_ptr<IAmplifier> amplifier = nullptr);
    ~AgentService();
    AgentService(const AgentService&) = delete;
    AgentService& operator=(const AgentService&) = delete;

    // Starts the audio output, the playout engine and the link. Fails when the output cannot
    // start; throws zmq::error_t when the scheduler endpoint is malformed.
    // Many agents in one process share one ZeroMQ context (before start()).
    void share_link_context(std::shared_ptr<zmq::context_t> context);

    // Plays by `clock.corrected()` (which must be the clock given to the constructor; the output
    // maps its stream time by `clock.output()`) and keeps it synchronised to the scheduler over
    // the link (before start()). The output follows every later correction by itself (its
    // DeviceTimeline), so start() need not wait for the first exchange.
    void use_station_clock(StationClock& clock);
    // The SHA-256 of the config file, reported in heartbeats (before start()).
    void set_config_sha256(std::string sha256);

    // Fails when the output cannot start or [metrics] listen cannot be bound.
    Status start();
    // Stops the metrics server, link, output and engine, in that order. Idempotent.
    void stop();

    // True when both the feeder and the link loop have run since the last time it answered
    // true (for the systemd watchdog). Control thread.
    bool alive();

    const std::string& public_key() const { return public_key_; }
    std::string output_description() const;
    LinkStats link_stats() const;
    // What /metrics reports, read now. Any thread.
    AgentMetrics metrics() const;
    // "host:port" the metrics server is bound to (the real port for port 0); empty when
    // [metrics] listen is not set or before start().
    std::string metrics_address() const;
    AgentStore& store() { return *store_; }
    // The zone's amplifier (any thread: implementations are thread-safe).
    IAmplifier& amplifier() { return *amplifier_; }
    StationTelemetry& telemetry() { return *telemetry_; }

private:
    std::string public_key_;
    std::unique_ptr<AgentStore> store_;
    std::unique_ptr<AssetCache> cache_;
    std::unique_ptr<audio::Player> player_;
    std::unique_ptr<audio::OutputMeter> meter_;  // wraps player_; what the output renders
    std::unique_ptr<OutputMonitor> monitor_;     // thread "loa-monitor" on meter_
    // [aircheck] enabled: a tap around meter_ (what the output renders) recording on thread
    // "loa-aircheck"; null otherwise.
    std::unique_ptr<audio::AirCheckRecorder> aircheck_;
    std::unique_ptr<IAmplifier> amplifier_;
    std::unique_ptr<AmplifierSequencer> sequencer_;
    std::unique_ptr<audio::IAudioOutput> output_;
    std::unique_ptr<PlayoutEngine> engine_;
    std::unique_ptr<StationTelemetry> telemetry_;
    std::unique_ptr<LinkClient> link_;
    std::unique_ptr<LiveReceiver> live_;  // live sessions from the link into the engine
    const IClock& clock_;
    StationClock* station_clock_ = nullptr;  // use_station_clock(); null: none
    std::string station_id_;
    std::string metrics_listen_;                     // [metrics] listen; empty: none
    std::unique_ptr<MetricsServer> metrics_server_;  // while running with metrics_listen_
    bool running_ = false;
    std::uint64_t seen_feeder_loops_ = 0;
    std::uint64_t seen_link_loops_ = 0;
};

}  // namespace loa::agent
