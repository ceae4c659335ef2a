#pragma once

#include "loa/common/clock.hpp"
#include "loa/common/time_format.hpp"
#include "loa/scheduler/recurrence.hpp"
#include "loa/wire/loa.pb.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

// The plain data of broadcast planning: programmes, schedule entries, and what the timeline
// compiler (timeline_compiler.hpp) makes of them. Instants are UTC.
namespace loa::scheduler {

// High to low: EMERGENCY > PROVINCE > DISTRICT > COMMUNE > FILLER (the wire enum's numbers grow
// with the class, so a larger value wins).
using PriorityClass = wire::PriorityClass;

// "emergency", "province", "district", "commune", "filler"; "unspecified" otherwise.
std::string_view priority_class_name(PriorityClass priority);
std::optional<PriorityClass> parse_priority_class(std::string_view name);

// What happens to an occurrence that loses its slot to a higher one (see TimelineCompiler).
enum class CutPolicy : std::uint8_t { shorten, move, drop };
std::string_view cut_policy_name(CutPolicy policy);
std::optional<CutPolicy> parse_cut_policy(std::string_view name);

// Only approved entries air. A draft is being prepared; a retired entry never airs again.
enum class EntryState : std::uint8_t { draft, approved, retired };
std::string_view entry_state_name(EntryState state);
std::optional<EntryState> parse_entry_state(std::string_view name);

struct ProgrammeAsset {
    std::string asset_id;
    Duration duration{};
};

// An ordered playlist of assets. (A live source is a later kind of programme.)
struct Programme {
    std::string id;
    std::string title;
    std::vector<ProgrammeAsset> assets;

    Duration total_duration() const;
};

// One asset to air.
struct AssetContent {
    std::string asset_id;
    Duration duration{};
};

// A programme to air, by id.
struct ProgrammeContent {
    std::string programme_id;
};

using EntryContent = std::variant<AssetContent, ProgrammeContent>;

struct ZoneTarget {
    std::string station_id;
    std::string zone;
};

// Where an entry airs: the union of whole units (each with its whole subtree: every station
// attached to the unit or to a unit under it), whole stations (all their zones), and single
// zones of stations.
struct EntryTargets {
    std::vector<std::string> units;
    std::vector<std::string> stations;
    std::vector<ZoneTarget> zones;

    bool empty() const { return units.empty() && stations.empty() && zones.empty(); }
};

// A schedule entry: what × where × when × priority class, with a validity window and a state.
struct ScheduleEntry {
    std::int64_t id = 0;  // > 0
    std::string title;
    EntryContent what;
    EntryTargets where;
    // When: every occurrence of `recurrence`, or else once at `at`.
    TimePoint at{};
    std::optional<Recurrence> recurrence;
    PriorityClass priority = wire::COMMUNE;
    CutPolicy cut_policy = CutPolicy::shorten;
    // Only occurrences starting in [valid_from, valid_until) air, and an occurrence that is
    // moved must still end by valid_until.
    TimePoint valid_from = TimePoint::min();
    TimePoint valid_until = TimePoint::max();
    EntryState state = EntryState::draft;
    TimePoint approved_at{};  // among entries of one class, the earlier approval wins
};

// One item of a station's compiled timeline: an occurrence of an entry, as it will air.
struct CompiledItem {
    std::int64_t entry_id = 0;
    TimePoint occurrence{};  // the occurrence's planned start; with entry_id, names it
    TimePoint start{};       // when it airs: later than `occurrence` when moved
    Duration duration{};     // how long it airs: less than the content's length when shortened
    PriorityClass priority = wire::PRIORITY_CLASS_UNSPECIFIED;
    std::uint64_t zones = 0;        // bit i set: the station's zones[i] are switched on
    std::uint64_t content_key = 0;  // changes whenever the entry's title or content changes

    TimePoint end() const { return start + duration; }
    bool operator==(const CompiledItem&) const = default;
};

// One asset of an item: it starts `offset` after the item does and plays for `duration`.
struct ItemAsset {
    std::string asset_id;
    Duration offset{};
    Duration duration{};

    bool operator==(const ItemAsset&) const = default;
};

enum class ConflictAction : std::uint8_t {
    shortened,             // airs from its start until the winner begins: `duration` is left
    moved,                 // airs in full from `start`, the next free slot
    dropped,               // does not air at this station
    retired_while_airing,  // was airing at compile time and its entry is retired or gone
    changed_while_airing,  // was airing at compile time and its entry changed under it
};
std::string_view conflict_action_name(ConflictAction action);

// What happened to one occurrence at one station, and because of which other occurrence. Never
// silent: every occurrence that does not air as planned has one.
struct Conflict {
    ConflictAction action = ConflictAction::dropped;
    std::int64_t entry_id = 0;  // the occurrence that lost (or was airing)
    TimePoint occurrence{};
    PriorityClass priority = wire::PRIORITY_CLASS_UNSPECIFIED;
    std::int64_t winner_entry_id = 0;  // the occurrence it lost to; 0 for the *_while_airing
    TimePoint winner_occurrence{};
    PriorityClass winner_priority = wire::PRIORITY_CLASS_UNSPECIFIED;
    // What airs of it now: shortened: [start, start + duration); moved: the new slot; dropped:
    // zero. For the *_while_airing actions: the item as it was airing.
    TimePoint start{};
    Duration duration{};

    // "entry 7 (commune) at 2026-11-27T17:35:00+07:00 lost to entry 2 (province) at
    // 2026-11-27T17:30:00+07:00 at station 30280: moved to 2026-11-27T18:00:00+07:00"
    std::string describe(std::string_view station_id, std::string_view zone = kDefaultZone) const;
    bool operator==(const Conflict&) const = default;
};

// A station's compiled timeline over [horizon_start, horizon_end).
struct StationPlan {
    std::string station_id;
    std::uint64_t revision = 0;  // 0: never compiled; bumped each time `items` change
    TimePoint horizon_start{};
    TimePoint horizon_end{};
    std::vector<CompiledItem> items;  // by start, never overlapping
    std::vector<Conflict> conflicts;  // of the last compilation, in the order they were found
};

struct StationConflict {
    std::string station_id;
    Conflict conflict;
};

// What a compilation did.
struct CompileReport {
    TimePoint horizon_start{};
    TimePoint horizon_end{};
    std::size_t stations_compiled = 0;
    std::vector<std::string> changed_stations;  // their items changed and their revision rose
    std::vector<std::string> problems;          // entries that could not be expanded, and why
};

}  // namespace loa::scheduler
