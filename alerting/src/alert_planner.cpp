#include "loa/alerting/alert_planner.hpp"

#include "loa/common/time_format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace loa::alerting {

AlertPlanner::AlertPlanner(const AreaResolver& areas, const IClock& clock, Options options)
    : areas_{areas}, clock_{clock}, options_{std::move(options)} {
    std::sort(options_.test_stations.begin(), options_.test_stations.end());
    options_.test_stations.erase(
        std::unique(options_.test_stations.begin(), options_.test_stations.end()),
        options_.test_stations.end());
}

Result<AlertPlan> AlertPlanner::plan(const Alert& alert) const {
    switch (alert.status) {
        case AlertStatus::Draft:
            return Error{"status Draft: a draft is not broadcast"};
        case AlertStatus::System:
            return Error{
                "status System: a message for the alerting system itself is not "
                "broadcast"};
        default:
            break;
    }
    if (alert.msg_type == MsgType::Ack || alert.msg_type == MsgType::Error) {
        return Error{
            fmt::format("msgType {}: an acknowledgement or error message is not "
                        "broadcast",
                        to_string(alert.msg_type))};
    }
    AlertPlan plan;
    plan.identifier = alert.identifier;
    plan.sender = alert.sender;
    plan.status = alert.status;
    plan.msg_type = alert.msg_type;
    plan.references = alert.references;
    plan.exercise = alert.status == AlertStatus::Exercise || alert.status == AlertStatus::Test;
    if (plan.exercise && options_.test_stations.empty()) {
        return Error{fmt::format("status {}: no test station is configured, so it cannot air",
                                 to_string(alert.status))};
    }

    // Infos still in force; a Cancel may have none at all.
    const auto now = clock_.now();
    std::vector<std::size_t> live;
    std::optional<TimePoint> last_expiry;
    for (std::size_t i = 0; i < alert.infos.size(); ++i) {
        const auto& expires = alert.infos[i].expires;
        if (!expires || *expires > now) {
            live.push_back(i);
        } else if (!last_expiry || *expires > *last_expiry) {
            last_expiry = *expires;
        }
    }
    if (alert.msg_type != MsgType::Cancel) {
        if (alert.infos.empty()) {
            return Error{"info: the alert has no <info>, so there is nothing to broadcast"};
        }
        if (live.empty()) {
            return Error{
                fmt::format("info[*].expires: the alert expired at {}", format_utc(*last_expiry))};
        }
    }

    // Stations in the areas of the infos in force.
    std::set<std::string> in_area;
    std::vector<std::string> descriptions;
    for (const auto i : live) {
        const auto& areas = alert.infos[i].areas;
        for (std::size_t a = 0; a < areas.size(); ++a) {
            auto matched = areas_.match(areas[a], fmt::format("info[{}].area[{}]", i + 1, a + 1));
            if (!matched) {
                return matched.error();
            }
            const auto ids = matched->stations();
            in_area.insert(ids.begin(), ids.end());
            descriptions.push_back(areas[a].description);
            plan.areas.push_back(std::move(matched).value());
        }
    }
    plan.area_stations.assign(in_area.begin(), in_area.end());
    const bool needs_area = alert.msg_type != MsgType::Cancel && !plan.exercise;
    if (needs_area && plan.area_stations.empty()) {
        if (descriptions.empty()) {
            return Error{"no station is in the area: the alert names no <area>"};
        }
        descriptions.erase(std::unique(descriptions.begin(), descriptions.end()),
                           descriptions.end());
        return Error{fmt::format("no station is in the area ({})", fmt::join(descriptions, "; "))};
    }
    plan.stations = plan.exercise ? options_.test_stations : plan.area_stations;

    // The info to air: the first preferred language that has one, else the first in force.
    if (!live.empty()) {
        std::size_t chosen = live.front();
        bool found = false;
        for (const auto& wanted : options_.preferred_languages) {
            for (const auto i : live) {
                if (language_matches(alert.infos[i].language, wanted)) {
                    chosen = i;
                    found = true;
                    break;
                }
            }
            if (found) {
                break;
            }
        }
        const auto& info = alert.infos[chosen];
        plan.info_index = chosen;
        plan.language = info.language;
        plan.spoken_text = spoken_text(info);
        for (const auto& r : info.resources) {
            if (r.mime_type.starts_with("audio/")) {
                plan.audio = r;
                break;
            }
        }
    }
    return plan;
}

}  // namespace loa::alerting
