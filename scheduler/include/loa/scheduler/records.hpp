#pragma once

#include "loa/scheduler/planning.hpp"
#include "loa/wire/loa.pb.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

// Plain rows of the scheduler's store. Every instant is UTC microseconds since the Unix epoch.
namespace loa::scheduler {

struct StationRecord {
    std::string id;
    std::string name;
    std::string public_key;  // CURVE, Z85; empty for a station imported without a key yet
    std::string unit_code;   // the administrative unit it serves
    std::vector<std::string> zones{"main"};  // its amplifier outputs, in order
    std::int64_t created_at_us = 0;
    std::optional<std::int64_t> last_seen_at_us;
    std::string software_version;
    std::uint64_t timeline_revision = 0;  // newest revision compiled for the station
    std::uint64_t acked_revision = 0;     // newest revision the agent confirmed it stored
    // Where it stands (latitude, longitude in degrees), when the station CSV gave it.
    std::optional<std::pair<double, double>> position;
    // From the agent's last Heartbeat.
    std::uint32_t outbox_depth = 0;
    std::uint32_t assets_missing = 0;
    std::uint64_t underruns = 0;
};

struct AssetRecord {
    std::string id;  // SHA-256 (hex) of the Opus file
    std::string name;
    std::uint32_t duration_ms = 0;
    std::uint64_t size_bytes = 0;
    std::int64_t created_at_us = 0;
    std::string source_sha256;  // SHA-256 of the uploaded bytes, so a re-upload finds the asset
    // From the ingest (schema 2); absent for assets made before it measured them.
    std::optional<double> loudness_lufs;   // integrated loudness of the normalised audio
    std::optional<double> true_peak_dbtp;  // its true peak
    std::string source_format;             // "MPEG-1 Layer 3 (MP3)", "speech (espeak-ng, vi)"
};

// A schedule entry as stored: the planning core's entry and who made it when.
struct StoredEntry {
    ScheduleEntry entry;
    std::string created_by;
    std::int64_t created_at_us = 0;
};

// One item of a station's timeline (one asset of one occurrence of an entry).
struct TimelineItemRecord {
    std::string item_id;             // "e42-1764230400-0"; empty: item_id_for_entry(entry_id)
    std::vector<std::string> zones;  // empty: every zone of the station
    std::int64_t entry_id = 0;
    std::string asset_id;
    std::string title;
    wire::PriorityClass priority = wire::COMMUNE;
    std::int64_t start_at_us = 0;
    std::uint32_t duration_ms = 0;
    std::uint64_t asset_size = 0;
};

// A station's timeline as compiled now: the items and the revision they carry.
struct StationTimeline {
    std::string station_id;
    std::uint64_t revision = 0;
    std::vector<TimelineItemRecord> items;
    bool changed = false;  // the revision was bumped by this compilation
};

// The status fields of an agent's Heartbeat.
struct StationStatus {
    std::uint64_t timeline_revision = 0;
    std::uint32_t outbox_depth = 0;
    std::uint32_t assets_missing = 0;
    std::uint64_t underruns = 0;
};

struct AsRunRow {
    std::string record_id;
    std::string station_id;
    std::string item_id;
    std::string asset_id;
    std::int64_t scheduled_at_us = 0;
    std::int64_t started_at_us = 0;  // 0: never started
    std::int64_t ended_at_us = 0;    // 0: never started
    wire::AsRunStatus status = wire::AS_RUN_STATUS_UNSPECIFIED;
    std::string reason;
    std::uint64_t timeline_revision = 0;
    std::int64_t received_at_us = 0;
};

}  // namespace loa::scheduler
