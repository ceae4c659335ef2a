#pragma once

#include <cstdint>
#include <string>

namespace loa::scheduler {

// A fault or monitor event a station reported (wire::StationEvent), as stored once in
// `station_events`.
struct StationEventRow {
    std::string station_id;
    std::string event_id;
    std::string kind;  // the wire name: "AMPLIFIER_FAULT", "DEAD_AIR_START", ...
    std::string zone;
    std::int64_t at_us = 0;  // when it happened (the agent's corrected clock)
    std::string detail;
    std::int64_t received_at_us = 0;  // when the scheduler stored it
};

// A station's liveness and its latest heartbeat status, as stored in `station_status`.
struct StationHealth {
    std::string station_id;
    bool online = false;
    // When it last went online or offline. Offline: the moment its third heartbeat was missed
    // (last heard + 3 heartbeat intervals).
    std::int64_t online_changed_at_us = 0;
    std::int64_t last_heartbeat_at_us = 0;  // 0: no heartbeat with telemetry yet
    std::int64_t clock_offset_us = 0;
    std::int64_t clock_jitter_us = 0;
    bool clock_synced = false;
    std::string status_json;  // the last heartbeat's telemetry (docs/protocol.md), "{}" if none
};

}  // namespace loa::scheduler
