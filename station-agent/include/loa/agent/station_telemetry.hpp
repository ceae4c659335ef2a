#pragma once

#include "loa/agent/amplifier.hpp"
#include "loa/agent/output_monitor.hpp"
#include "loa/common/clock.hpp"
#include "loa/wire/loa.pb.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

namespace loa::agent {

class AgentStore;
class AmplifierSequencer;

struct TelemetryOptions {
    std::string zone;
    std::filesystem::path state_dir;  // disk free is of its file system
    std::string software_version;
    std::string config_sha256;  // empty: unknown
    double battery_low_percent = 20.0;
    double battery_ok_percent = 25.0;  // hysteresis: BATTERY_OK once back above this
    double temperature_high_c = 70.0;
    double temperature_ok_c = 65.0;
};

// The station's telemetry (issue 5): turns what the zone's amplifier backend senses and what the
// output monitor detects into StationEvents, queued durably in the AgentStore's event outbox
// (the link sends them at once and drops each when acknowledged), and fills a Heartbeat's
// status fields.
//
// Events: AMPLIFIER_FAULT / _CLEARED on a change of the amplifier's fault (a change of fault
// text is a new fault), MAINS_LOST / _RESTORED, BATTERY_LOW / _OK (below battery_low_percent,
// back above battery_ok_percent), TEMPERATURE_HIGH / _OK, SPEAKER_LINE_FAULT / _OK, and the
// monitor's DEAD_AIR_START / _END and CLIPPING. A fault already present at start is raised by
// the first poll().
//
// Threads: poll() and fill_heartbeat() from the link thread ("loa-link"), fill_heartbeat() also
// from the metrics worker ("loa-metrics-w"); on_monitor_event() from "loa-monitor";
// set_listener() before either. Internally locked.
class StationTelemetry {
public:
    StationTelemetry(TelemetryOptions options, AgentStore& store, const IClock& clock,
                     IAmplifier& amplifier, const AmplifierSequencer* sequencer,
                     const OutputMonitor* monitor);
    StationTelemetry(const StationTelemetry&) = delete;
    StationTelemetry& operator=(const StationTelemetry&) = delete;

    // Called after an event was queued (the agent wakes the link).
    void set_listener(std::function<void()> listener);
    // The config file's digest for heartbeats (before the link starts).
    void set_config_sha256(std::string sha256) { options_.config_sha256 = std::move(sha256); }

    // Reads the amplifier's status and queues an event for every change. Returns how many.
    std::size_t poll();
    void on_monitor_event(const MonitorEvent& event);

    // The Heartbeat's telemetry fields (clock fields excepted: the link fills those).
    void fill_heartbeat(wire::Heartbeat& heartbeat) const;

    // Events queued so far.
    std::uint64_t events_raised() const;

private:
    void raise(wire::StationEventKind kind, TimePoint at, std::string detail);  // needs mu_

    TelemetryOptions options_;
    AgentStore& store_;
    const IClock& clock_;
    IAmplifier& amplifier_;
    const AmplifierSequencer* sequencer_;
    const OutputMonitor* monitor_;
    std::function<void()> listener_;

    mutable std::mutex mu_;
    std::optional<AmplifierStatus> last_;  // as of the last poll()
    bool battery_low_ = false;
    bool temperature_high_ = false;
    std::uint64_t raised_ = 0;
};

}  // namespace loa::agent
