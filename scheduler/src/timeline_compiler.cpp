#include "loa/scheduler/timeline_compiler.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace loa::scheduler {

namespace {

constexpr std::uint64_t kAllZones = ~std::uint64_t{0};

std::uint64_t zone_mask(std::size_t zone_count) {
    return zone_count >= 64 ? kAllZones : (std::uint64_t{1} << zone_count) - 1;
}

// FNV-1a, for content keys.
class Fnv {
public:
    void add(std::string_view s) {
        for (const char c : s) {
            h_ = (h_ ^ static_cast<std::uint8_t>(c)) * 0x100000001b3ULL;
        }
        add_int(s.size());
    }
    void add_int(std::uint64_t v) {
        for (int i = 0; i < 8; ++i) {
            h_ = (h_ ^ ((v >> (8 * i)) & 0xFF)) * 0x100000001b3ULL;
        }
    }
    std::uint64_t value() const { return h_; }

private:
    std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

// Rank order: higher class, earlier approval, lower id, earlier occurrence.
template <class C>
bool ranks_before(const C& a, const C& b) {
    if (a.priority != b.priority) {
        return a.priority > b.priority;
    }
    if (a.approved_at != b.approved_at) {
        return a.approved_at < b.approved_at;
    }
    if (a.entry_id != b.entry_id) {
        return a.entry_id < b.entry_id;
    }
    return a.occurrence < b.occurrence;
}

bool valid_class(PriorityClass p) {
    return p == wire::FILLER || p == wire::COMMUNE || p == wire::DISTRICT || p == wire::PROVINCE ||
           p == wire::EMERGENCY;
}

}  // namespace

TimelineCompiler::TimelineCompiler(const IClock& clock, CompilerOptions options)
    : clock_{clock}, options_{options} {}

Result<std::vector<std::string>> TimelineCompiler::set_network(AdminUnitTree tree,
                                                               std::vector<Station> stations) {
    std::string problems;
    IdIndex seen;
    for (std::uint32_t i = 0; i < stations.size(); ++i) {
        const auto& s = stations[i];
        for (const auto& p : station_problems(s, tree)) {
            problems += (problems.empty() ? "" : "\n") + ("station " + s.id + ": " + p);
        }
        if (!seen.emplace(s.id, i).second) {
            problems += (problems.empty() ? "" : "\n") + ("station " + s.id + " appears twice");
        }
    }
    if (!problems.empty()) {
        return Error{problems};
    }

    // Stations in the pre-order of their units, so a unit's subtree is a range of stations.
    std::vector<std::uint32_t> unit_of(stations.size());
    for (std::uint32_t i = 0; i < stations.size(); ++i) {
        unit_of[i] = *tree.index_of(stations[i].unit_code);
    }
    std::vector<std::uint32_t> order(stations.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) {
        order[i] = i;
    }
    std::stable_sort(order.begin(), order.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return unit_of[a] < unit_of[b]; });

    IdIndex old_index = std::move(station_index_);
    std::vector<StationPlan> old_plans = std::move(plans_);
    tree_ = std::move(tree);
    stations_.clear();
    stations_.reserve(stations.size());
    station_unit_.clear();
    station_all_zones_.clear();
    station_index_ = IdIndex{};
    plans_.clear();
    plans_.reserve(stations.size());
    for (const auto i : order) {
        const auto at = static_cast<std::uint32_t>(stations_.size());
        station_unit_.push_back(unit_of[i]);
        station_all_zones_.push_back(zone_mask(stations[i].zones.size()));
        station_index_.emplace(stations[i].id, at);
        // A station that stays keeps its timeline and revision, so changes are still seen.
        if (const auto it = old_index.find(stations[i].id); it != old_index.end()) {
            plans_.push_back(std::move(old_plans[it->second]));
        } else {
            StationPlan plan;
            plan.station_id = stations[i].id;
            plans_.push_back(std::move(plan));
        }
        stations_.push_back(std::move(stations[i]));
    }
    marks_.assign(stations_.size(), 0);
    mark_ = 0;

