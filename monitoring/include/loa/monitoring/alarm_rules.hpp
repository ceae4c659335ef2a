#pragma once

#include "loa/common/clock.hpp"
#include "loa/monitoring/alarm.hpp"

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace loa::monitoring {

// A station as its heartbeats show it.
struct StationFacts {
    std::string station_id;
    std::string name;
    std::string unit_code;
    std::optional<TimePoint> last_seen;  // last heartbeat; none: never connected
    Duration heartbeat_interval = std::chrono::seconds{10};
};

// A zone whose amplifier reports a fault now.
struct ZoneFaultFacts {
    std::string station_id;
    std::string unit_code;
    std::string zone;
    std::string fault;  // the agent's text
    TimePoint since{};
};

// The working coverage of a unit (households within reach of a working cluster / households).
struct UnitCoverageFacts {
    std::string unit_code;
    std::string name;
    double working = 0.0;  // fraction in [0, 1]
};

// One item of the next day on a station: whether the station acknowledged the timeline
// revision holding it and holds its assets.
struct NextDayItem {
    std::string item_id;
    std::string title;
    TimePoint start{};
    bool revision_acked = false;
    bool assets_held = false;
};

struct StationReadinessFacts {
    std::string station_id;
    std::string name;
    std::string unit_code;
    std::vector<NextDayItem> items;
};

// Everything the rules read, as of one moment.
struct AlarmFacts {
    std::vector<StationFacts> stations;
    std::vector<ZoneFaultFacts> faults;
    std::vector<UnitCoverageFacts> coverage;
    std::vector<StationReadinessFacts> readiness;
};

// The alarm rules, pure: the same facts at the same `now` give the same alarms (sorted by key).
// - station_offline (major) when `missed_heartbeats` heartbeats in a row are missed: offline
//   once now > last_seen + missed_heartbeats × interval, since that moment; a station never
//   seen is offline since `now`.
// - zone_fault (major) for every faulted zone, since the fault began.
// - coverage_low (warning; critical below threshold − critical_margin) when a unit's working
//   coverage is below its threshold (`thresholds` by unit code, else `default_threshold`;
//   a unit with neither is not checked).
// - station_not_ready (warning) when a station has items of the next day whose revision it
//   has not acknowledged or whose assets it does not hold; since the first such item's start
//   minus one day (when the day's planning was due to have reached it).
// Immutable; any thread.
class AlarmRules {
public:
    struct Options {
        std::size_t missed_heartbeats = 3;
        std::map<std::string, double> thresholds;  // unit code -> fraction in [0, 1]
        std::optional<double> default_threshold;
        double critical_margin = 0.10;
    };

    AlarmRules();
    explicit AlarmRules(Options options);

    std::vector<Alarm> evaluate(const AlarmFacts& facts, TimePoint now) const;

    // True when a station last seen at `last_seen` is offline at `now`.
    bool offline(const StationFacts& station, TimePoint now) const;

private:
    Options options_;
};

}  // namespace loa::monitoring
