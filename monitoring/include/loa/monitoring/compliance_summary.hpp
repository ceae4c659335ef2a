#pragma once

#include "loa/common/time_format.hpp"
#include "loa/monitoring/compliance_types.hpp"

#include <array>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loa::monitoring {

// Counts over a set of items. Pending items count in `pending` only.
struct ComplianceTotals {
    std::size_t scheduled = 0;  // items with a verdict (aired + partly_aired + missed)
    std::size_t aired = 0;
    std::size_t partly_aired = 0;
    std::size_t missed = 0;
    std::size_t pending = 0;
    std::array<std::size_t, kMissReasonCount> missed_by_reason{};  // index: MissReason
    std::array<std::size_t, kMissReasonCount> partly_by_reason{};
    double scheduled_seconds = 0.0;
    double aired_seconds = 0.0;

    void add(const ItemCompliance& item);
    std::size_t missed_for(MissReason r) const;
    std::size_t partly_for(MissReason r) const;
    // aired_seconds / scheduled_seconds, none when nothing was scheduled.
    std::optional<double> aired_ratio() const;
    bool operator==(const ComplianceTotals&) const = default;
};

// Where stations sit in the admin-unit tree: station -> its unit's code, and code -> parent
// code (a root has no entry).
struct UnitMap {
    std::map<std::string, std::string> station_unit;
    std::map<std::string, std::string> parent;
};

// The totals of one period by station, programme (entry), day and unit.
struct ComplianceSummary {
    ComplianceTotals total;
    std::map<std::string, ComplianceTotals> by_station;
    std::map<std::string, ComplianceTotals> by_entry;
    std::map<std::string, std::string> entry_titles;  // entry id -> programme title
    std::map<std::string, ComplianceTotals> by_day;   // "2026-11-27", local day of the start
    // An item counts in its station's unit and in every ancestor of it; stations missing from
    // the map count under "" (none).
    std::map<std::string, ComplianceTotals> by_unit;
};

// Adds up the verdicts. Days are local calendar days in the IANA zone `zone`. Pure; any thread.
ComplianceSummary summarise(const std::vector<ItemCompliance>& items, const UnitMap& units,
                            std::string_view zone = kDefaultZone);

}  // namespace loa::monitoring
