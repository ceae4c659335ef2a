#pragma once

#include "loa/common/clock.hpp"
#include "loa/common/result.hpp"
#include "loa/scheduler/bulletin_inbox.hpp"
#include "loa/scheduler/link_events.hpp"
#include "loa/scheduler/scheduler_store.hpp"
#include "loa/scheduler/timeline_compiler.hpp"
#include "loa/wire/loa.pb.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace loa::scheduler {

struct PlannerOptions {
    std::string database;  // the store's file (the planner opens its own connection)
    Duration horizon = std::chrono::hours{24 * 7};
    // How often the horizon rolls (every station compiled, changed timelines stored).
    Duration recompile_interval = std::chrono::minutes{1};
};

// What a change to the plan did.
struct PlanChange {
    std::int64_t entry_id = 0;
    // The conflicts the changed entry loses or wins (TimelineCompiler::preview), never silent.
    std::vector<StationConflict> conflicts;
    std::vector<std::string> changed_stations;  // whose timeline got a new revision
    std::vector<std::string> problems;          // entries whose targets stopped resolving, ...
    std::string programme_id;                   // put_programme: the programme's id
    // add_entries and retire_entries: every entry made or retired, in order.
    std::vector<std::int64_t> entry_ids;
};

// The network a change is checked against: the unit tree and every station, as the planner holds
// them at the moment of the change.
struct PlanNetwork {
    const AdminUnitTree& units;
    std::span<const Station> stations;
};

// What the caller adds to one change of the plan (the HTTP API: authorisation and the audit log).
// Both run under the planner's lock, so nothing changes between the check and the write:
// - `check` runs before anything is written; a failed Status refuses the change, which then
//   stores nothing and answers that Status (as an Error) unchanged;
// - `record` runs inside the change's store transaction once the change applied (and only when
//   it succeeded), with the store and what the change did; what it writes (an audit row) commits
//   or rolls back with the change. Throwing rolls the change back.
// Either may be empty.
struct ChangeGuard {
    std::function<Status(const PlanNetwork& network)> check;
    std::function<void(SchedulerStore& store, const PlanChange& change)> record;
};

// What sending a bulletin did.
struct BulletinSent {
    Bulletin bulletin;
    std::vector<Delivery> deliveries;
    std::vector<std::string> changed_stations;
};

// A bulletin with its deliveries.
struct BulletinView {
    Bulletin bulletin;
    std::vector<Delivery> deliveries;
};

// What an import did: every line error (and then nothing changed), or the counts.
struct ImportOutcome {
    std::vector<LineError> errors;
    std::size_t units = 0;             // units in the file
    std::size_t stations = 0;          // stations imported or created
    std::size_t stations_created = 0;  // of which new
    PlanChange change;
};

// How ready the stations are for one upcoming occurrence of an entry.
struct ItemReadiness {
    std::int64_t entry_id = 0;
    TimePoint occurrence{};
    TimePoint start{};  // the earliest start among the stations (a moved item starts later)
    std::string title;
    PriorityClass priority = wire::PRIORITY_CLASS_UNSPECIFIED;
    std::size_t stations = 0;  // stations whose timeline holds it
    std::size_t ready = 0;     // of which acked a revision holding it and miss no asset
    std::vector<std::string> not_ready;
};

// The scheduler's broadcast plan: one TimelineCompiler loaded from the store, kept in step with
// it. Every change (units, stations, programmes, entries) is written to the store and recompiled
// (only what the compiler says it touches) in one transaction; the stations whose wire timeline
// changed get a new stored revision and are passed to ILinkEvents::timelines_changed().
//
// Wire items: one per asset of each compiled item, with item_id "e<entry>-<occurrence unix
// seconds>-<asset index>" (stable across revisions), zones empty when the item switches on every
// zone of the station.
//
// Threads: every public method is thread-safe (one mutex; the HTTP API's worker threads call
// them). start() and stop() are called by the owner; start() runs the thread "loa-plan", which
// rolls the horizon every recompile_interval (roll()). Time comes from the injected clock.
// Start-up (the constructor) throws StoreError or std::runtime_error; then the methods return
// Result/Status for bad input and throw StoreError only when the database fails. A ChangeGuard's
// callbacks run on the caller's thread under the planner's lock: they must not call the Planner.
class Planner {
public:
    Planner(PlannerOptions options, const IClock& clock, ILinkEvents& link);
    ~Planner();
    Planner(const Planner&) = delete;
    Planner& operator=(const Planner&) = delete;