    // Every entry reaches new station indices.
    std::vector<std::string> warnings;
    station_entries_.assign(stations_.size(), {});
    previous_reach_.clear();
    for (std::uint32_t slot = 0; slot < entries_.size(); ++slot) {
        auto& e = entries_[slot];
        e.reach.clear();
        if (!e.live) {
            continue;
        }
        std::vector<std::string> lost;
        auto reach = resolve(e.entry.where, &lost);
        for (const auto& p : lost) {
            warnings.push_back("entry " + std::to_string(e.entry.id) + ": " + p);
        }
        if (e.entry.state == EntryState::approved) {
            e.reach = std::move(reach);
            list_entry(slot);
        }
    }
    return warnings;
}

Status TimelineCompiler::set_programme(Programme programme) {
    if (programme.id.empty()) {
        return Error{"a programme needs an id"};
    }
    for (const auto& a : programme.assets) {
        if (a.asset_id.empty() || a.duration <= Duration::zero()) {
            return Error{"programme " + programme.id +
                         ": every asset needs an id and a positive duration"};
        }
    }
    const std::string id = programme.id;
    programmes_.insert_or_assign(id, std::move(programme));
    // Entries that play it take its new length and content.
    for (auto& e : entries_) {
        if (!e.live) {
            continue;
        }
        if (const auto* p = std::get_if<ProgrammeContent>(&e.entry.what);
            p != nullptr && p->programme_id == id) {
            const auto d = duration_of(e.entry);
            if (d != e.duration) {
                e.cached = false;
            }
            e.duration = d;
            e.content_key = content_key_of(e.entry);
            remember_reach(e.entry.id, e.reach);
        }
    }
    return Status::success();
}

std::vector<std::int64_t> TimelineCompiler::entries_playing(std::string_view programme_id) const {
    std::vector<std::int64_t> ids;
    for (const auto& e : entries_) {
        if (!e.live) {
            continue;
        }
        if (const auto* p = std::get_if<ProgrammeContent>(&e.entry.what);
            p != nullptr && p->programme_id == programme_id) {
            ids.push_back(e.entry.id);
        }
    }
    std::sort(ids.begin(), ids.end());
    return ids;
}

Duration TimelineCompiler::duration_of(const ScheduleEntry& entry) const {
    if (const auto* a = std::get_if<AssetContent>(&entry.what)) {
        return a->duration;
    }
    const auto& id = std::get<ProgrammeContent>(entry.what).programme_id;
    const auto it = programmes_.find(id);
    return it == programmes_.end() ? Duration::zero() : it->second.total_duration();
}

std::uint64_t TimelineCompiler::content_key_of(const ScheduleEntry& entry) const {
    Fnv h;
    h.add(entry.title);
    if (const auto* a = std::get_if<AssetContent>(&entry.what)) {
        h.add(a->asset_id);
        h.add_int(static_cast<std::uint64_t>(a->duration.count()));
    } else {
        const auto& id = std::get<ProgrammeContent>(entry.what).programme_id;
        h.add(id);
        if (const auto it = programmes_.find(id); it != programmes_.end()) {
            for (const auto& asset : it->second.assets) {
                h.add(asset.asset_id);
                h.add_int(static_cast<std::uint64_t>(asset.duration.count()));
            }
        }
    }
    return h.value();
}

