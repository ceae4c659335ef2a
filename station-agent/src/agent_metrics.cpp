#include "loa/agent/agent_metrics.hpp"

#include <fmt/format.h>

#include <string_view>

namespace loa::agent {

namespace {

// A label value as the text format wants it: backslash, double quote and newline escaped.
std::string escape(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

class Writer {
public:
    void family(std::string_view name, std::string_view type, std::string_view help) {
        out_ +=
            fmt::format("# HELP loa_agent_{} {}\n# TYPE loa_agent_{} {}\n", name, help, name, type);
    }
    void sample(std::string_view name, std::string_view labels, double value) {
        if (labels.empty()) {
            out_ += fmt::format("loa_agent_{} {}\n", name, value);
        } else {
            out_ += fmt::format("loa_agent_{}{{{}}} {}\n", name, labels, value);
        }
    }
    void one(std::string_view name, std::string_view type, std::string_view help, double value) {
        family(name, type, help);
        sample(name, {}, value);
    }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

double num(std::uint64_t v) {
    return static_cast<double>(v);
}

}  // namespace

std::string render_prometheus(const AgentMetrics& m) {
    Writer w;
    w.family("info", "gauge", "The agent's station and software version (always 1).");
    w.sample("info",
             fmt::format(R"(station="{}",version="{}")", escape(m.station_id),
                         escape(m.software_version)),
             1);
    w.one("link_connected", "gauge", "1 while the scheduler has welcomed this agent's connection.",
          m.link_connected ? 1 : 0);
    w.one("link_last_heard_age_seconds", "gauge",
          "Seconds since the scheduler was last heard (any message); -1: never.",
          m.last_heard_age_s.value_or(-1.0));
    w.one("link_hellos_sent_total", "counter", "Hello messages sent.", num(m.hellos_sent));
    w.one("link_heartbeats_sent_total", "counter", "Heartbeats sent.", num(m.heartbeats_sent));
    w.one("timeline_revision", "gauge", "Revision of the timeline the agent holds (0: none).",
          num(m.timeline_revision));
    w.one("timelines_refused_total", "counter",
          "Timelines and deltas refused (bad signature, wrong station, older).",
          num(m.timelines_refused));
    w.one("timeline_deltas_applied_total", "counter", "Revisions made from a signed delta.",
          num(m.deltas_applied));
    w.one("assets_verified_total", "counter", "Asset downloads verified against their SHA-256.",
          num(m.assets_verified));
    w.one("asset_failures_total", "counter", "Asset error chunks and hash mismatches.",
          num(m.asset_failures));
    w.family("items_total", "counter", "Items reported in the as-run log, by status.");
    w.sample("items_total", R"(status="completed")", num(m.items_completed));
    w.sample("items_total", R"(status="interrupted")", num(m.items_interrupted));
    w.sample("items_total", R"(status="failed")", num(m.items_failed));
    w.one("items_aired_total", "counter", "Items that aired (completed or interrupted).",
          num(m.items_completed + m.items_interrupted));
    w.one("items_missed_total", "counter", "Items that did not air (failed).", num(m.items_failed));
    w.one("audio_underruns_total", "counter", "Output blocks that found no audio in time.",
          num(m.underruns));
    w.one("as_run_outbox_depth", "gauge", "As-run records waiting for the scheduler's ack.",
          num(m.as_run_outbox));
    w.one("event_outbox_depth", "gauge", "Station events waiting for the scheduler's ack.",
          num(m.event_outbox));
    w.one("station_events_total", "counter", "Station events raised.", num(m.events_raised));
    w.one("clock_synced", "gauge", "1 while the clock estimate is synchronised and consistent.",
          m.clock_synced ? 1 : 0);
    w.one("clock_offset_seconds", "gauge",
          "Applied correction: the scheduler's clock minus the agent's own.", m.clock_offset_s);
    w.one("clock_jitter_seconds", "gauge", "How far the clock estimate may be off.",
          m.clock_jitter_s);
    w.one("clock_exchanges_total", "counter", "Clock exchanges the estimator accepted.",
          num(m.time_exchanges));
    w.one("disk_free_bytes", "gauge", "Free bytes on the state directory's file system.",
          num(m.disk_free_bytes));
    w.family("zone_amplifier", "gauge",
             "1 for the zone's amplifier state (off, warming, on, faulted), 0 for the others.");
    for (const auto& z : m.zones) {
        for (const char* state : {"off", "warming", "on", "faulted"}) {
            w.sample("zone_amplifier",
                     fmt::format(R"(zone="{}",state="{}")", escape(z.zone), state),
                     z.amplifier == state ? 1 : 0);
        }
    }
    w.family("zone_fault", "gauge",
             "1 while the zone's amplifier is faulted, with its fault text.");
    for (const auto& z : m.zones) {
        w.sample("zone_fault",
                 fmt::format(R"(zone="{}",fault="{}")", escape(z.zone), escape(z.fault)),
                 z.fault.empty() ? 0 : 1);
    }
    w.family("zone_output_rms_dbfs", "gauge", "RMS level of the last second rendered (dBFS).");
    for (const auto& z : m.zones) {
        w.sample("zone_output_rms_dbfs", fmt::format(R"(zone="{}")", escape(z.zone)), z.rms_dbfs);
    }
    w.family("zone_output_peak_dbfs", "gauge", "Peak level of the last second rendered (dBFS).");
    for (const auto& z : m.zones) {
        w.sample("zone_output_peak_dbfs", fmt::format(R"(zone="{}")", escape(z.zone)), z.peak_dbfs);
    }
    w.family("zone_playing", "gauge", "1 while an item plays in the zone.");
    for (const auto& z : m.zones) {
        w.sample("zone_playing", fmt::format(R"(zone="{}")", escape(z.zone)), z.playing ? 1 : 0);
    }
    w.family("zone_dead_air", "gauge", "1 while the zone is in dead air.");
    for (const auto& z : m.zones) {
        w.sample("zone_dead_air", fmt::format(R"(zone="{}")", escape(z.zone)), z.dead_air ? 1 : 0);
    }
    w.one("live_sessions_total", "counter", "Live sessions received.", num(m.live_sessions));
    w.family("live_frames_total", "counter",
             "Live frames: received, late (dropped), recovered by FEC, concealed (lost, PLC), "
             "dropped by a fault drill.");
    w.sample("live_frames_total", R"(kind="received")", num(m.live_frames_received));
    w.sample("live_frames_total", R"(kind="late")", num(m.live_frames_late));
    w.sample("live_frames_total", R"(kind="recovered")", num(m.live_frames_recovered));
    w.sample("live_frames_total", R"(kind="concealed")", num(m.live_frames_concealed));
    w.sample("live_frames_total", R"(kind="dropped")", num(m.live_frames_dropped));
    return w.take();
}

}  // namespace loa::agent
