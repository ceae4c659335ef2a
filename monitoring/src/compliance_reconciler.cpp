#include "loa/monitoring/compliance_reconciler.hpp"

#include "loa/common/time_format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <tuple>
#include <utility>

namespace loa::monitoring {
namespace {

double seconds(Duration d) {
    return std::chrono::duration<double>(d).count();
}

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

bool zone_applies(const ScheduledItem& item, const std::string& zone) {
    return item.zones.empty() ||
           std::find(item.zones.begin(), item.zones.end(), zone) != item.zones.end();
}

// The length of the union of `spans` clipped to [begin, end).
Duration union_length(std::vector<Interval> spans, TimePoint begin, TimePoint end) {
    for (auto& s : spans) {
        s.begin = std::max(s.begin, begin);
        s.end = std::min(s.end, end);
    }
    std::erase_if(spans, [](const Interval& s) { return s.end <= s.begin; });
    std::sort(spans.begin(), spans.end(),
              [](const Interval& a, const Interval& b) { return a.begin < b.begin; });
    Duration total{0};
    TimePoint covered_to = TimePoint::min();
    for (const auto& s : spans) {
        const TimePoint from = std::max(s.begin, covered_to);
        if (s.end > from) {
            total += s.end - from;
            covered_to = s.end;
        }
    }
    return total;
}

int rank(Verdict v) {
    switch (v) {
        case Verdict::aired:
            return 0;
        case Verdict::partly_aired:
            return 1;
        case Verdict::missed:
            return 2;
        case Verdict::pending:
            return -1;
    }
    return -1;
}

// One record's outcome, before the records of several zones are combined.
struct Outcome {
    Verdict verdict = Verdict::missed;
    std::optional<MissReason> reason;
    double aired_seconds = 0.0;
    std::string detail;
};

// The facts of one reconciliation, indexed by station.
class Facts {
public:
    explicit Facts(const ComplianceInput& input) {
        for (const auto& o : input.offline) {
            offline_[o.station_id].push_back(&o);
        }
        for (const auto& f : input.faults) {
            faults_[f.station_id].push_back(&f);
        }
        for (const auto& u : input.unsynchronised) {
            unsynchronised_[u.station_id].push_back(&u);
        }
        for (const auto& d : input.dead_air) {
            dead_air_[d.station_id].push_back(&d);
        }
    }

    const StationOffline* offline_during(const std::string& station, TimePoint b,
                                         TimePoint e) const {
        const auto it = offline_.find(station);
        if (it == offline_.end()) {
            return nullptr;
        }
        for (const auto* o : it->second) {
            if (o->when.overlaps(b, e)) {
                return o;
            }
        }
        return nullptr;
    }

    const ZoneFault* fault_at(const ScheduledItem& item, TimePoint t) const {
        const auto it = faults_.find(item.station_id);
        if (it == faults_.end()) {
            return nullptr;
        }
        for (const auto* f : it->second) {
            if (f->when.contains(t) && zone_applies(item, f->zone)) {
                return f;
            }
        }
        return nullptr;
    }

    bool unsynchronised_at(const std::string& station, TimePoint t) const {
        const auto it = unsynchronised_.find(station);
        if (it == unsynchronised_.end()) {
            return false;
        }
        return std::any_of(it->second.begin(), it->second.end(),
                           [t](const ClockUnsynchronised* u) { return u->when.contains(t); });
    }

