#pragma once

#include "loa/common/clock.hpp"
#include "loa/coverage/coverage_engine.hpp"
#include "loa/coverage/coverage_figures.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace loa::coverage {

// One day's coverage of one unit, as the store keeps it for the history ("coverage over time,
// daily"): the figures as they stood when the snapshot was taken.
struct CoverageSnapshot {
    std::chrono::year_month_day date;  // the local date (Asia/Ho_Chi_Minh) it stands for
    std::string unit_code;
    CoverageFigures figures;

    std::optional<double> installed() const { return figures.installed(); }
    std::optional<double> working() const { return figures.working(); }
    bool operator==(const CoverageSnapshot&) const = default;
};

// Vietnam's UTC offset: +07:00 all year (no daylight saving time since 1975).
inline constexpr std::chrono::minutes kVietnamUtcOffset{7 * 60};

// The local calendar date of `t` at `utc_offset`.
std::chrono::year_month_day local_date(TimePoint t,
                                       std::chrono::minutes utc_offset = kVietnamUtcOffset);

// One snapshot per unit of engine.units(), dated `date`. Same thread rules as the engine.
std::vector<CoverageSnapshot> daily_snapshots(const CoverageEngine& engine,
                                              std::chrono::year_month_day date);
// The same, dated with the local date in Vietnam of clock.now().
std::vector<CoverageSnapshot> daily_snapshots(const CoverageEngine& engine, const IClock& clock);

}  // namespace loa::coverage