    void start();
    // Stops the thread; idempotent.
    void stop();

    // Compiles every station over [now, now + horizon) and stores the timelines that changed.
    PlanChange roll();

    // --- network
    // Merges a unit CSV; with `default_stations`, every unit that has no station gets one
    // (id = unit code, zone "main", no key yet).
    ImportOutcome import_units(std::string_view csv, bool default_stations,
                               const ChangeGuard& guard = {});
    // Adds or updates the stations of a station CSV (keys stay as they were).
    ImportOutcome import_stations(std::string_view csv, const ChangeGuard& guard = {});
    // Registers a station (see SchedulerStore::add_station) and tells the link its key.
    Status add_station(const StationRecord& station, const ChangeGuard& guard = {});
    // Sets the station's CURVE public key and admits it to the link.
    Status set_station_key(const std::string& station_id, const std::string& public_key,
                           const ChangeGuard& guard = {});
    // The units under `code` (itself included), or all when empty, in pre-order; nullopt for an
    // unknown code.
    std::optional<std::vector<AdminUnit>> units(const std::string& under);
    // The ids of the stations attached to each unit, by unit code.
    std::unordered_map<std::string, std::vector<std::string>> stations_by_unit();
    bool station_within(const std::string& station_id, const std::string& unit_code);

    // --- programmes
    // Adds (empty id) or replaces a programme of existing assets (their durations are looked
    // up); entries playing it are recompiled.
    Result<Programme> put_programme(Programme programme, const ChangeGuard& guard = {});
    std::vector<Programme> programmes();

    // --- entries
    // Checks and stores a new entry (its id is given here; an asset's duration is looked up; an
    // empty title becomes the asset's name or the programme's title; an approved entry is
    // approved now), then recompiles its stations.
    Result<PlanChange> add_entry(ScheduleEntry entry, const std::string& created_by,
                                 const ChangeGuard& guard = {});
    // Replaces entry `entry.id` (created_by/at stay); becoming approved sets approved_at now.
    Result<PlanChange> edit_entry(ScheduleEntry entry, const ChangeGuard& guard = {});
    Result<PlanChange> set_state(std::int64_t id, EntryState state, const ChangeGuard& guard = {});
    std::optional<StoredEntry> entry(std::int64_t id);
    std::vector<StoredEntry> entries();
    // Adds every entry of `entries` as add_entry does, in one transaction with `guard`'s record,
    // which runs once with the merged change (entry_ids: the new ids in order, entry_id the
    // first, changed_stations and conflicts of all). When one fails nothing is stored and its
    // error (prefixed "entry N: ", N counting from 1) is answered.
    Result<PlanChange> add_entries(std::vector<ScheduleEntry> entries,
                                   const std::string& created_by, const ChangeGuard& guard = {});
    // Retires every entry of `ids` that is not retired yet (unknown ids are an error), in one
    // transaction with `guard`'s record (entry_ids: those retired now).
    Result<PlanChange> retire_entries(const std::vector<std::int64_t>& ids,
                                      const ChangeGuard& guard = {});

    // The stations under the units `unit_codes` (each with its subtree) whose unit has no child
    // units: the communes a bulletin reaches. Errors name an unknown unit.
    Result<std::vector<std::string>> commune_stations(const std::vector<std::string>& unit_codes);
    // Runs `fn` on the current network under the planner's lock (e.g. to authorise a read).
    void with_network(const std::function<void(const PlanNetwork&)>& fn);

