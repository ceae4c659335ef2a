#pragma once

#include "loa/common/clock.hpp"
#include "loa/common/result.hpp"
#include "loa/scheduler/admin_units.hpp"
#include "loa/scheduler/planning.hpp"
#include "loa/scheduler/station_csv.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace loa::scheduler {

struct CompilerOptions {
    // Timelines cover [now, now + horizon).
    Duration horizon = std::chrono::hours{24 * 7};
    // A shortened occurrence keeps at least this much; a shorter remainder is moved instead.
    Duration min_shortened = std::chrono::seconds{10};
};

// Compiles schedule entries into one timeline per station over a rolling horizon, and keeps
// them: after a change to some entries, recompile() touches only the stations those entries
// target (before or after the change).
//
// What compiles: every occurrence of every approved entry that starts in the entry's validity
// window, before the horizon's end, and has not ended by `now` (an item airing at `now` stays).
// Drafts and retired entries do not compile.
//
// A station is one audio channel: two items overlap when their times overlap, whatever zones
// they switch on. Overlaps are resolved one station at a time, by rank: the higher priority
// class first (emergency > province > district > commune > filler); within a class the earlier
// approved_at, then the lower entry id, then the earlier occurrence. Occurrences are placed in
// rank order; one that overlaps anything already placed loses to the earliest such item (the
// winner) and follows its entry's cut policy:
// - drop: it does not air at this station.
// - shorten: when its own start is free, it airs from its start until the next placed item
//   begins, provided at least options.min_shortened remains. When its start is taken (a winner
//   starts at or before it) or less would remain, it is moved as below.
// - move: it airs in full in the first free slot starting at or after its planned start (never
//   before `now`) that ends within the horizon and its validity window; if there is none it is
//   dropped.
// An occurrence that started before `now` (it is airing) is never moved: if it loses, it is cut
// where the winner begins (whatever its policy) or dropped when it cannot be.
// A moved or shortened item then holds its new slot against every lower-ranked occurrence.
// Each loser gets a Conflict (ConflictAction shortened, moved or dropped) naming the winner.
//
// When a station is compiled again, each item of its previous timeline that was airing at the
// new `now` and is not in the new timeline gets a Conflict too: retired_while_airing when its
// entry was retired or removed, changed_while_airing when its entry was edited (unless the
// occurrence already has a conflict of the resolution above). The playout engine decides
// whether to cut it.
//
// Not thread-safe: one thread (the scheduler's planning thread, or a caller holding a lock)
// calls every method. Time is read from the injected clock once per compile_all()/recompile().
class TimelineCompiler {
public:
    explicit TimelineCompiler(const IClock& clock, CompilerOptions options = {});
    TimelineCompiler(const TimelineCompiler&) = delete;
    TimelineCompiler& operator=(const TimelineCompiler&) = delete;

    // Replaces the unit tree and the stations. Fails, changing nothing, when a station has a
    // problem (station_problems) or two share an id. Entries whose targets no longer resolve
    // keep the targets that do; the value lists them ("entry 5: unit 883 is not a known unit").
    // Stations that stay keep their timelines (and revisions) until the next compile_all(), which
    // compiles every station; new stations start with an empty timeline, revision 0.
    Result<std::vector<std::string>> set_network(AdminUnitTree tree, std::vector<Station> stations);
    const AdminUnitTree& tree() const { return tree_; }

    // Adds or replaces a programme. Entries that play it see the change when they are
    // recompiled: pass entries_playing(id) to recompile().
    Status set_programme(Programme programme);
    std::vector<std::int64_t> entries_playing(std::string_view programme_id) const;

    // Adds or replaces an entry, without compiling. Checks: id > 0, a known priority class, an
    // asset with a positive duration or a known programme that is not empty, at least one
    // target, every target known (unit, station, zone of the station), valid_from < valid_until,
    // and that the recurrence expands over the horizon. The stations the entry reached before
    // are remembered for recompile().
    Status upsert_entry(ScheduleEntry entry);
    // Removes an entry (recompile() then clears it from its stations).
    Status remove_entry(std::int64_t id);
    const ScheduleEntry* entry(std::int64_t id) const;
    std::size_t entry_count() const { return entry_index_.size(); }

    // Compiles every station over [now, now + horizon).
    CompileReport compile_all();
    // Compiles only the stations that the given entries reached when last compiled or reach
    // now; every other station keeps its timeline untouched. Unknown ids are ignored.
    CompileReport recompile(std::span<const std::int64_t> changed_entry_ids);

    // What scheduling `candidate` (a new entry, or a new version of one) would do, without
    // changing anything: the conflicts, at the stations it would reach, in which it loses or
    // wins, as if it were approved now (when not approved yet). Fails when upsert_entry would.
    Result<std::vector<StationConflict>> preview(const ScheduleEntry& candidate);

