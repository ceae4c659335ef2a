#include "loa/coverage/coverage_snapshot.hpp"

namespace loa::coverage {

std::chrono::year_month_day local_date(TimePoint t, std::chrono::minutes utc_offset) {
    const auto local = t + utc_offset;
    return std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(local)};
}

std::vector<CoverageSnapshot> daily_snapshots(const CoverageEngine& engine,
                                              std::chrono::year_month_day date) {
    std::vector<CoverageSnapshot> out;
    for (UnitCoverage& unit : engine.units()) {
        out.push_back(CoverageSnapshot{date, std::move(unit.unit_code), unit.figures});
    }
    return out;
}

std::vector<CoverageSnapshot> daily_snapshots(const CoverageEngine& engine, const IClock& clock) {
    return daily_snapshots(engine, local_date(clock.now()));
}

}  // namespace loa::coverage