std::vector<TimelineCompiler::StationRange> TimelineCompiler::resolve(
    const EntryTargets& targets, std::vector<std::string>* problems) const {
    std::vector<StationRange> ranges;
    for (const auto& code : targets.units) {
        const auto u = tree_.index_of(code);
        if (!u) {
            if (problems != nullptr) {
                problems->push_back("unit " + code + " is not a known unit");
            }
            continue;
        }
        const auto first = std::lower_bound(station_unit_.begin(), station_unit_.end(), *u);
        const auto last = std::lower_bound(first, station_unit_.end(), tree_.subtree_end(*u));
        if (first != last) {
            ranges.push_back({static_cast<std::uint32_t>(first - station_unit_.begin()),
                              static_cast<std::uint32_t>(last - station_unit_.begin()), kAllZones});
        }
    }
    for (const auto& id : targets.stations) {
        const auto it = station_index_.find(id);
        if (it == station_index_.end()) {
            if (problems != nullptr) {
                problems->push_back("station " + id + " is not a known station");
            }
            continue;
        }
        ranges.push_back({it->second, it->second + 1, kAllZones});
    }
    for (const auto& z : targets.zones) {
        const auto it = station_index_.find(z.station_id);
        if (it == station_index_.end()) {
            if (problems != nullptr) {
                problems->push_back("station " + z.station_id + " is not a known station");
            }
            continue;
        }
        const auto& zones = stations_[it->second].zones;
        const auto zi = std::find(zones.begin(), zones.end(), z.zone);
        if (zi == zones.end()) {
            if (problems != nullptr) {
                problems->push_back("station " + z.station_id + " has no zone '" + z.zone + "'");
            }
            continue;
        }
        ranges.push_back({it->second, it->second + 1,
                          std::uint64_t{1} << static_cast<unsigned>(zi - zones.begin())});
    }
    return ranges;
}

Status TimelineCompiler::check_entry(const ScheduleEntry& entry, Duration& duration) const {
    const std::string name = "entry " + std::to_string(entry.id);
    if (entry.id <= 0) {
        return Error{"an entry id must be a positive number"};
    }
    if (!valid_class(entry.priority)) {
        return Error{name + ": unknown priority class"};
    }
    if (const auto* a = std::get_if<AssetContent>(&entry.what)) {
        if (a->asset_id.empty()) {
            return Error{name + ": no asset to play"};
        }
        if (a->duration <= Duration::zero()) {
            return Error{name + ": the asset's duration must be positive"};
        }
    } else {
        const auto& id = std::get<ProgrammeContent>(entry.what).programme_id;
        const auto it = programmes_.find(id);
        if (it == programmes_.end()) {
            return Error{name + ": programme '" + id + "' is not known"};
        }
        if (it->second.total_duration() <= Duration::zero()) {
            return Error{name + ": programme '" + id + "' has no assets"};
        }
    }
    if (entry.where.empty()) {
        return Error{name + ": no target (unit, station or zone)"};
    }
    std::vector<std::string> problems;
    (void)resolve(entry.where, &problems);
    if (!problems.empty()) {
        std::string all;
        for (const auto& p : problems) {
            all += (all.empty() ? "" : "; ") + p;
        }
        return Error{name + ": " + all};
    }
    if (entry.valid_from >= entry.valid_until) {
        return Error{name + ": valid_from must be before valid_until"};
    }
    duration = duration_of(entry);
    return Status::success();
}

void TimelineCompiler::list_entry(std::uint32_t slot) {
    for (const auto& r : entries_[slot].reach) {
        for (auto s = r.first; s < r.last; ++s) {
            auto& list = station_entries_[s];
            if (!list.empty() && list.back().slot == slot) {
                list.back().zones |= r.zones;
            } else {
                list.push_back({slot, r.zones});
            }
        }
    }
}

void TimelineCompiler::unlist_entry(std::uint32_t slot) {
    for (const auto& r : entries_[slot].reach) {
        for (auto s = r.first; s < r.last; ++s) {
            auto& list = station_entries_[s];
            const auto it = std::find_if(list.begin(), list.end(),
                                         [&](const StationEntry& e) { return e.slot == slot; });
            if (it != list.end()) {
                *it = list.back();
                list.pop_back();
            }
        }
    }
}

void TimelineCompiler::remember_reach(std::int64_t id, const std::vector<StationRange>& reach) {
    // Only the reach as last compiled matters: a second edit before recompiling keeps the first.
    previous_reach_.try_emplace(id, reach);
}

