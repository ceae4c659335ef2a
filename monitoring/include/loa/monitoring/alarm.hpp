#pragma once

#include "loa/common/clock.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace loa::monitoring {

enum class AlarmKind : std::uint8_t {
    station_offline,
    zone_fault,
    coverage_low,
    station_not_ready,
};

enum class Severity : std::uint8_t { info, warning, major, critical };

// "station_offline", "zone_fault", "coverage_low", "station_not_ready".
std::string_view alarm_kind_name(AlarmKind k);
// "info", "warning", "major", "critical".
std::string_view severity_name(Severity s);

// One condition that needs someone's attention. `key` names the condition, not its details:
// the same condition evaluated again has the same key ("offline/ST-01", "fault/ST-01/z1",
// "coverage/30", "not-ready/ST-01"), so an AlarmBook can tell a new alarm from an ongoing one.
struct Alarm {
    std::string key;
    AlarmKind kind = AlarmKind::station_offline;
    Severity severity = Severity::warning;
    std::string unit_code;   // the unit it concerns (a station's own unit)
    std::string station_id;  // empty for a unit's alarm
    std::string zone;        // zone_fault only
    std::string text_vi;
    std::string text_en;
    TimePoint since{};  // when the condition began, as far as the facts tell

    bool operator==(const Alarm&) const = default;
};

// What an AlarmBook saw change, and what a webhook is told.
struct AlarmEvent {
    enum class Type : std::uint8_t { raised, cleared };
    Type type = Type::raised;
    Alarm alarm;
    TimePoint raised_at{};                // when the book first saw it
    std::optional<TimePoint> cleared_at;  // cleared only

    bool operator==(const AlarmEvent&) const = default;
};

}  // namespace loa::monitoring
