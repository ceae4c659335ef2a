#include "loa/scheduler/planner.hpp"

#include "loa/common/logging.hpp"
#include "loa/scheduler/auth_schema.hpp"

#include <fmt/format.h>
#include <pthread.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <utility>

namespace loa::scheduler {
namespace {

std::int64_t unix_seconds(TimePoint t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::string wire_item_id(std::int64_t entry_id, TimePoint occurrence, std::size_t asset) {
    return fmt::format("e{}-{}-{}", entry_id, unix_seconds(occurrence), asset);
}

std::uint64_t all_zones(std::size_t count) {
    return count >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << count) - 1;
}

// Whether a change's answer is a success, so that its transaction commits.
bool succeeded(const PlanChange&) {
    return true;
}
bool succeeded(const ImportOutcome&) {
    return true;
}
bool succeeded(const Status& s) {
    return s.ok();
}
template <class T>
bool succeeded(const Result<T>& r) {
    return r.ok();
}

void append(std::vector<std::string>& to, const std::vector<std::string>& more) {
    to.insert(to.end(), more.begin(), more.end());
}

}  // namespace

Planner::Planner(PlannerOptions options, const IClock& clock, ILinkEvents& link)
    : options_{std::move(options)}, clock_{clock}, link_{link}, store_{options_.database} {
    // The audit log and the bulletins live beside the plan and share its transactions.
    migrate_auth_schema(store_.database());
    inbox_ = std::make_unique<BulletinInbox>(store_.database(), clock_);
    std::lock_guard lock{mutex_};
    notify(load());
}

Planner::~Planner() {
    stop();
}

void Planner::start() {
    if (thread_.joinable()) {
        return;
    }
    {
        std::lock_guard lock{wake_mutex_};
        stop_ = false;
    }
    thread_ = std::thread{[this] { run(); }};
}

void Planner::stop() {
    {
        std::lock_guard lock{wake_mutex_};
        stop_ = true;
    }
    wake_cv_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void Planner::run() {
    pthread_setname_np(pthread_self(), "loa-plan");
    std::unique_lock lock{wake_mutex_};
    while (!stop_) {
        if (wake_cv_.wait_for(lock, options_.recompile_interval, [this] { return stop_; })) {
            break;
        }
        lock.unlock();
        try {
            roll();
        } catch (const std::exception& e) {
            spdlog::error("plan: rolling the horizon failed: {}", e.what());
        }
        lock.lock();
    }
}

std::vector<std::string> Planner::load() {
    CompilerOptions copts;
    copts.horizon = options_.horizon;
    compiler_ = std::make_unique<TimelineCompiler>(clock_, copts);
    asset_sizes_.clear();
    AdminUnitTree tree;
    if (const auto errors = tree.merge(store_.list_units()); !errors.empty()) {
        throw StoreError{
            fmt::format("the stored units do not form a tree: {}", join_errors(errors))};
    }
    stations_ = store_.list_planned_stations();
    auto network = compiler_->set_network(std::move(tree), stations_);
    if (!network) {
        throw StoreError{fmt::format("the stored stations: {}", network.error().message)};
    }
    for (auto& p : store_.list_programmes()) {
        const std::string id = p.id;
        if (auto s = compiler_->set_programme(std::move(p)); !s) {
            spdlog::warn("plan: programme {} left out: {}", id, s.message());
        }
    }
    std::vector<std::string> problems;
    for (auto& e : store_.list_entries(&problems)) {
        const auto id = e.entry.id;
        if (auto s = compiler_->upsert_entry(std::move(e.entry)); !s) {
            problems.push_back(fmt::format("entry {}: {}", id, s.message()));
        }
    }
    for (const auto& p : problems) {
        spdlog::warn("plan: {}", p);
    }
    compiler_->compile_all();
    // Every station: a timeline stored before may have gone stale while the scheduler was down.
    std::vector<std::string> all;
    for (const auto& plan : compiler_->plans()) {
        all.push_back(plan.station_id);
    }
    SchedulerStore::Transaction tx{store_};
    auto changed = store_timelines(all);
    tx.commit();
    spdlog::info("plan: {} stations, {} entries loaded; {} timelines changed", all.size(),
                 compiler_->entry_count(), changed.size());
    return changed;
}

template <class F>
auto Planner::transact(F&& change) {
    try {
        SchedulerStore::Transaction tx{store_};
        auto result = change();
        if (succeeded(result)) {
            tx.commit();
        }
        return result;
    } catch (...) {
        try {
            load();
        } catch (const std::exception& e) {
            spdlog::error("plan: reloading after a failed change failed too: {}", e.what());
        }
        throw;
    }
}

Status Planner::check(const ChangeGuard& guard) const {
    if (!guard.check) {
        return Status::success();
    }
    return guard.check(PlanNetwork{compiler_->tree(), stations_});
}

void Planner::notify(const std::vector<std::string>& stations) {
    if (!stations.empty()) {
        link_.timelines_changed(stations);
    }
}

PlanChange Planner::roll() {
    std::lock_guard lock{mutex_};
    PlanChange out = transact([&] {
        PlanChange change;
        const auto report = compiler_->compile_all();
        change.changed_stations = store_timelines(report.changed_stations);
        change.problems = report.problems;
        return change;
    });
    notify(out.changed_stations);
    return out;
}

std::uint64_t Planner::asset_size(const std::string& asset_id) {
    const auto it = asset_sizes_.find(asset_id);
    if (it != asset_sizes_.end()) {
        return it->second;
    }
    const auto asset = store_.find_asset(asset_id);
    const std::uint64_t size = asset ? asset->size_bytes : 0;
    asset_sizes_.emplace(asset_id, size);
    return size;
}

wire::Timeline Planner::build_wire_timeline(const StationPlan& plan) {
    wire::Timeline t;
    t.set_horizon_end_us(to_unix_us(plan.horizon_end));
    const Station* station = compiler_->station(plan.station_id);
    const std::uint64_t every_zone = all_zones(station ? station->zones.size() : 0);
    for (const auto& item : plan.items) {
        const ScheduleEntry* entry = compiler_->entry(item.entry_id);
        const auto assets = compiler_->assets_of(item);
        const bool all = (item.zones & every_zone) == every_zone;
        const auto zones =
            all ? std::vector<std::string>{} : compiler_->zone_names(plan.station_id, item.zones);
        for (std::size_t i = 0; i < assets.size(); ++i) {
            auto* w = t.add_items();
            w->set_item_id(wire_item_id(item.entry_id, item.occurrence, i));
            w->set_asset_id(assets[i].asset_id);
            w->set_start_at_us(to_unix_us(item.start + assets[i].offset));
            w->set_duration_ms(static_cast<std::uint32_t>(
                std::chrono::duration_cast<std::chrono::milliseconds>(assets[i].duration).count()));
            w->set_priority(item.priority);
            w->set_title(entry ? entry->title : std::string{});
            w->set_asset_size(asset_size(assets[i].asset_id));
            for (const auto& z : zones) {
                w->add_zones(z);
            }
        }
    }
    return t;
}

std::vector<std::string> Planner::store_timelines(const std::vector<std::string>& stations) {
    std::vector<std::string> changed;
    const auto now = clock_.now();
    for (const auto& id : stations) {
        const StationPlan* plan = compiler_->plan(id);
        if (plan == nullptr) {
            continue;
        }
        if (store_.store_timeline(id, build_wire_timeline(*plan), now)) {
            changed.push_back(id);
        }
    }
    return changed;
}

std::optional<wire::Timeline> Planner::wire_timeline(const std::string& station_id) {
    std::lock_guard lock{mutex_};
    const StationPlan* plan = compiler_->plan(station_id);
    if (plan == nullptr) {
        return std::nullopt;
    }
    return build_wire_timeline(*plan);
}

// --- network

PlanChange Planner::reload_network(AdminUnitTree tree) {
    PlanChange change;
    stations_ = store_.list_planned_stations();
    auto network = compiler_->set_network(std::move(tree), stations_);
    if (!network) {
        throw StoreError{fmt::format("the stations: {}", network.error().message)};
    }
    change.problems = std::move(network).value();
    const auto report = compiler_->compile_all();
    std::vector<std::string> all;
    for (const auto& plan : compiler_->plans()) {
        all.push_back(plan.station_id);
    }
    change.changed_stations = store_timelines(all);
    append(change.problems, report.problems);
    return change;
}

ImportOutcome Planner::import_units(std::string_view csv, bool default_stations,
                                    const ChangeGuard& guard) {
    std::lock_guard lock{mutex_};
    ImportOutcome out;
    if (auto s = check(guard); !s) {
        out.errors.push_back(LineError{0, s.message()});
        return out;
    }
    AdminUnitTree tree = compiler_->tree();
    const std::size_t before = tree.size();
    out.errors = import_admin_unit_csv(csv, tree);
    if (!out.errors.empty()) {
        return out;
    }
    out.units = tree.size() - before;
    out = transact([&] {
        store_.put_units(tree.units());
        if (default_stations) {
            const auto by_unit = [&] {
                std::set<std::string> units;
                for (const auto& s : store_.list_planned_stations()) {
                    units.insert(s.unit_code);
                }
                return units;
            }();
            for (const auto& s : scheduler::default_stations(tree)) {
                if (by_unit.count(s.unit_code) == 0 && !store_.find_station(s.id)) {
                    store_.put_station(s, clock_.now());
                    ++out.stations_created;
                }
            }
            out.stations = out.stations_created;
        }
        out.change = reload_network(std::move(tree));
        if (guard.record) {
            guard.record(store_, out.change);
        }
        return out;
    });
    notify(out.change.changed_stations);
    return out;
}

ImportOutcome Planner::import_stations(std::string_view csv, const ChangeGuard& guard) {
    std::lock_guard lock{mutex_};
    ImportOutcome out;
    if (auto s = check(guard); !s) {
        out.errors.push_back(LineError{0, s.message()});
        return out;
    }
    auto parsed = parse_station_csv(csv, compiler_->tree());
    if (!parsed.ok()) {
        out.errors = std::move(parsed.errors);
        return out;
    }
    out = transact([&] {
        for (const auto& s : parsed.stations) {
            if (!store_.find_station(s.id)) {
                ++out.stations_created;
            }
            store_.put_station(s, clock_.now());
        }
        out.stations = parsed.stations.size();
        out.change = reload_network(compiler_->tree());
        if (guard.record) {
            guard.record(store_, out.change);
        }
        return out;
    });
    notify(out.change.changed_stations);
    return out;
}

Status Planner::add_station(const StationRecord& station, const ChangeGuard& guard) {
    std::unique_lock lock{mutex_};
    if (auto s = check(guard); !s) {
        return s;
    }
    auto status = transact([&] {
        auto s = store_.add_station(station);
        if (s) {
            AdminUnitTree tree;
            if (const auto errors = tree.merge(store_.list_units()); !errors.empty()) {
                throw StoreError{join_errors(errors)};
            }
            const auto change = reload_network(std::move(tree));
            if (guard.record) {
                guard.record(store_, change);
            }
        }
        return s;
    });
    lock.unlock();
    if (status && !station.public_key.empty()) {
        link_.station_registered(station.id, station.public_key);
    }
    return status;
}

Status Planner::set_station_key(const std::string& station_id, const std::string& public_key,
                                const ChangeGuard& guard) {
    std::unique_lock lock{mutex_};
    if (auto s = check(guard); !s) {
        return s;
    }
    auto status = transact([&] {
        auto s = store_.set_station_key(station_id, public_key);
        if (s && guard.record) {
            guard.record(store_, PlanChange{});
        }
        return s;
    });
    lock.unlock();
    if (status) {
        link_.station_registered(station_id, public_key);
    }
    return status;
}

std::optional<std::vector<AdminUnit>> Planner::units(const std::string& under) {
    std::lock_guard lock{mutex_};
    const auto& tree = compiler_->tree();
    if (under.empty()) {
        return std::vector<AdminUnit>(tree.units().begin(), tree.units().end());
    }
    const auto sub = tree.subtree(under);
    if (sub.empty()) {
        return std::nullopt;
    }
    return std::vector<AdminUnit>(sub.begin(), sub.end());
}

std::unordered_map<std::string, std::vector<std::string>> Planner::stations_by_unit() {
    std::lock_guard lock{mutex_};
    std::unordered_map<std::string, std::vector<std::string>> out;
    for (const auto& plan : compiler_->plans()) {
        if (const Station* s = compiler_->station(plan.station_id)) {
            out[s->unit_code].push_back(s->id);
        }
    }
    return out;
}

bool Planner::station_within(const std::string& station_id, const std::string& unit_code) {
    std::lock_guard lock{mutex_};
    const Station* s = compiler_->station(station_id);
    return s != nullptr && compiler_->tree().is_within(s->unit_code, unit_code);
}

// --- programmes

Result<Programme> Planner::put_programme(Programme programme, const ChangeGuard& guard) {
    std::lock_guard lock{mutex_};
    if (auto s = check(guard); !s) {
        return Error{s.message()};
    }
    if (programme.assets.empty()) {
        return Error{"assets: a programme needs at least one asset"};
    }
    for (auto& a : programme.assets) {
        const auto asset = store_.find_asset(a.asset_id);
        if (!asset) {
            return Error{fmt::format("assets: asset '{}' does not exist", a.asset_id)};
        }
        a.duration = std::chrono::milliseconds{asset->duration_ms};
    }
    if (!programme.id.empty() && !store_.find_programme(programme.id)) {
        return Error{fmt::format("programme '{}' does not exist", programme.id)};
    }
    PlanChange change = transact([&] {
        programme.id = store_.put_programme(programme, clock_.now());
        if (auto s = compiler_->set_programme(programme); !s) {
            throw StoreError{s.message()};
        }
        const auto playing = compiler_->entries_playing(programme.id);
        const auto report = compiler_->recompile(playing);
        PlanChange c;
        c.changed_stations = store_timelines(report.changed_stations);
        c.programme_id = programme.id;
        if (guard.record) {
            guard.record(store_, c);
        }
        return c;
    });
    notify(change.changed_stations);
    return programme;
}

std::vector<Programme> Planner::programmes() {
    std::lock_guard lock{mutex_};
    return store_.list_programmes();
}

// --- entries

Status Planner::resolve_content(ScheduleEntry& entry) {
    if (auto* asset = std::get_if<AssetContent>(&entry.what)) {
        const auto stored = store_.find_asset(asset->asset_id);
        if (!stored) {
            return Error{fmt::format("asset_id: asset '{}' does not exist", asset->asset_id)};
        }
        asset->duration = std::chrono::milliseconds{stored->duration_ms};
        if (entry.title.empty()) {
            entry.title = stored->name;
        }
        return Status::success();
    }
    const auto& id = std::get<ProgrammeContent>(entry.what).programme_id;
    const auto programme = store_.find_programme(id);
    if (!programme) {
        return Error{fmt::format("programme_id: programme '{}' does not exist", id)};
    }
    if (entry.title.empty()) {
        entry.title = programme->title;
    }
    return Status::success();
}

Result<PlanChange> Planner::apply_entry(ScheduleEntry entry, bool is_new,
                                        const std::string& created_by, const ChangeGuard& guard) {
    if (auto s = resolve_content(entry); !s) {
        return Error{s.message()};
    }
    const auto now = clock_.now();
    Result<PlanChange> out = transact([&]() -> Result<PlanChange> {
        if (is_new) {
            entry.id = store_.insert_entry(StoredEntry{entry, created_by, to_unix_us(now)});
        } else if (!store_.update_entry(entry)) {
            return Error{fmt::format("entry {} does not exist", entry.id)};
        }
        PlanChange change;
        change.entry_id = entry.id;
        if (entry.state != EntryState::retired) {
            auto preview = compiler_->preview(entry);
            if (!preview) {
                return Error{preview.error().message};
            }
            change.conflicts = std::move(preview).value();
        }
        if (auto s = compiler_->upsert_entry(entry); !s) {
            return Error{s.message()};
        }
        const std::int64_t id = entry.id;
        const auto report = compiler_->recompile(std::span{&id, 1});
        change.changed_stations = store_timelines(report.changed_stations);
        change.problems = report.problems;
        if (guard.record) {
            guard.record(store_, change);
        }
        return change;
    });
    if (out) {
        notify(out->changed_stations);
    }
    return out;
}

Result<PlanChange> Planner::add_entry(ScheduleEntry entry, const std::string& created_by,
                                      const ChangeGuard& guard) {
    std::lock_guard lock{mutex_};
    if (auto s = check(guard); !s) {
        return Error{s.message()};
    }
    entry.id = 0;
    if (entry.state == EntryState::approved) {
        entry.approved_at = clock_.now();
    }
    return apply_entry(std::move(entry), true, created_by, guard);
}

Result<PlanChange> Planner::edit_entry(ScheduleEntry entry, const ChangeGuard& guard) {
    std::lock_guard lock{mutex_};
    if (auto s = check(guard); !s) {
        return Error{s.message()};
    }
    return edit_entry_locked(std::move(entry), guard);
}

Result<PlanChange> Planner::edit_entry_locked(ScheduleEntry entry, const ChangeGuard& guard) {
    const ScheduleEntry* old = compiler_->entry(entry.id);
    std::optional<StoredEntry> stored;
    if (old == nullptr) {
        stored = store_.find_entry(entry.id);
    }
    if (old == nullptr && !stored) {
        return Error{fmt::format("entry {} does not exist", entry.id)};
    }
    const ScheduleEntry& before = old ? *old : stored->entry;
    if (entry.state == EntryState::approved && before.state != EntryState::approved) {
        entry.approved_at = clock_.now();
    } else if (entry.state == EntryState::approved) {
        entry.approved_at = before.approved_at;
    }
    return apply_entry(std::move(entry), false, "", guard);
}

Result<PlanChange> Planner::set_state(std::int64_t id, EntryState state, const ChangeGuard& guard) {
    std::lock_guard lock{mutex_};
    auto stored = store_.find_entry(id);
    if (!stored) {
        return Error{fmt::format("entry {} does not exist", id)};
    }
    if (stored->entry.state == EntryState::retired && state != EntryState::retired) {
        return Error{fmt::format("entry {} is retired; a retired entry never airs again", id)};
    }
    if (auto s = check(guard); !s) {
        return Error{s.message()};
    }
    ScheduleEntry entry = std::move(stored->entry);
    entry.state = state;
    return edit_entry_locked(std::move(entry), guard);
}

std::optional<StoredEntry> Planner::entry(std::int64_t id) {
    std::lock_guard lock{mutex_};
    return store_.find_entry(id);
}

std::vector<StoredEntry> Planner::entries() {
    std::lock_guard lock{mutex_};
    return store_.list_entries();
}

namespace {

// A failed entry of a batch: thrown so that the batch's transaction rolls back (and the compiler
// is reloaded from the store), then answered as an Error.
struct BatchFailure {
    std::string message;
};

void merge_change(PlanChange& into, PlanChange&& change) {
    into.entry_ids.push_back(change.entry_id);
    if (into.entry_id == 0) {
        into.entry_id = change.entry_id;
    }
    for (auto& st : change.changed_stations) {
        if (std::find(into.changed_stations.begin(), into.changed_stations.end(), st) ==
            into.changed_stations.end()) {
            into.changed_stations.push_back(std::move(st));
        }
    }
    std::move(change.conflicts.begin(), change.conflicts.end(), std::back_inserter(into.conflicts));
    append(into.problems, change.problems);
}

}  // namespace

Result<PlanChange> Planner::add_entries(std::vector<ScheduleEntry> entries,
                                        const std::string& created_by, const ChangeGuard& guard) {
    std::lock_guard lock{mutex_};
    if (entries.empty()) {
        return Error{"no entry to add"};
    }
    if (auto s = check(guard); !s) {
        return Error{s.message()};
    }
    const auto now = clock_.now();
    return apply_batch(entries.size(), guard, [&](std::size_t i) -> Result<PlanChange> {
        ScheduleEntry& entry = entries[i];
        entry.id = 0;
        if (entry.state == EntryState::approved) {
            entry.approved_at = now;
        }
        auto change = apply_entry(std::move(entry), true, created_by, ChangeGuard{});
        if (!change) {
            return Error{fmt::format("entry {}: {}", i + 1, change.error().message)};
        }
        return change;
    });
}

Result<PlanChange> Planner::retire_entries(const std::vector<std::int64_t>& ids,
                                           const ChangeGuard& guard) {
    std::lock_guard lock{mutex_};
    std::vector<ScheduleEntry> to_retire;
    for (const auto id : ids) {
        auto stored = store_.find_entry(id);
        if (!stored) {
            return Error{fmt::format("entry {} does not exist", id)};
        }
        if (stored->entry.state != EntryState::retired) {
            to_retire.push_back(std::move(stored->entry));
        }
    }
    if (auto s = check(guard); !s) {
        return Error{s.message()};
    }
    return apply_batch(to_retire.size(), guard, [&](std::size_t i) -> Result<PlanChange> {
        ScheduleEntry& entry = to_retire[i];
        entry.state = EntryState::retired;
        const auto id = entry.id;
        auto change = edit_entry_locked(std::move(entry), ChangeGuard{});
        if (!change) {
            return Error{fmt::format("entry {}: {}", id, change.error().message)};
        }
        return change;
    });
}

Result<PlanChange> Planner::apply_batch(
    std::size_t count, const ChangeGuard& guard,
    const std::function<Result<PlanChange>(std::size_t)>& step) {
    try {
        auto out = transact([&]() -> Result<PlanChange> {
            PlanChange merged;
            for (std::size_t i = 0; i < count; ++i) {
                auto change = step(i);
                if (!change) {
                    throw BatchFailure{change.error().message};
                }
                merge_change(merged, std::move(change).value());
            }
            if (guard.record) {
                guard.record(store_, merged);
            }
            return merged;
        });
        // Again after the commit: the link reads the new revisions only now.
        if (out) {
            notify(out->changed_stations);
        }
        return out;
    } catch (const BatchFailure& failure) {
        return Error{failure.message};
    }
}

// --- bulletins

std::vector<std::string> Planner::commune_stations_locked(
    const std::vector<std::string>& unit_codes, std::string* unknown) const {
    const auto& tree = compiler_->tree();
    std::vector<std::string> out;
    for (const auto& code : unit_codes) {
        if (tree.find(code) == nullptr) {
            if (unknown != nullptr) {
                *unknown = code;
            }
            return {};
        }
    }
    for (const auto& s : stations_) {
        if (!tree.children(s.unit_code).empty()) {
            continue;
        }
        const bool under = std::any_of(unit_codes.begin(), unit_codes.end(), [&](const auto& u) {
            return tree.is_within(s.unit_code, u);
        });
        if (under && std::find(out.begin(), out.end(), s.id) == out.end()) {
            out.push_back(s.id);
        }
    }
    return out;
}

Result<std::vector<std::string>> Planner::commune_stations(
    const std::vector<std::string>& unit_codes) {
    std::lock_guard lock{mutex_};
    std::string unknown;
    auto out = commune_stations_locked(unit_codes, &unknown);
    if (!unknown.empty()) {
        return Error{fmt::format("units: '{}' is not a known unit", unknown)};
    }
    return out;
}

void Planner::with_network(const std::function<void(const PlanNetwork&)>& fn) {
    std::lock_guard lock{mutex_};
    fn(PlanNetwork{compiler_->tree(), stations_});
}

Result<PlanChange> Planner::add_bulletin_entry(const Bulletin& bulletin,
                                               const std::vector<std::string>& stations,
                                               TimePoint at, PriorityClass priority,
                                               const std::string& who) {
    ScheduleEntry entry;
    entry.title = bulletin.title;
    entry.what = AssetContent{bulletin.asset_id, bulletin.duration};
    entry.where.stations = stations;
    entry.at = at;
    entry.priority = priority;
    entry.cut_policy = CutPolicy::move;
    entry.state = EntryState::approved;
    entry.approved_at = clock_.now();
    return apply_entry(std::move(entry), true, who, ChangeGuard{});
}

Result<BulletinSent> Planner::send_bulletin(NewBulletin bulletin,
                                            const std::vector<std::string>& units,
                                            Duration emergency_delay, const ChangeGuard& guard) {
    std::lock_guard lock{mutex_};
    if (auto s = check(guard); !s) {
        return Error{s.message()};
    }
    if (units.empty()) {
        return Error{"units: required, at least one unit whose communes receive the bulletin"};
    }
    std::string unknown;
    const auto stations = commune_stations_locked(units, &unknown);
    if (!unknown.empty()) {
        return Error{fmt::format("units: '{}' is not a known unit", unknown)};
    }
    if (stations.empty()) {
        return Error{"units: no commune station lies under the units given"};
    }
    const auto asset = store_.find_asset(bulletin.asset_id);
    if (!asset) {
        return Error{fmt::format("asset_id: asset '{}' does not exist", bulletin.asset_id)};
    }
    bulletin.duration = std::chrono::milliseconds{asset->duration_ms};
    std::vector<std::string> changed;
    Result<BulletinSent> out = transact([&]() -> Result<BulletinSent> {
        auto sent = inbox_->send(bulletin, stations);
        if (!sent) {
            return Error{sent.error().message};
        }
        const Bulletin& b = *sent;
        const auto now = clock_.now();
        if (b.kind == BulletinKind::emergency) {
            auto change = add_bulletin_entry(b, stations, now + emergency_delay, wire::EMERGENCY,
                                             b.created_by);
            if (!change) {
                throw StoreError{change.error().message};
            }
            append(changed, change->changed_stations);
            for (const auto& st : stations) {
                if (auto s = inbox_->schedule(b.id, st, now + emergency_delay, change->entry_id,
                                              "system");
                    !s) {
                    throw StoreError{s.message()};
                }
            }
        } else if (b.kind == BulletinKind::priority) {
            for (const auto& st : stations) {
                const StationPlan* plan = compiler_->plan(st);
                const TimePoint at = plan ? next_break(*plan, now, b.duration) : now;
                auto change = add_bulletin_entry(b, {st}, at, b.priority, b.created_by);
                if (!change) {
                    throw StoreError{change.error().message};
                }
                append(changed, change->changed_stations);
                if (auto s = inbox_->schedule(b.id, st, at, change->entry_id, "system"); !s) {
                    throw StoreError{s.message()};
                }
            }
        }
        PlanChange change;
        change.changed_stations = changed;
        if (guard.record) {
            guard.record(store_, change);
        }
        return BulletinSent{b, inbox_->deliveries_of(b.id), changed};
    });
    // Again after the commit: the link reads the new revisions only now.
    if (out) {
        notify(out->changed_stations);
    }
    return out;
}

Result<PlanChange> Planner::schedule_delivery(std::int64_t bulletin_id,
                                              const std::string& station_id, TimePoint at,
                                              const std::string& who, const ChangeGuard& guard) {
    std::lock_guard lock{mutex_};
    const auto bulletin = inbox_->find(bulletin_id);
    if (!bulletin) {
        return Error{fmt::format("bulletin {} does not exist", bulletin_id)};
    }
    const auto delivery = inbox_->delivery(bulletin_id, station_id);
    if (!delivery) {
        return Error{
            fmt::format("bulletin {} was not sent to station {}", bulletin_id, station_id)};
    }
    if (delivery->state == DeliveryState::declined) {
        return Error{fmt::format("bulletin {} was declined at station {}; it cannot be scheduled",
                                 bulletin_id, station_id)};
    }
    if (auto s = check(guard); !s) {
        return Error{s.message()};
    }
    auto out = transact([&]() -> Result<PlanChange> {
        Result<PlanChange> change = Error{""};
        const ScheduleEntry* current =
            delivery->entry_id != 0 ? compiler_->entry(delivery->entry_id) : nullptr;
        if (current != nullptr && current->state != EntryState::retired) {
            ScheduleEntry moved = *current;
            moved.at = at;
            moved.recurrence.reset();
            change = apply_entry(std::move(moved), false, "", ChangeGuard{});
        } else {
            change = add_bulletin_entry(*bulletin, {station_id}, at, bulletin->priority, who);
        }
        if (!change) {
            return change;
        }
        if (auto s = inbox_->schedule(bulletin_id, station_id, at, change->entry_id, who); !s) {
            throw StoreError{s.message()};  // checked above: the delivery may be scheduled
        }
        if (guard.record) {
            guard.record(store_, *change);
        }
        return change;
    });
    if (out) {
        notify(out->changed_stations);
    }
    return out;
}

Result<PlanChange> Planner::decline_delivery(std::int64_t bulletin_id,
                                             const std::string& station_id, const std::string& who,
                                             const std::string& note, const ChangeGuard& guard) {
    std::lock_guard lock{mutex_};
    const auto delivery = inbox_->delivery(bulletin_id, station_id);
    if (!delivery) {
        return Error{
            fmt::format("bulletin {} was not sent to station {}", bulletin_id, station_id)};
    }
    if (auto s = check(guard); !s) {
        return Error{s.message()};
    }
    auto out = transact([&]() -> Result<PlanChange> {
        if (auto s = inbox_->decline(bulletin_id, station_id, who, note); !s) {
            return Error{s.message()};
        }
        PlanChange change;
        const ScheduleEntry* current =
            delivery->entry_id != 0 ? compiler_->entry(delivery->entry_id) : nullptr;
        if (current != nullptr && current->state != EntryState::retired) {
            ScheduleEntry retired = *current;
            retired.state = EntryState::retired;
            auto applied = apply_entry(std::move(retired), false, "", ChangeGuard{});
            if (!applied) {
                throw StoreError{applied.error().message};
            }
            change = std::move(applied).value();
        }
        if (guard.record) {
            guard.record(store_, change);
        }
        return Result<PlanChange>{std::move(change)};
    });
    if (out) {
        notify(out->changed_stations);
    }
    return out;
}

std::optional<BulletinView> Planner::bulletin(std::int64_t id) {
    std::lock_guard lock{mutex_};
    auto b = inbox_->find(id);
    if (!b) {
        return std::nullopt;
    }
    return BulletinView{*b, inbox_->deliveries_of(id)};
}

std::vector<BulletinView> Planner::bulletins(std::size_t limit) {
    std::lock_guard lock{mutex_};
    std::vector<BulletinView> out;
    for (auto& b : inbox_->list(limit)) {
        auto deliveries = inbox_->deliveries_of(b.id);
        out.push_back(BulletinView{std::move(b), std::move(deliveries)});
    }
    return out;
}

std::vector<Delivery> Planner::inbox(const std::string& station_id, bool pending_only) {
    std::lock_guard lock{mutex_};
    return inbox_->inbox(station_id, pending_only);
}

std::optional<Delivery> Planner::delivery(std::int64_t bulletin_id, const std::string& station_id) {
    std::lock_guard lock{mutex_};
    return inbox_->delivery(bulletin_id, station_id);
}

// --- what the plan is

std::vector<StationConflict> Planner::conflicts(const std::string& station_id,
                                                const std::string& unit_code) {
    std::lock_guard lock{mutex_};
    std::vector<StationConflict> out;
    for (const auto& plan : compiler_->plans()) {
        if (!station_id.empty() && plan.station_id != station_id) {
            continue;
        }
        const Station* s = compiler_->station(plan.station_id);
        if (!unit_code.empty() &&
            (s == nullptr || !compiler_->tree().is_within(s->unit_code, unit_code))) {
            continue;
        }
        for (const auto& c : plan.conflicts) {
            out.push_back(StationConflict{plan.station_id, c});
        }
    }
    return out;
}

std::vector<ItemReadiness> Planner::readiness(Duration within) {
    std::lock_guard lock{mutex_};
    const auto now = clock_.now();
    std::map<std::pair<std::int64_t, TimePoint>, ItemReadiness> items;
    for (const auto& plan : compiler_->plans()) {
        const auto station = store_.find_station(plan.station_id);
        if (!station) {
            continue;
        }
        // The item ids of the revision the agent confirmed it stored.
        std::set<std::string> acked;
        if (const auto stored = store_.timeline_at(plan.station_id, station->acked_revision)) {
            wire::Timeline t;
            if (t.ParseFromString(stored->timeline)) {
                for (const auto& i : t.items()) {
                    acked.insert(i.item_id());
                }
            }
        }
        for (const auto& item : plan.items) {
            if (item.start < now || item.start >= now + within) {
                continue;
            }
            auto& r = items[{item.entry_id, item.occurrence}];
            if (r.stations == 0) {
                r.entry_id = item.entry_id;
                r.occurrence = item.occurrence;
                r.start = item.start;
                r.priority = item.priority;
                const ScheduleEntry* e = compiler_->entry(item.entry_id);
                r.title = e ? e->title : std::string{};
            }
            r.start = std::min(r.start, item.start);
            ++r.stations;
            const auto assets = compiler_->assets_of(item);
            bool held = station->assets_missing == 0 && !assets.empty();
            for (std::size_t i = 0; held && i < assets.size(); ++i) {
                held = acked.count(wire_item_id(item.entry_id, item.occurrence, i)) != 0;
            }
            if (held) {
                ++r.ready;
            } else {
                r.not_ready.push_back(plan.station_id);
            }
        }
    }
    std::vector<ItemReadiness> out;
    for (auto& [key, r] : items) {
        out.push_back(std::move(r));
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const auto& a, const auto& b) { return a.start < b.start; });
    return out;
}

}  // namespace loa::scheduler