    // Stations in a fixed order (the tree's pre-order of their units).
    std::span<const StationPlan> plans() const { return plans_; }
    const StationPlan* plan(std::string_view station_id) const;
    const Station* station(std::string_view station_id) const;
    // The ids of the stations `entry`'s targets reach, in station order (the entry need not be
    // stored). Unknown targets reach nothing.
    std::vector<std::string> stations_reached(const ScheduleEntry& entry) const;

    // The assets `item` plays, in order, clipped to the item's duration (as its entry is now).
    std::vector<ItemAsset> assets_of(const CompiledItem& item) const;
    // The names of the zones an item's mask switches on at `station_id`.
    std::vector<std::string> zone_names(std::string_view station_id, std::uint64_t zones) const;

private:
    struct StationRange {
        std::uint32_t first = 0;  // station indices [first, last)
        std::uint32_t last = 0;
        std::uint64_t zones = 0;  // ~0: every zone
    };
    // An entry as the compiler keeps it.
    struct EntrySlot {
        ScheduleEntry entry;
        bool live = false;
        Duration duration{};
        std::uint64_t content_key = 0;
        std::vector<StationRange> reach;  // where it is listed in station_entries_ (approved)
        // Occurrences expanded over [cached_from, cached_to), sorted.
        std::vector<TimePoint> occurrences;
        TimePoint cached_from{};
        TimePoint cached_to{};
        bool cached = false;
        std::string problem;  // why it could not be expanded
    };
    // An entry listed at a station.
    struct StationEntry {
        std::uint32_t slot = 0;
        std::uint64_t zones = 0;
    };
    // An occurrence competing for a station's time.
    struct Candidate {
        std::int32_t priority = 0;
        TimePoint approved_at{};
        std::int64_t entry_id = 0;
        TimePoint occurrence{};
        Duration duration{};
        std::uint64_t zones = 0;
        std::uint64_t content_key = 0;
        TimePoint valid_until{};
        CutPolicy policy = CutPolicy::shorten;
    };
    // A placed item: [start, end) and the candidate it came from.
    struct Busy {
        TimePoint start{};
        TimePoint end{};
        std::uint32_t candidate = 0;
    };
    struct Horizon {
        TimePoint start{};
        TimePoint end{};
    };
    struct CodeHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const {
            return std::hash<std::string_view>{}(s);
        }
    };
    using IdIndex = std::unordered_map<std::string, std::uint32_t, CodeHash, std::equal_to<>>;

    Status check_entry(const ScheduleEntry& entry, Duration& duration) const;
    std::vector<StationRange> resolve(const EntryTargets& targets,
                                      std::vector<std::string>* problems) const;
    std::uint64_t content_key_of(const ScheduleEntry& entry) const;
    Duration duration_of(const ScheduleEntry& entry) const;
    void list_entry(std::uint32_t slot);
    void unlist_entry(std::uint32_t slot);
    void remember_reach(std::int64_t id, const std::vector<StationRange>& reach);
    // Makes sure slot.occurrences covers what `horizon` needs; false when it cannot.
    bool prepare(EntrySlot& slot, const Horizon& horizon);
    void add_candidates(const EntrySlot& slot, std::uint64_t zones, const Horizon& horizon,
                        std::vector<Candidate>& out) const;
    // Resolves `candidates` (reordered) into items and conflicts.
    void resolve_station(std::vector<Candidate>& candidates, const Horizon& horizon,
                         std::vector<CompiledItem>& items, std::vector<Conflict>& conflicts);
    void gather(std::uint32_t station, const Horizon& horizon, std::vector<Candidate>& out,
                std::int64_t skip_entry);
    // Compiles one station into plans_; true when its items changed.
    bool compile_station(std::uint32_t station, const Horizon& horizon);
    Horizon horizon_now() const;
    CompileReport compile(std::span<const std::uint32_t> stations, const Horizon& horizon);

    const IClock& clock_;
    CompilerOptions options_;
    AdminUnitTree tree_;
    std::vector<Station> stations_;            // ordered by their unit's pre-order position
    std::vector<std::uint32_t> station_unit_;  // pre-order position of each station's unit
    std::vector<std::uint64_t> station_all_zones_;
    IdIndex station_index_;
    std::vector<StationPlan> plans_;
    std::unordered_map<std::string, Programme, CodeHash, std::equal_to<>> programmes_;

    std::vector<EntrySlot> entries_;
    std::vector<std::uint32_t> free_slots_;
    std::unordered_map<std::int64_t, std::uint32_t> entry_index_;
    std::vector<std::vector<StationEntry>> station_entries_;
    // Entries changed since they were last compiled, and the stations they reached then.
    std::unordered_map<std::int64_t, std::vector<StationRange>> previous_reach_;

    // Scratch space, kept between compilations so steady-state compiling does not allocate.
    std::vector<Candidate> candidates_;
    std::vector<std::uint32_t> order_;
    std::vector<Busy> busy_;
    std::vector<CompiledItem> items_;
    std::vector<Conflict> conflicts_;
    std::vector<std::uint32_t> marks_;
    std::uint32_t mark_ = 0;
};

}  // namespace loa::scheduler
