#include "loa/monitoring/webhook_payload.hpp"

#include "loa/common/time_format.hpp"

#include <nlohmann/json.hpp>

namespace loa::monitoring {

std::string webhook_payload(const AlarmEvent& event) {
    const Alarm& a = event.alarm;
    nlohmann::json body{
        {"event", event.type == AlarmEvent::Type::raised ? "raised" : "cleared"},
        {"key", a.key},
        {"kind", alarm_kind_name(a.kind)},
        {"severity", severity_name(a.severity)},
        {"unit", a.unit_code},
        {"station", a.station_id},
        {"zone", a.zone},
        {"text", {{"vi", a.text_vi}, {"en", a.text_en}}},
        {"since", format_utc(a.since)},
        {"raised_at", format_utc(event.raised_at)},
        {"cleared_at", event.cleared_at ? nlohmann::json(format_utc(*event.cleared_at))
                                        : nlohmann::json(nullptr)},
    };
    // Texts come from agents and operators: replace invalid UTF-8 rather than throw.
    return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace loa::monitoring