    // --- bulletins (TT 39/2020, see bulletin_inbox.hpp)
    // Sends `bulletin` (its duration is looked up from its asset) to the commune stations under
    // `units`: normal ones wait in each inbox; a priority one gets, per station, an approved
    // one-off entry of the sender's class at the next break of that station's plan (cut policy
    // move, decided by "system"); an emergency one one approved entry of class emergency at
    // now + `emergency_delay` on every station. One transaction with `guard`'s record.
    Result<BulletinSent> send_bulletin(NewBulletin bulletin, const std::vector<std::string>& units,
                                       Duration emergency_delay, const ChangeGuard& guard = {});
    // Airs the delivery at `at`: makes its entry (the bulletin's class, cut policy move, made by
    // `who`) or moves the one it has. Fails for an unknown or declined delivery.
    Result<PlanChange> schedule_delivery(std::int64_t bulletin_id, const std::string& station_id,
                                         TimePoint at, const std::string& who,
                                         const ChangeGuard& guard = {});
    // Declines the delivery (note required) and retires its entry when it had one.
    Result<PlanChange> decline_delivery(std::int64_t bulletin_id, const std::string& station_id,
                                        const std::string& who, const std::string& note,
                                        const ChangeGuard& guard = {});
    std::optional<BulletinView> bulletin(std::int64_t id);
    std::vector<BulletinView> bulletins(std::size_t limit = 100);
    std::vector<Delivery> inbox(const std::string& station_id, bool pending_only);
    std::optional<Delivery> delivery(std::int64_t bulletin_id, const std::string& station_id);

    // --- what the plan is
    // The conflicts of the current compiled timelines, of one station, or of the stations of
    // one unit's subtree (empty filters: all).
    std::vector<StationConflict> conflicts(const std::string& station_id,
                                           const std::string& unit_code);
    // The occurrences starting in [now, now + within), in start order.
    std::vector<ItemReadiness> readiness(Duration within);
    // The wire items a station's current plan becomes (no revision or station id set).
    std::optional<wire::Timeline> wire_timeline(const std::string& station_id);

private:
    // (Re)builds the compiler from the store, compiles all and stores every changed timeline.
    std::vector<std::string> load();
    // Runs `change` in one store transaction; when it throws, the compiler is rebuilt from the
    // store (the transaction rolled back) and the exception goes on.
    template <class F>
    auto transact(F&& change);
    void run();
    Status resolve_content(ScheduleEntry& entry);
    Result<PlanChange> apply_entry(ScheduleEntry entry, bool is_new, const std::string& created_by,
                                   const ChangeGuard& guard);
    Result<PlanChange> edit_entry_locked(ScheduleEntry entry, const ChangeGuard& guard);
    // Runs step(0) .. step(count - 1) in one transaction with `guard`'s record, merging their
    // changes; the first step that fails (its error names the entry) rolls the whole batch back.
    // Notifies the link after the commit. Called with mutex_ held, after check(guard).
    Result<PlanChange> apply_batch(std::size_t count, const ChangeGuard& guard,
                                   const std::function<Result<PlanChange>(std::size_t)>& step);
    Status check(const ChangeGuard& guard) const;
    // Adds an approved one-off entry inside the caller's transaction (no guard, no notify).
    Result<PlanChange> add_bulletin_entry(const Bulletin& bulletin,
                                          const std::vector<std::string>& stations, TimePoint at,
                                          PriorityClass priority, const std::string& who);
    // Stores the timelines of `stations` that changed; answers those that got a new revision.
    std::vector<std::string> store_timelines(const std::vector<std::string>& stations);
    wire::Timeline build_wire_timeline(const StationPlan& plan);
    std::uint64_t asset_size(const std::string& asset_id);
    // Replaces the network in the compiler, compiles all and stores what changed.
    PlanChange reload_network(AdminUnitTree tree);
    std::vector<std::string> commune_stations_locked(const std::vector<std::string>& unit_codes,
                                                     std::string* unknown) const;
    void notify(const std::vector<std::string>& stations);

    PlannerOptions options_;
    const IClock& clock_;
    ILinkEvents& link_;

    std::mutex mutex_;  // guards everything below
    SchedulerStore store_;
    std::unique_ptr<BulletinInbox> inbox_;        // on store_'s connection
    std::unique_ptr<TimelineCompiler> compiler_;  // replaced whole by load()
    std::vector<Station> stations_;               // the compiler's network, for checks
    std::unordered_map<std::string, std::uint64_t> asset_sizes_;

    std::mutex wake_mutex_;
    std::condition_variable wake_cv_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace loa::scheduler
