#pragma once

#include "loa/common/clock.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loa::monitoring {

// Plain data in, plain data out: the compliance reconciliation (docs/monitoring.md) knows
// nothing of the store, the wire or the network. Every type here is a value; any thread may use
// its own copies.

// [begin, end): an instant range. An interval that has not ended yet has end = TimePoint::max().
struct Interval {
    TimePoint begin{};
    TimePoint end{};

    Duration length() const { return end > begin ? end - begin : Duration{0}; }
    bool contains(TimePoint t) const { return begin <= t && t < end; }
    bool overlaps(TimePoint b, TimePoint e) const { return begin < e && b < end; }
};

// One occurrence of a programme on one station's timeline, as the scheduler compiled it.
struct ScheduledItem {
    std::string item_id;
    std::string entry_id;        // the schedule entry (the programme) it came from
    std::string title;           // the item's own title
    std::string entry_title;     // the programme's (entry's) title
    std::string priority_class;  // "emergency", "province", "district", "commune", "filler"
    TimePoint start{};
    Duration duration{};
    std::string station_id;
    std::vector<std::string> zones;  // the zones it switches on; empty: every zone

    TimePoint end() const { return start + duration; }
};

enum class AsRunStatus : std::uint8_t { completed, failed, interrupted };

// An as-run record the station's agent sent (one per zone that played the item).
struct AsRun {
    std::string station_id;
    std::string item_id;
    AsRunStatus status = AsRunStatus::completed;
    std::string reason;                   // the agent's text, e.g. "asset missing"
    std::optional<TimePoint> started_at;  // none: it never started
    std::optional<TimePoint> ended_at;
    std::uint64_t paused_ms = 0;
    std::string preempted_by;  // item id of the first higher item over it; empty: none
};

// A station's offline spell (no heartbeat for the offline threshold), from the heartbeats.
struct StationOffline {
    std::string station_id;
    Interval when;
};

// An amplifier fault on one zone of a station.
struct ZoneFault {
    std::string station_id;
    std::string zone;
    std::string fault;  // the agent's text
    Interval when;
};

// A spell when a station's clock was not synchronised (offset beyond tolerance or unknown).
struct ClockUnsynchronised {
    std::string station_id;
    Interval when;
};

// Dead air the agent's output monitor reported on one zone.
struct DeadAir {
    std::string station_id;
    std::string zone;
    Interval when;
};

// Everything the reconciliation reads for one period.
struct ComplianceInput {
    std::vector<ScheduledItem> items;
    std::vector<AsRun> as_run;
    std::vector<StationOffline> offline;
    std::vector<ZoneFault> faults;
    std::vector<ClockUnsynchronised> unsynchronised;
    std::vector<DeadAir> dead_air;
    // The time the facts are known up to: an item whose end + report_grace is later has no
    // verdict yet (Verdict::pending) unless a record already says what happened.
    TimePoint as_of{};
};

enum class Verdict : std::uint8_t { aired, partly_aired, missed, pending };

// Exactly one reason for each item not aired in full; precedence in docs/monitoring.md.
enum class MissReason : std::uint8_t {
    offline,
    amplifier_fault,
    preempted,
    asset_missing,
    clock_unsynchronised,
    dead_air,
    agent_not_running,
    no_report,
};
inline constexpr std::size_t kMissReasonCount = 8;
inline constexpr std::array<MissReason, kMissReasonCount> kMissReasons{
    MissReason::offline,
    MissReason::amplifier_fault,
    MissReason::preempted,
    MissReason::asset_missing,
    MissReason::clock_unsynchronised,
    MissReason::dead_air,
    MissReason::agent_not_running,
    MissReason::no_report,
};

enum class Language : std::uint8_t { vi, en };

// "aired", "partly_aired", "missed", "pending"; "offline", "amplifier_fault", ... (stable
// machine names, used in CSV, JSON and the API).
std::string_view verdict_name(Verdict v);
std::string_view reason_name(MissReason r);
// Words for people: "đã phát" / "aired", "mất kết nối" / "offline", ...
std::string_view verdict_label(Verdict v, Language language);
std::string_view reason_label(MissReason r, Language language);

// The verdict on one scheduled item.
struct ItemCompliance {
    ScheduledItem item;
    Verdict verdict = Verdict::pending;
    std::optional<MissReason> reason;  // set for partly_aired and missed; never for aired
    double scheduled_seconds = 0.0;
    double aired_seconds = 0.0;  // what went out (played, not paused, not dead air)
    std::string detail;          // the agent's reason text or what the facts showed
};

}  // namespace loa::monitoring
