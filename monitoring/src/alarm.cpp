#include "loa/monitoring/alarm.hpp"

namespace loa::monitoring {

std::string_view alarm_kind_name(AlarmKind k) {
    switch (k) {
        case AlarmKind::station_offline:
            return "station_offline";
        case AlarmKind::zone_fault:
            return "zone_fault";
        case AlarmKind::coverage_low:
            return "coverage_low";
        case AlarmKind::station_not_ready:
            return "station_not_ready";
    }
    return "unknown";
}

std::string_view severity_name(Severity s) {
    switch (s) {
        case Severity::info:
            return "info";
        case Severity::warning:
            return "warning";
        case Severity::major:
            return "major";
        case Severity::critical:
            return "critical";
    }
    return "unknown";
}

}  // namespace loa::monitoring
