#include "loa/agent/station_telemetry.hpp"

#include "loa/agent/agent_store.hpp"
#include "loa/agent/amplifier_sequencer.hpp"
#include "loa/common/digest.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <system_error>

namespace loa::agent {

StationTelemetry::StationTelemetry(TelemetryOptions options, AgentStore& store, const IClock& clock,
                                   IAmplifier& amplifier, const AmplifierSequencer* sequencer,
                                   const OutputMonitor* monitor)
    : options_{std::move(options)},
      store_{store},
      clock_{clock},
      amplifier_{amplifier},
      sequencer_{sequencer},
      monitor_{monitor} {}

void StationTelemetry::set_listener(std::function<void()> listener) {
    listener_ = std::move(listener);
}

void StationTelemetry::raise(wire::StationEventKind kind, TimePoint at, std::string detail) {
    wire::StationEvent event;
    event.set_event_id(random_id());
    event.set_kind(kind);
    event.set_zone(options_.zone);
    event.set_at_us(to_unix_us(at));
    event.set_detail(std::move(detail));
    spdlog::warn("telemetry: zone {}: {}{}{}", options_.zone, wire::StationEventKind_Name(kind),
                 event.detail().empty() ? "" : ": ", event.detail());
    try {
        store_.queue_event(event);
        ++raised_;
    } catch (const StoreError& e) {
        spdlog::error("telemetry: event {} not queued: {}", event.event_id(), e.what());
    }
}

std::size_t StationTelemetry::poll() {
    const auto status = amplifier_.status();
    const auto now = clock_.now();
    std::size_t raised = 0;
    {
        std::lock_guard lock{mu_};
        const auto before = raised_;
        const AmplifierStatus prev = last_.value_or(AmplifierStatus{});
        if (status.state.faulted &&
            (!prev.state.faulted || prev.state.fault != status.state.fault)) {
            raise(wire::AMPLIFIER_FAULT, now, status.state.fault);
        } else if (!status.state.faulted && prev.state.faulted) {
            raise(wire::AMPLIFIER_FAULT_CLEARED, now, prev.state.fault);
        }
        const bool mains = status.mains_ok.value_or(true);
        const bool prev_mains = prev.mains_ok.value_or(true);
        if (mains != prev_mains) {
            raise(mains ? wire::MAINS_RESTORED : wire::MAINS_LOST, now,
                  status.battery_percent ? fmt::format("battery {:.0f} %", *status.battery_percent)
                                         : std::string{});
        }
        if (status.battery_percent) {
            if (!battery_low_ && *status.battery_percent < options_.battery_low_percent) {
                battery_low_ = true;
                raise(wire::BATTERY_LOW, now, fmt::format("{:.0f} %", *status.battery_percent));
            } else if (battery_low_ && *status.battery_percent >= options_.battery_ok_percent) {
                battery_low_ = false;
                raise(wire::BATTERY_OK, now, fmt::format("{:.0f} %", *status.battery_percent));
            }
        }
        if (status.temperature_c) {
            if (!temperature_high_ && *status.temperature_c > options_.temperature_high_c) {
                temperature_high_ = true;
                raise(wire::TEMPERATURE_HIGH, now, fmt::format("{:.1f} °C", *status.temperature_c));
            } else if (temperature_high_ && *status.temperature_c <= options_.temperature_ok_c) {
                temperature_high_ = false;
                raise(wire::TEMPERATURE_OK, now, fmt::format("{:.1f} °C", *status.temperature_c));
            }
        }
        if (status.speaker_line_fault != prev.speaker_line_fault) {
            if (status.speaker_line_fault.empty()) {
                raise(wire::SPEAKER_LINE_OK, now, prev.speaker_line_fault);
            } else {
                raise(wire::SPEAKER_LINE_FAULT, now, status.speaker_line_fault);
            }
        }
        last_ = status;
        raised = static_cast<std::size_t>(raised_ - before);
    }
    if (raised > 0 && listener_) {
        listener_();
    }
    return raised;
}

void StationTelemetry::on_monitor_event(const MonitorEvent& event) {
    wire::StationEventKind kind = wire::CLIPPING;
    switch (event.kind) {
        case MonitorEvent::Kind::dead_air_start:
            kind = wire::DEAD_AIR_START;
            break;
        case MonitorEvent::Kind::dead_air_end:
            kind = wire::DEAD_AIR_END;
            break;
        case MonitorEvent::Kind::clipping:
            kind = wire::CLIPPING;
            break;
    }
    {
        std::lock_guard lock{mu_};
        raise(kind, event.at, event.detail);
    }
    if (listener_) {
        listener_();
    }
}

void StationTelemetry::fill_heartbeat(wire::Heartbeat& heartbeat) const {
    heartbeat.set_telemetry(true);
    heartbeat.set_software_version(options_.software_version);
    heartbeat.set_config_sha256(options_.config_sha256);
    std::error_code ec;
    const auto space = std::filesystem::space(options_.state_dir, ec);
    heartbeat.set_disk_free_bytes(ec ? 0 : space.available);

    AmplifierStatus status;
    {
        std::lock_guard lock{mu_};
        status = last_.value_or(AmplifierStatus{amplifier_.state(), {}, {}, {}, {}});
    }
    auto* zone = heartbeat.add_zones();
    zone->set_zone(options_.zone);
    if (status.state.faulted) {
        zone->set_amplifier(wire::AMPLIFIER_FAULTED);
        zone->set_fault(status.state.fault);
    } else if (!status.state.on) {
        zone->set_amplifier(wire::AMPLIFIER_OFF);
    } else if (sequencer_ != nullptr && sequencer_->warming(clock_.now())) {
        zone->set_amplifier(wire::AMPLIFIER_WARMING);
    } else {
        zone->set_amplifier(wire::AMPLIFIER_ON);
    }
    zone->set_rms_dbfs(-120.0);
    zone->set_peak_dbfs(-120.0);
    if (monitor_ != nullptr) {
        if (const auto level = monitor_->last_level()) {
            zone->set_rms_dbfs(level->rms_dbfs);
            zone->set_peak_dbfs(level->peak_dbfs);
            zone->set_playing(level->active);
        }
        zone->set_dead_air(monitor_->in_dead_air());
    }
    if (status.mains_ok) {
        zone->set_has_power_status(true);
        zone->set_mains_ok(*status.mains_ok);
        zone->set_battery_percent(status.battery_percent.value_or(-1.0));
    }
    if (status.temperature_c) {
        zone->set_has_temperature(true);
        zone->set_temperature_c(*status.temperature_c);
    }
    if (!status.speaker_line_fault.empty() && zone->fault().empty()) {
        zone->set_fault("speaker line " + status.speaker_line_fault);
    }
}

std::uint64_t StationTelemetry::events_raised() const {
    std::lock_guard lock{mu_};
    return raised_;
}

}  // namespace loa::agent
