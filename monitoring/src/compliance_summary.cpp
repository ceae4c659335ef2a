#include "loa/monitoring/compliance_summary.hpp"

#include <cstddef>
#include <set>

namespace loa::monitoring {

void ComplianceTotals::add(const ItemCompliance& item) {
    if (item.verdict == Verdict::pending) {
        ++pending;
        return;
    }
    ++scheduled;
    scheduled_seconds += item.scheduled_seconds;
    aired_seconds += item.aired_seconds;
    const auto index = static_cast<std::size_t>(item.reason.value_or(MissReason::no_report));
    switch (item.verdict) {
        case Verdict::aired:
            ++aired;
            break;
        case Verdict::partly_aired:
            ++partly_aired;
            ++partly_by_reason.at(index);
            break;
        case Verdict::missed:
            ++missed;
            ++missed_by_reason.at(index);
            break;
        case Verdict::pending:
            break;
    }
}

std::size_t ComplianceTotals::missed_for(MissReason r) const {
    return missed_by_reason.at(static_cast<std::size_t>(r));
}

std::size_t ComplianceTotals::partly_for(MissReason r) const {
    return partly_by_reason.at(static_cast<std::size_t>(r));
}

std::optional<double> ComplianceTotals::aired_ratio() const {
    if (scheduled_seconds <= 0.0) {
        return std::nullopt;
    }
    return aired_seconds / scheduled_seconds;
}

ComplianceSummary summarise(const std::vector<ItemCompliance>& items, const UnitMap& units,
                            std::string_view zone) {
    ComplianceSummary s;
    for (const auto& c : items) {
        s.total.add(c);
        s.by_station[c.item.station_id].add(c);
        s.by_entry[c.item.entry_id].add(c);
        if (!c.item.entry_title.empty()) {
            s.entry_titles.emplace(c.item.entry_id, c.item.entry_title);
        }
        s.by_day[format_local(c.item.start, zone).substr(0, 10)].add(c);

        const auto unit = units.station_unit.find(c.item.station_id);
        std::string code = unit != units.station_unit.end() ? unit->second : std::string{};
        std::set<std::string> seen;  // a cycle in the parent map must not loop for ever
        while (seen.insert(code).second) {
            s.by_unit[code].add(c);
            const auto parent = units.parent.find(code);
            if (parent == units.parent.end()) {
                break;
            }
            code = parent->second;
        }
    }
    return s;
}

}  // namespace loa::monitoring
