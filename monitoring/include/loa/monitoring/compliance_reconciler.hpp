#pragma once

#include "loa/monitoring/compliance_types.hpp"

#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

namespace loa::monitoring {

// Reconciles what was scheduled with what aired, as radio automation systems reconcile their
// logs against the schedule: one ItemCompliance per scheduled item, in the input's order.
//
// Per item, the records of its station and item id are read (an agent writes one per zone):
// - a record's reason text maps to a MissReason ("asset missing", "decode error: ..." ->
//   asset_missing; "amplifier fault: ...", "amplifier off ..." -> amplifier_fault;
//   "preempted by ..." -> preempted; "agent was not running at start time", "agent stopped
//   while playing" -> agent_not_running; "timeline arrived after start time" -> offline;
//   "missed start time" -> clock_unsynchronised when the clock was, else agent_not_running);
//   a failure whose text names none of them takes the reason the facts give (below), else
//   no_report;
// - COMPLETED is aired; INTERRUPTED is partly aired (missed when nothing went out); FAILED is
//   missed; records of several zones that disagree make the item partly aired, with the
//   reason of the zone that did worst;
// - dead air on the item's zones while it played is taken off its aired seconds: above
//   `dead_air_missed_fraction` of what played the item is missed for dead_air, any less
//   makes it partly aired for dead_air;
// - an item that aired while the station's clock was unsynchronised at its planned start is
//   partly aired for clock_unsynchronised (it went out, at a time nobody can vouch for).
// With no record at all: offline if the station was offline at any moment from the planned
// start to end + report_grace, else amplifier_fault if one of its zones was faulted at the
// planned start, else clock_unsynchronised if its clock was then, else pending while
// as_of < end + report_grace, else no_report.
//
// Immutable; any thread may call reconcile() at once.
class ComplianceReconciler {
public:
    struct Options {
        // Above this fraction of an aired item's playing time in dead air, it counts as missed.
        double dead_air_missed_fraction = 0.5;
        // How long after an item's end its record may take to arrive before it is "no report".
        Duration report_grace = std::chrono::minutes{10};
    };

    ComplianceReconciler();
    explicit ComplianceReconciler(Options options);

    std::vector<ItemCompliance> reconcile(const ComplianceInput& input) const;

    // The MissReason a failure text of the agent names, if any ("asset missing" -> asset_missing).
    // "missed start time" needs the clock facts and maps to none here.
    static std::optional<MissReason> reason_from_text(std::string_view text);

private:
    Options options_;
};

}  // namespace loa::monitoring