Status TimelineCompiler::upsert_entry(ScheduleEntry entry) {
    Duration duration{};
    if (auto s = check_entry(entry, duration); !s) {
        return s;
    }
    EntrySlot fresh;
    fresh.entry = std::move(entry);
    fresh.live = true;
    fresh.duration = duration;
    fresh.content_key = content_key_of(fresh.entry);
    if (!prepare(fresh, horizon_now())) {
        return Error{"entry " + std::to_string(fresh.entry.id) + ": " + fresh.problem};
    }
    if (fresh.entry.state == EntryState::approved) {
        fresh.reach = resolve(fresh.entry.where, nullptr);
    }

    const auto id = fresh.entry.id;
    std::uint32_t slot = 0;
    if (const auto it = entry_index_.find(id); it != entry_index_.end()) {
        slot = it->second;
        remember_reach(id, entries_[slot].reach);
        unlist_entry(slot);
        entries_[slot] = std::move(fresh);
    } else {
        remember_reach(id, {});
        if (!free_slots_.empty()) {
            slot = free_slots_.back();
            free_slots_.pop_back();
            entries_[slot] = std::move(fresh);
        } else {
            slot = static_cast<std::uint32_t>(entries_.size());
            entries_.push_back(std::move(fresh));
        }
        entry_index_.emplace(id, slot);
    }
    list_entry(slot);
    return Status::success();
}

Status TimelineCompiler::remove_entry(std::int64_t id) {
    const auto it = entry_index_.find(id);
    if (it == entry_index_.end()) {
        return Error{"entry " + std::to_string(id) + " is not known"};
    }
    const auto slot = it->second;
    remember_reach(id, entries_[slot].reach);
    unlist_entry(slot);
    entries_[slot] = EntrySlot{};
    free_slots_.push_back(slot);
    entry_index_.erase(it);
    return Status::success();
}

const ScheduleEntry* TimelineCompiler::entry(std::int64_t id) const {
    const auto it = entry_index_.find(id);
    return it == entry_index_.end() ? nullptr : &entries_[it->second].entry;
}

TimelineCompiler::Horizon TimelineCompiler::horizon_now() const {
    const auto now = clock_.now();
    return {now, now + options_.horizon};
}

bool TimelineCompiler::prepare(EntrySlot& slot, const Horizon& horizon) {
    const auto& e = slot.entry;
    if (!e.recurrence) {
        if (!slot.cached) {
            slot.occurrences.assign(1, e.at);
            slot.cached_from = TimePoint::min();
            slot.cached_to = TimePoint::max();
            slot.cached = true;
        }
        return true;
    }
    // Occurrences that have not ended by the horizon's start, up to its end.
    const TimePoint from = horizon.start - slot.duration;
    const TimePoint to = horizon.end;
    if (slot.cached && slot.cached_from <= from && slot.cached_to >= to) {
        return slot.problem.empty();
    }
    // A day of slack, so a horizon that rolls forward a little needs no new expansion.
    const TimePoint until = to + std::chrono::hours{24};
    slot.occurrences.clear();
    slot.problem.clear();
    if (auto s = e.recurrence->expand(from, until, slot.occurrences); !s) {
        slot.problem = s.message();
        slot.occurrences.clear();
    }
    slot.cached_from = from;
    slot.cached_to = until;
    slot.cached = true;
    return slot.problem.empty();
}

void TimelineCompiler::add_candidates(const EntrySlot& slot, std::uint64_t zones,
                                      const Horizon& horizon, std::vector<Candidate>& out) const {
    const auto& e = slot.entry;
    const auto& occ = slot.occurrences;
    // The first occurrence still on air at the horizon's start.
    auto it = std::upper_bound(occ.begin(), occ.end(), horizon.start - slot.duration);
    for (; it != occ.end() && *it < horizon.end; ++it) {
        if (*it < e.valid_from || *it >= e.valid_until) {
            continue;
        }
        Candidate c;
        c.priority = static_cast<std::int32_t>(e.priority);
        c.approved_at = e.approved_at;
        c.entry_id = e.id;
        c.occurrence = *it;
        c.duration = slot.duration;
        c.zones = zones;
        c.content_key = slot.content_key;
        c.valid_until = e.valid_until;
        c.policy = e.cut_policy;
        out.push_back(c);
    }
}

