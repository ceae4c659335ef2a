#include "loa/monitoring/alarm_rules.hpp"

#include "loa/common/time_format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

namespace loa::monitoring {
namespace {

std::string percent(double fraction, char decimal) {
    std::string s = fmt::format("{:.1f}", fraction * 100.0);
    std::replace(s.begin(), s.end(), '.', decimal);
    return s + " %";
}

const std::string& display(const std::string& name, const std::string& id) {
    return name.empty() ? id : name;
}

}  // namespace

AlarmRules::AlarmRules() : AlarmRules(Options{}) {}

AlarmRules::AlarmRules(Options options) : options_{std::move(options)} {}

bool AlarmRules::offline(const StationFacts& station, TimePoint now) const {
    if (!station.last_seen) {
        return true;
    }
    const auto missed =
        station.heartbeat_interval * static_cast<Duration::rep>(options_.missed_heartbeats);
    return now > *station.last_seen + missed;
}

std::vector<Alarm> AlarmRules::evaluate(const AlarmFacts& facts, TimePoint now) const {
    std::vector<Alarm> alarms;
    for (const auto& s : facts.stations) {
        if (!offline(s, now)) {
            continue;
        }
        const auto& name = display(s.name, s.station_id);
        Alarm a;
        a.key = "offline/" + s.station_id;
        a.kind = AlarmKind::station_offline;
        a.severity = Severity::major;
        a.unit_code = s.unit_code;
        a.station_id = s.station_id;
        if (s.last_seen) {
            a.since = *s.last_seen +
                      s.heartbeat_interval * static_cast<Duration::rep>(options_.missed_heartbeats);
            a.text_vi = fmt::format("Trạm {} mất kết nối (tín hiệu cuối lúc {})", name,
                                    format_local(*s.last_seen, kDefaultZone));
            a.text_en = fmt::format("Station {} offline (last heartbeat {})", name,
                                    format_utc(*s.last_seen));
        } else {
            a.since = now;
            a.text_vi = fmt::format("Trạm {} chưa từng kết nối", name);
            a.text_en = fmt::format("Station {} has never connected", name);
        }
        alarms.push_back(std::move(a));
    }
    for (const auto& f : facts.faults) {
        Alarm a;
        a.key = "fault/" + f.station_id + "/" + f.zone;
        a.kind = AlarmKind::zone_fault;
        a.severity = Severity::major;
        a.unit_code = f.unit_code;
        a.station_id = f.station_id;
        a.zone = f.zone;
        a.since = f.since;
        a.text_vi =
            fmt::format("Trạm {}, vùng {}: lỗi bộ khuếch đại ({})", f.station_id, f.zone, f.fault);
        a.text_en =
            fmt::format("Station {}, zone {}: amplifier fault ({})", f.station_id, f.zone, f.fault);
        alarms.push_back(std::move(a));
    }
    for (const auto& c : facts.coverage) {
        const auto t = options_.thresholds.find(c.unit_code);
        const std::optional<double> threshold = t != options_.thresholds.end()
                                                    ? std::optional<double>{t->second}
                                                    : options_.default_threshold;
        if (!threshold || !(c.working < *threshold)) {
            continue;
        }
        const auto& name = display(c.name, c.unit_code);
        Alarm a;
        a.key = "coverage/" + c.unit_code;
        a.kind = AlarmKind::coverage_low;
        a.severity = c.working < *threshold - options_.critical_margin ? Severity::critical
                                                                       : Severity::warning;
        a.unit_code = c.unit_code;
        a.since = now;
        a.text_vi = fmt::format("Tỉ lệ phủ sóng của {} là {}, dưới ngưỡng {}", name,
                                percent(c.working, ','), percent(*threshold, ','));
        a.text_en = fmt::format("Coverage of {} is {}, below its threshold of {}", name,
                                percent(c.working, '.'), percent(*threshold, '.'));
        alarms.push_back(std::move(a));
    }
    for (const auto& r : facts.readiness) {
        std::size_t unacked = 0;
        std::size_t missing = 0;
        std::optional<TimePoint> first;
        for (const auto& item : r.items) {
            if (item.revision_acked && item.assets_held) {
                continue;
            }
            unacked += item.revision_acked ? 0 : 1;
            missing += item.assets_held ? 0 : 1;
            if (!first || item.start < *first) {
                first = item.start;
            }
        }
        if (!first) {
            continue;
        }
        const auto& name = display(r.name, r.station_id);
        Alarm a;
        a.key = "not-ready/" + r.station_id;
        a.kind = AlarmKind::station_not_ready;
        a.severity = Severity::warning;
        a.unit_code = r.unit_code;
        a.station_id = r.station_id;
        a.since = *first - std::chrono::hours{24};
        a.text_vi = fmt::format(
            "Trạm {} chưa sẵn sàng cho ngày mai: {} mục chưa nhận lịch, {} mục thiếu tệp âm "
            "thanh (mục đầu lúc {})",
            name, unacked, missing, format_local(*first, kDefaultZone));
        a.text_en = fmt::format(
            "Station {} not ready for tomorrow: {} items not acknowledged, {} items missing "
            "assets (first at {})",
            name, unacked, missing, format_utc(*first));
        alarms.push_back(std::move(a));
    }
    std::sort(alarms.begin(), alarms.end(),
              [](const Alarm& a, const Alarm& b) { return a.key < b.key; });
    return alarms;
}

}  // namespace loa::monitoring
