#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace loa::agent {

// One zone's state in the agent's metrics.
struct ZoneMetrics {
    std::string zone;
    std::string amplifier;  // "off", "warming", "on" or "faulted"
    std::string fault;      // the amplifier's fault text; empty when not faulted
    double rms_dbfs = -120.0;
    double peak_dbfs = -120.0;
    bool playing = false;
    bool dead_air = false;
};

// A snapshot of what the agent's /metrics reports (docs/monitoring.md, "The agent's /metrics"),
// gathered by AgentService::metrics(). Plain data: any thread.
struct AgentMetrics {
    std::string station_id;
    std::string software_version;
    // Link.
    bool link_connected = false;             // welcomed by the scheduler on the current connection
    std::optional<double> last_heard_age_s;  // since the scheduler was last heard; none: never
    std::uint64_t hellos_sent = 0;
    std::uint64_t heartbeats_sent = 0;
    std::uint64_t timeline_revision = 0;
    std::uint64_t timelines_refused = 0;
    std::uint64_t deltas_applied = 0;
    std::uint64_t assets_verified = 0;
    std::uint64_t asset_failures = 0;
    // Playout.
    std::uint64_t items_completed = 0;
    std::uint64_t items_interrupted = 0;
    std::uint64_t items_failed = 0;
    std::uint64_t underruns = 0;
    std::uint64_t as_run_outbox = 0;  // as-run records not yet acknowledged
    std::uint64_t event_outbox = 0;   // station events not yet acknowledged
    std::uint64_t events_raised = 0;
    // Clock.
    bool clock_synced = false;
    double clock_offset_s = 0.0;
    double clock_jitter_s = 0.0;
    std::uint64_t time_exchanges = 0;
    // Station.
    std::uint64_t disk_free_bytes = 0;
    std::vector<ZoneMetrics> zones;
    // Live sessions, summed over the sessions this run has received.
    std::uint64_t live_sessions = 0;
    std::uint64_t live_frames_received = 0;
    std::uint64_t live_frames_late = 0;
    std::uint64_t live_frames_recovered = 0;  // rebuilt from the next frame's FEC
    std::uint64_t live_frames_concealed = 0;  // lost: replaced by Opus PLC
    std::uint64_t live_frames_dropped = 0;    // thrown away by a fault drill ([faults])
};

// The snapshot in the Prometheus text exposition format 0.0.4: every family with # HELP and
// # TYPE, names prefixed "loa_agent_", label values escaped.
std::string render_prometheus(const AgentMetrics& metrics);

}  // namespace loa::agent