void TimelineCompiler::gather(std::uint32_t station, const Horizon& horizon,
                              std::vector<Candidate>& out, std::int64_t skip_entry) {
    const auto all = station_all_zones_[station];
    for (const auto& se : station_entries_[station]) {
        auto& slot = entries_[se.slot];
        if (slot.entry.id == skip_entry || !prepare(slot, horizon)) {
            continue;
        }
        add_candidates(slot, se.zones & all, horizon, out);
    }
}

void TimelineCompiler::resolve_station(std::vector<Candidate>& candidates, const Horizon& horizon,
                                       std::vector<CompiledItem>& items,
                                       std::vector<Conflict>& conflicts) {
    std::sort(candidates.begin(), candidates.end(),
              [](const Candidate& a, const Candidate& b) { return ranks_before(a, b); });
    busy_.clear();
    // The first placed item that ends after `t` (placed items are disjoint, so ends are sorted).
    auto first_ending_after = [&](TimePoint t) {
        return static_cast<std::size_t>(
            std::partition_point(busy_.begin(), busy_.end(),
                                 [&](const Busy& b) { return b.end <= t; }) -
            busy_.begin());
    };
    auto place = [&](TimePoint start, TimePoint end, std::uint32_t index) {
        const auto pos = std::upper_bound(busy_.begin(), busy_.end(), start,
                                          [](TimePoint t, const Busy& b) { return t < b.start; });
        busy_.insert(pos, Busy{start, end, index});
    };

    for (std::uint32_t i = 0; i < candidates.size(); ++i) {
        const auto& c = candidates[i];
        const TimePoint start = c.occurrence;
        const TimePoint end = start + c.duration;
        const auto k = first_ending_after(start);
        if (k == busy_.size() || busy_[k].start >= end) {
            place(start, end, i);
            continue;
        }
        const auto& winner = candidates[busy_[k].candidate];
        Conflict conflict;
        conflict.entry_id = c.entry_id;
        conflict.occurrence = c.occurrence;
        conflict.priority = static_cast<PriorityClass>(c.priority);
        conflict.winner_entry_id = winner.entry_id;
        conflict.winner_occurrence = winner.occurrence;
        conflict.winner_priority = static_cast<PriorityClass>(winner.priority);
        conflict.action = ConflictAction::dropped;

        const TimePoint next_start = busy_[k].start;
        const bool start_free = next_start > start;
        if (start < horizon.start) {
            // Already on air: it can only be cut where the winner begins.
            if (start_free) {
                conflict.action = ConflictAction::shortened;
                conflict.start = start;
                conflict.duration = next_start - start;
                place(start, next_start, i);
            }
            conflicts.push_back(conflict);
            continue;
        }
        bool try_move = c.policy == CutPolicy::move;
        if (c.policy == CutPolicy::shorten) {
            if (start_free && next_start - start >= options_.min_shortened) {
                conflict.action = ConflictAction::shortened;
                conflict.start = start;
                conflict.duration = next_start - start;
                place(start, next_start, i);
            } else {
                try_move = true;
            }
        }
        if (try_move) {
            TimePoint t = start;
            for (auto j = first_ending_after(t);
                 j < busy_.size() && busy_[j].start < t + c.duration; ++j) {
                t = std::max(t, busy_[j].end);
            }
            if (t + c.duration <= horizon.end && t + c.duration <= c.valid_until) {
                conflict.action = ConflictAction::moved;
                conflict.start = t;
                conflict.duration = c.duration;
                place(t, t + c.duration, i);
            }
        }
        conflicts.push_back(conflict);
    }

    items.reserve(busy_.size());
    for (const auto& b : busy_) {
        const auto& c = candidates[b.candidate];
        CompiledItem item;
        item.entry_id = c.entry_id;
        item.occurrence = c.occurrence;
        item.start = b.start;
        item.duration = b.end - b.start;
        item.priority = static_cast<PriorityClass>(c.priority);
        item.zones = c.zones;
        item.content_key = c.content_key;
        items.push_back(item);
    }
}