    Duration dead_air_within(const ScheduledItem& item, TimePoint b, TimePoint e) const {
        const auto it = dead_air_.find(item.station_id);
        if (it == dead_air_.end()) {
            return Duration{0};
        }
        std::vector<Interval> spans;
        for (const auto* d : it->second) {
            if (zone_applies(item, d->zone)) {
                spans.push_back(d->when);
            }
        }
        return union_length(std::move(spans), b, e);
    }

private:
    std::map<std::string, std::vector<const StationOffline*>> offline_;
    std::map<std::string, std::vector<const ZoneFault*>> faults_;
    std::map<std::string, std::vector<const ClockUnsynchronised*>> unsynchronised_;
    std::map<std::string, std::vector<const DeadAir*>> dead_air_;
};

}  // namespace

ComplianceReconciler::ComplianceReconciler() : ComplianceReconciler(Options{}) {}

ComplianceReconciler::ComplianceReconciler(Options options) : options_{options} {}

std::optional<MissReason> ComplianceReconciler::reason_from_text(std::string_view text) {
    if (starts_with(text, "asset missing") || starts_with(text, "asset has no audio") ||
        starts_with(text, "asset cannot be decoded") || starts_with(text, "decode error")) {
        return MissReason::asset_missing;
    }
    if (starts_with(text, "amplifier fault") || starts_with(text, "amplifier off")) {
        return MissReason::amplifier_fault;
    }
    if (starts_with(text, "preempted by")) {
        return MissReason::preempted;
    }
    if (starts_with(text, "agent was not running") || starts_with(text, "agent stopped")) {
        return MissReason::agent_not_running;
    }
    if (starts_with(text, "timeline arrived after start time")) {
        return MissReason::offline;
    }
    return std::nullopt;
}

std::vector<ItemCompliance> ComplianceReconciler::reconcile(const ComplianceInput& input) const {
    const Facts facts{input};
    std::map<std::pair<std::string, std::string>, std::vector<const AsRun*>> records;
    for (const auto& r : input.as_run) {
        records[{r.station_id, r.item_id}].push_back(&r);
    }

    // The reason of a failure the agent's text does not name.
    const auto reason_of_failure = [&](const ScheduledItem& item,
                                       const std::string& text) -> MissReason {
        if (auto r = reason_from_text(text)) {
            return *r;
        }
        const bool unsynchronised = facts.unsynchronised_at(item.station_id, item.start);
        if (starts_with(text, "missed start time")) {
            return unsynchronised ? MissReason::clock_unsynchronised
                                  : MissReason::agent_not_running;
        }
        if (facts.fault_at(item, item.start) != nullptr) {
            return MissReason::amplifier_fault;
        }
        if (unsynchronised) {
            return MissReason::clock_unsynchronised;
        }
        return MissReason::no_report;
    };

    const auto judge = [&](const ScheduledItem& item, const AsRun& r) {
        Outcome o;
        o.detail = r.reason;
        if (r.status == AsRunStatus::failed) {
            o.verdict = Verdict::missed;
            o.reason = reason_of_failure(item, r.reason);
            return o;
        }
        Duration window = item.duration;
        if (r.started_at && r.ended_at) {
            window = std::max(Duration{0}, *r.ended_at - *r.started_at);
        }
        const Duration paused = std::chrono::milliseconds{r.paused_ms};
        o.aired_seconds = std::max(0.0, seconds(window - paused));
        if (r.status == AsRunStatus::completed) {
            o.verdict = Verdict::aired;
        } else {
            o.verdict = o.aired_seconds > 0.0 ? Verdict::partly_aired : Verdict::missed;
            o.reason = reason_of_failure(item, r.reason);
        }
        if (r.started_at && r.ended_at && window > Duration{0}) {
            const Duration dead = facts.dead_air_within(item, *r.started_at, *r.ended_at);
            if (dead > Duration{0}) {
                o.aired_seconds = std::max(0.0, o.aired_seconds - seconds(dead));
                const double fraction = seconds(dead) / seconds(window);
                const std::string note = fmt::format("dead air {:.1f} s", seconds(dead));
                o.detail = o.detail.empty() ? note : o.detail + "; " + note;
                if (fraction > options_.dead_air_missed_fraction) {
                    o.verdict = Verdict::missed;
                    o.reason = MissReason::dead_air;
                } else if (o.verdict == Verdict::aired) {
                    o.verdict = Verdict::partly_aired;
                    o.reason = MissReason::dead_air;
                }
            }
        }
        if (o.verdict == Verdict::aired && facts.unsynchronised_at(item.station_id, item.start)) {
            o.verdict = Verdict::partly_aired;
            o.reason = MissReason::clock_unsynchronised;
            o.detail = o.detail.empty() ? "clock unsynchronised at the planned start"
                                        : o.detail + "; clock unsynchronised at the planned start";
        }
        return o;
    };

    std::vector<ItemCompliance> out;
    out.reserve(input.items.size());
    for (const auto& item : input.items) {
        ItemCompliance c;
        c.item = item;
        c.scheduled_seconds = seconds(item.duration);
        const auto found = records.find({item.station_id, item.item_id});
        if (found != records.end()) {
            // Several zones: the worst outcome decides; it is partly aired when another zone
            // aired, and the item's airtime is the longest any zone gave it (an item missed
            // for dead air keeps the seconds that did sound).
            std::optional<Outcome> worst;
            bool any_aired = false;
            double aired = 0.0;
            for (const AsRun* r : found->second) {
                Outcome o = judge(item, *r);
                aired = std::max(aired, o.aired_seconds);
                any_aired = any_aired || o.verdict != Verdict::missed;
                const auto key = [](const Outcome& x) {
                    return std::make_tuple(
                        rank(x.verdict),
                        -static_cast<int>(x.reason.value_or(MissReason::no_report)));
                };
                if (!worst || key(o) > key(*worst)) {
                    worst = std::move(o);
                }
            }
            c.verdict = worst->verdict;
            c.reason = worst->reason;
            c.detail = worst->detail;
            if (c.verdict == Verdict::missed && any_aired) {
                c.verdict = Verdict::partly_aired;
            }
            c.aired_seconds = aired;
            out.push_back(std::move(c));
            continue;
        }

        const TimePoint report_due = item.end() + options_.report_grace;
        c.verdict = Verdict::missed;
        if (input.as_of < item.start) {
            c.verdict = Verdict::pending;
        } else if (const auto* o = facts.offline_during(item.station_id, item.start, report_due)) {
            c.reason = MissReason::offline;
            c.detail = "station offline from " + format_utc(o->when.begin);
        } else if (const auto* f = facts.fault_at(item, item.start)) {
            c.reason = MissReason::amplifier_fault;
            c.detail = "zone " + f->zone + ": " + f->fault;
        } else if (facts.unsynchronised_at(item.station_id, item.start)) {
            c.reason = MissReason::clock_unsynchronised;
            c.detail = "clock unsynchronised at the planned start";
        } else if (input.as_of < report_due) {
            c.verdict = Verdict::pending;
        } else {
            c.reason = MissReason::no_report;
            c.detail = "no as-run record";
        }
        out.push_back(std::move(c));
    }
    return out;
}

}  // namespace loa::monitoring
