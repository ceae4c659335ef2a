#pragma once

#include "loa/common/clock.hpp"
#include "loa/common/result.hpp"
#include "loa/common/sqlite.hpp"
#include "loa/scheduler/planning.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loa::scheduler {

// How a bulletin sent down from a province or district station reaches a commune, as Thông tư
// 39/2020/TT-BTTTT sets it out:
// - normal: it lands in the commune's inbox; the commune operator decides whether and when it
//   airs (or declines it);
// - priority: it is placed at once at the next break of the commune's programme (after the item
//   airing, never cutting it); the commune may move it, e.g. to order colliding priority items;
// - emergency: it airs at once (the emergency path preempts whatever plays).
enum class BulletinKind : std::uint8_t { normal, priority, emergency };
std::string_view bulletin_kind_name(BulletinKind kind);
std::optional<BulletinKind> parse_bulletin_kind(std::string_view name);

// A delivery is pending (in the inbox, undecided), scheduled (an entry airs it at `air_at`) or
// declined (it will not air at that station).
enum class DeliveryState : std::uint8_t { pending, scheduled, declined };
std::string_view delivery_state_name(DeliveryState state);

struct NewBulletin {
    BulletinKind kind = BulletinKind::normal;
    std::string title;
    std::string asset_id;                     // what airs
    Duration duration{};                      // the asset's length
    std::string from_unit;                    // the sender's unit (a province or a district)
    PriorityClass priority = wire::DISTRICT;  // the sender's class: the class it airs with
    std::string created_by;
};

struct Bulletin {
    std::int64_t id = 0;
    BulletinKind kind = BulletinKind::normal;
    std::string title;
    std::string asset_id;
    Duration duration{};
    std::string from_unit;
    PriorityClass priority = wire::DISTRICT;
    std::string created_by;
    TimePoint created_at{};
};

// One bulletin at one station, and what became of it.
struct Delivery {
    std::int64_t bulletin_id = 0;
    std::string station_id;
    DeliveryState state = DeliveryState::pending;
    std::optional<TimePoint> air_at;  // when scheduled
    std::int64_t entry_id = 0;        // the schedule entry that airs it, when scheduled
    std::string decided_by;           // empty while pending; "system" for automatic placing
    std::optional<TimePoint> decided_at;
    std::string note;  // the reason given when declined
};

// The bulletins and their deliveries, in the scheduler's database (its own tables, migrated as
// program "bulletins"). The inbox records decisions; making the schedule entry that airs a
// delivery is the caller's (the Planner's), inside the same transaction, so a decision and its
// entry are stored together or not at all.
//
// One instance per connection; not thread-safe (like SchedulerStore). Times come from `clock`.
class BulletinInbox {
public:
    BulletinInbox(sqlite::Database& db, const IClock& clock);

    // Stores the bulletin with one pending delivery per station in `station_ids` (distinct).
    // Fails, storing nothing, on an empty title, asset or station list, or a non-positive
    // duration.
    Result<Bulletin> send(const NewBulletin& bulletin, const std::vector<std::string>& station_ids);

    std::optional<Bulletin> find(std::int64_t id);
    // Newest first.
    std::vector<Bulletin> list(std::size_t limit = 100);

    std::vector<Delivery> deliveries_of(std::int64_t bulletin_id);
    // A station's inbox: its deliveries, newest bulletin first; only pending ones when asked.
    std::vector<Delivery> inbox(std::string_view station_id, bool pending_only = false);
    std::optional<Delivery> delivery(std::int64_t bulletin_id, std::string_view station_id);

    // Records that the delivery airs at `air_at` through entry `entry_id` (decided by `who`).
    // A pending or scheduled delivery may be (re)scheduled; a declined one may not.
    Status schedule(std::int64_t bulletin_id, std::string_view station_id, TimePoint air_at,
                    std::int64_t entry_id, std::string_view who);
    // Records that the delivery will not air; `note` says why (required). Fails for an unknown
    // delivery or one already declined. The caller retires the entry of a scheduled one.
    Status decline(std::int64_t bulletin_id, std::string_view station_id, std::string_view who,
                   std::string_view note);

private:
    Status check_delivery(std::int64_t bulletin_id, std::string_view station_id,
                          std::optional<Delivery>& found);

    sqlite::Database& db_;
    const IClock& clock_;
};

// The next break of a station's programme: the earliest instant at or after `from` at which
// `length` fits between the items of `plan` without cutting any (after the item airing at
// `from`, if one is). `plan.items` are ordered by start and do not overlap; after the last item
// there is always room.
TimePoint next_break(const StationPlan& plan, TimePoint from, Duration length);

}  // namespace loa::scheduler