bool TimelineCompiler::compile_station(std::uint32_t station, const Horizon& horizon) {
    candidates_.clear();
    items_.clear();
    conflicts_.clear();
    gather(station, horizon, candidates_, 0);
    resolve_station(candidates_, horizon, items_, conflicts_);

    auto& plan = plans_[station];
    // Items of the last timeline that are on air now and are gone from the new one.
    const auto resolved = conflicts_.size();
    for (const auto& old : plan.items) {
        if (old.start > horizon.start) {
            break;
        }
        if (old.end() <= horizon.start ||
            std::find(items_.begin(), items_.end(), old) != items_.end()) {
            continue;
        }
        const auto it = entry_index_.find(old.entry_id);
        const bool retired =
            it == entry_index_.end() || entries_[it->second].entry.state != EntryState::approved;
        const bool explained = std::any_of(
            conflicts_.begin(), conflicts_.begin() + static_cast<std::ptrdiff_t>(resolved),
            [&](const Conflict& c) {
                return c.entry_id == old.entry_id && c.occurrence == old.occurrence;
            });
        if (!retired && explained) {
            continue;
        }
        Conflict c;
        c.action =
            retired ? ConflictAction::retired_while_airing : ConflictAction::changed_while_airing;
        c.entry_id = old.entry_id;
        c.occurrence = old.occurrence;
        c.priority = old.priority;
        c.start = old.start;
        c.duration = old.duration;
        conflicts_.push_back(c);
    }

    const bool changed = plan.revision == 0 || plan.items != items_;
    plan.items.swap(items_);
    plan.conflicts.swap(conflicts_);
    plan.horizon_start = horizon.start;
    plan.horizon_end = horizon.end;
    if (changed) {
        ++plan.revision;
    }
    return changed;
}

CompileReport TimelineCompiler::compile(std::span<const std::uint32_t> stations,
                                        const Horizon& horizon) {
    CompileReport report;
    report.horizon_start = horizon.start;
    report.horizon_end = horizon.end;
    for (const auto s : stations) {
        if (compile_station(s, horizon)) {
            report.changed_stations.push_back(stations_[s].id);
        }
        ++report.stations_compiled;
    }
    for (const auto& e : entries_) {
        if (e.live && !e.problem.empty()) {
            report.problems.push_back("entry " + std::to_string(e.entry.id) + ": " + e.problem);
        }
    }
    return report;
}

CompileReport TimelineCompiler::compile_all() {
    const auto horizon = horizon_now();
    std::vector<std::uint32_t> all(stations_.size());
    for (std::uint32_t i = 0; i < all.size(); ++i) {
        all[i] = i;
    }
    previous_reach_.clear();
    return compile(all, horizon);
}

CompileReport TimelineCompiler::recompile(std::span<const std::int64_t> changed_entry_ids) {
    const auto horizon = horizon_now();
    if (++mark_ == 0) {
        std::fill(marks_.begin(), marks_.end(), 0);
        mark_ = 1;
    }
    std::vector<std::uint32_t> touched;
    auto touch = [&](const std::vector<StationRange>& ranges) {
        for (const auto& r : ranges) {
            for (auto s = r.first; s < r.last; ++s) {
                if (marks_[s] != mark_) {
                    marks_[s] = mark_;
                    touched.push_back(s);
                }
            }
        }
    };
    for (const auto id : changed_entry_ids) {
        if (const auto it = previous_reach_.find(id); it != previous_reach_.end()) {
            touch(it->second);
            previous_reach_.erase(it);
        }
        if (const auto it = entry_index_.find(id); it != entry_index_.end()) {
            touch(entries_[it->second].reach);
        }
    }
    std::sort(touched.begin(), touched.end());
    return compile(touched, horizon);
}

Result<std::vector<StationConflict>> TimelineCompiler::preview(const ScheduleEntry& candidate) {
    EntrySlot slot;
    if (auto s = check_entry(candidate, slot.duration); !s) {
        return Error{s.message()};
    }
    const auto horizon = horizon_now();
    slot.entry = candidate;
    slot.live = true;
    if (slot.entry.state != EntryState::approved) {
        slot.entry.state = EntryState::approved;
        slot.entry.approved_at = horizon.start;
    }
    slot.content_key = content_key_of(slot.entry);
    if (!prepare(slot, horizon)) {
        return Error{"entry " + std::to_string(candidate.id) + ": " + slot.problem};
    }
    const auto ranges = resolve(slot.entry.where, nullptr);

    // The stations it reaches, each with the zones it switches on there.
    std::vector<std::pair<std::uint32_t, std::uint64_t>> reached;
    for (const auto& r : ranges) {
        for (auto s = r.first; s < r.last; ++s) {
            reached.emplace_back(s, r.zones);
        }
    }
    std::sort(reached.begin(), reached.end());

    std::vector<StationConflict> out;
    std::vector<CompiledItem> items;
    std::vector<Conflict> conflicts;
    for (std::size_t i = 0; i < reached.size();) {
        const auto s = reached[i].first;
        std::uint64_t zones = 0;
        for (; i < reached.size() && reached[i].first == s; ++i) {
            zones |= reached[i].second;
        }
        candidates_.clear();
        items.clear();
        conflicts.clear();
        gather(s, horizon, candidates_, candidate.id);
        add_candidates(slot, zones & station_all_zones_[s], horizon, candidates_);
        resolve_station(candidates_, horizon, items, conflicts);
        for (const auto& c : conflicts) {
            if (c.entry_id == candidate.id || c.winner_entry_id == candidate.id) {
                out.push_back({stations_[s].id, c});
            }
        }
    }
    return out;
}

const StationPlan* TimelineCompiler::plan(std::string_view station_id) const {
    const auto it = station_index_.find(station_id);
    return it == station_index_.end() ? nullptr : &plans_[it->second];
}

const Station* TimelineCompiler::station(std::string_view station_id) const {
    const auto it = station_index_.find(station_id);
    return it == station_index_.end() ? nullptr : &stations_[it->second];
}

std::vector<std::string> TimelineCompiler::stations_reached(const ScheduleEntry& entry) const {
    std::vector<std::uint32_t> indices;
    for (const auto& r : resolve(entry.where, nullptr)) {
        for (auto s = r.first; s < r.last; ++s) {
            indices.push_back(s);
        }
    }
    std::sort(indices.begin(), indices.end());
    indices.erase(std::unique(indices.begin(), indices.end()), indices.end());
    std::vector<std::string> ids;
    ids.reserve(indices.size());
    for (const auto s : indices) {
        ids.push_back(stations_[s].id);
    }
    return ids;
}

std::vector<ItemAsset> TimelineCompiler::assets_of(const CompiledItem& item) const {
    std::vector<ItemAsset> out;
    const auto* e = entry(item.entry_id);
    if (e == nullptr) {
        return out;
    }
    if (const auto* a = std::get_if<AssetContent>(&e->what)) {
        out.push_back({a->asset_id, Duration::zero(), std::min(a->duration, item.duration)});
        return out;
    }
    const auto it = programmes_.find(std::get<ProgrammeContent>(e->what).programme_id);
    if (it == programmes_.end()) {
        return out;
    }
    Duration offset{};
    for (const auto& a : it->second.assets) {
        if (offset >= item.duration) {
            break;
        }
        out.push_back({a.asset_id, offset, std::min(a.duration, item.duration - offset)});
        offset += a.duration;
    }
    return out;
}

std::vector<std::string> TimelineCompiler::zone_names(std::string_view station_id,
                                                      std::uint64_t zones) const {
    std::vector<std::string> names;
    if (const auto* s = station(station_id)) {
        for (std::size_t i = 0; i < s->zones.size() && i < 64; ++i) {
            if ((zones >> i) & 1U) {
                names.push_back(s->zones[i]);
            }
        }
    }
    return names;
}

}  // namespace loa::scheduler
