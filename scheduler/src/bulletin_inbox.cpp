#include "loa/scheduler/bulletin_inbox.hpp"

#include <array>
#include <chrono>
#include <set>
#include <utility>

#include <fmt/format.h>

namespace loa::scheduler {

namespace {

constexpr std::array<std::string_view, 3> kKinds{"normal", "priority", "emergency"};
constexpr std::array<std::string_view, 3> kStates{"pending", "scheduled", "declined"};

constexpr std::array<std::string_view, 1> kMigrations{R"sql(
CREATE TABLE bulletins (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,
    title       TEXT NOT NULL,
    asset_id    TEXT NOT NULL,
    duration_us INTEGER NOT NULL,
    from_unit   TEXT NOT NULL,
    priority    INTEGER NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE TABLE bulletin_deliveries (
    bulletin_id INTEGER NOT NULL REFERENCES bulletins (id),
    station_id  TEXT NOT NULL,
    state       TEXT NOT NULL,
    air_at      INTEGER,
    entry_id    INTEGER NOT NULL DEFAULT 0,
    decided_by  TEXT NOT NULL DEFAULT '',
    decided_at  INTEGER,
    note        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (bulletin_id, station_id)
);
CREATE INDEX bulletin_deliveries_by_station ON bulletin_deliveries (station_id, bulletin_id);
)sql"};

constexpr std::string_view kDeliveryColumns =
    "bulletin_id, station_id, state, air_at, entry_id, decided_by, decided_at, note";

Bulletin read_bulletin(const sqlite::Statement& s) {
    Bulletin b;
    b.id = s.int64(0);
    b.kind = parse_bulletin_kind(s.text(1)).value_or(BulletinKind::normal);
    b.title = s.text(2);
    b.asset_id = s.text(3);
    b.duration = std::chrono::microseconds{s.int64(4)};
    b.from_unit = s.text(5);
    b.priority = static_cast<PriorityClass>(s.int64(6));
    b.created_by = s.text(7);
    b.created_at = from_unix_us(s.int64(8));
    return b;
}

Delivery read_delivery(const sqlite::Statement& s) {
    Delivery d;
    d.bulletin_id = s.int64(0);
    d.station_id = s.text(1);
    const auto state = s.text(2);
    for (std::size_t i = 0; i < kStates.size(); ++i) {
        if (kStates[i] == state) {
            d.state = static_cast<DeliveryState>(i);
        }
    }
    if (auto at = s.optional_int64(3)) {
        d.air_at = from_unix_us(*at);
    }
    d.entry_id = s.int64(4);
    d.decided_by = s.text(5);
    if (auto at = s.optional_int64(6)) {
        d.decided_at = from_unix_us(*at);
    }
    d.note = s.text(7);
    return d;
}

std::vector<Delivery> read_deliveries(sqlite::Statement& s) {
    std::vector<Delivery> out;
    while (s.step()) {
        out.push_back(read_delivery(s));
    }
    return out;
}

constexpr std::string_view kBulletinColumns =
    "id, kind, title, asset_id, duration_us, from_unit, priority, created_by, created_at";

}  // namespace

std::string_view bulletin_kind_name(BulletinKind kind) {
    return kKinds[static_cast<std::size_t>(kind)];
}

std::optional<BulletinKind> parse_bulletin_kind(std::string_view name) {
    for (std::size_t i = 0; i < kKinds.size(); ++i) {
        if (kKinds[i] == name) {
            return static_cast<BulletinKind>(i);
        }
    }
    return std::nullopt;
}

std::string_view delivery_state_name(DeliveryState state) {
    return kStates[static_cast<std::size_t>(state)];
}

BulletinInbox::BulletinInbox(sqlite::Database& db, const IClock& clock) : db_{db}, clock_{clock} {
    db_.migrate(kMigrations, "loa-scheduler", "bulletins");
}

Result<Bulletin> BulletinInbox::send(const NewBulletin& bulletin,
                                     const std::vector<std::string>& station_ids) {
    if (bulletin.title.empty()) {
        return Error{"a bulletin needs a title"};
    }
    if (bulletin.asset_id.empty() || bulletin.duration <= Duration::zero()) {
        return Error{"a bulletin needs an asset with a positive duration"};
    }
    if (station_ids.empty()) {
        return Error{"the bulletin reaches no commune station"};
    }
    if (std::set<std::string>{station_ids.begin(), station_ids.end()}.size() !=
        station_ids.size()) {
        return Error{"a station is listed twice"};
    }
    Bulletin b;
    b.kind = bulletin.kind;
    b.title = bulletin.title;
    b.asset_id = bulletin.asset_id;
    b.duration = bulletin.duration;
    b.from_unit = bulletin.from_unit;
    b.priority = bulletin.priority;
    b.created_by = bulletin.created_by;
    b.created_at = clock_.now();

    sqlite::Transaction tx{db_};
    sqlite::Statement insert{db_, fmt::format("INSERT INTO bulletins ({}) VALUES "
                                              "(NULL, ?, ?, ?, ?, ?, ?, ?, ?)",
                                              kBulletinColumns)};
    insert.bind(1, bulletin_kind_name(b.kind))
        .bind(2, b.title)
        .bind(3, b.asset_id)
        .bind(4, static_cast<std::int64_t>(
                     std::chrono::duration_cast<std::chrono::microseconds>(b.duration).count()))
        .bind(5, b.from_unit)
        .bind(6, static_cast<std::int64_t>(b.priority))
        .bind(7, b.created_by)
        .bind(8, to_unix_us(b.created_at))
        .run();
    b.id = db_.last_insert_rowid();
    sqlite::Statement deliver{
        db_, "INSERT INTO bulletin_deliveries (bulletin_id, station_id, state) VALUES (?, ?, ?)"};
    for (const auto& station : station_ids) {
        deliver.reset();
        deliver.bind(1, b.id).bind(2, station).bind(3, delivery_state_name(DeliveryState::pending));
        deliver.run();
    }
    tx.commit();
    return b;
}

std::optional<Bulletin> BulletinInbox::find(std::int64_t id) {
    sqlite::Statement s{db_,
                        fmt::format("SELECT {} FROM bulletins WHERE id = ?", kBulletinColumns)};
    s.bind(1, id);
    if (!s.step()) {
        return std::nullopt;
    }
    return read_bulletin(s);
}

std::vector<Bulletin> BulletinInbox::list(std::size_t limit) {
    sqlite::Statement s{
        db_, fmt::format("SELECT {} FROM bulletins ORDER BY id DESC LIMIT ?", kBulletinColumns)};
    s.bind(1, static_cast<std::int64_t>(limit));
    std::vector<Bulletin> out;
    while (s.step()) {
        out.push_back(read_bulletin(s));
    }
    return out;
}

std::vector<Delivery> BulletinInbox::deliveries_of(std::int64_t bulletin_id) {
    sqlite::Statement s{db_, fmt::format("SELECT {} FROM bulletin_deliveries WHERE bulletin_id = ? "
                                         "ORDER BY station_id",
                                         kDeliveryColumns)};
    s.bind(1, bulletin_id);
    return read_deliveries(s);
}

std::vector<Delivery> BulletinInbox::inbox(std::string_view station_id, bool pending_only) {
    sqlite::Statement s{db_, fmt::format("SELECT {} FROM bulletin_deliveries WHERE station_id = ? "
                                         "AND (? = 0 OR state = 'pending') "
                                         "ORDER BY bulletin_id DESC",
                                         kDeliveryColumns)};
    s.bind(1, station_id).bind(2, pending_only ? 1 : 0);
    return read_deliveries(s);
}

std::optional<Delivery> BulletinInbox::delivery(std::int64_t bulletin_id,
                                                std::string_view station_id) {
    sqlite::Statement s{db_, fmt::format("SELECT {} FROM bulletin_deliveries WHERE bulletin_id = ? "
                                         "AND station_id = ?",
                                         kDeliveryColumns)};
    s.bind(1, bulletin_id).bind(2, station_id);
    if (!s.step()) {
        return std::nullopt;
    }
    return read_delivery(s);
}

Status BulletinInbox::check_delivery(std::int64_t bulletin_id, std::string_view station_id,
                                     std::optional<Delivery>& found) {
    found = delivery(bulletin_id, station_id);
    if (!found) {
        return Error{
            fmt::format("bulletin {} was not sent to station {}", bulletin_id, station_id)};
    }
    if (found->state == DeliveryState::declined) {
        return Error{fmt::format("bulletin {} was declined at station {} by {}", bulletin_id,
                                 station_id, found->decided_by)};
    }
    return Status::success();
}

Status BulletinInbox::schedule(std::int64_t bulletin_id, std::string_view station_id,
                               TimePoint air_at, std::int64_t entry_id, std::string_view who) {
    std::optional<Delivery> found;
    if (auto ok = check_delivery(bulletin_id, station_id, found); !ok) {
        return ok;
    }
    sqlite::Statement s{db_,
                        "UPDATE bulletin_deliveries SET state = 'scheduled', air_at = ?, "
                        "entry_id = ?, decided_by = ?, decided_at = ?, note = '' "
                        "WHERE bulletin_id = ? AND station_id = ?"};
    s.bind(1, to_unix_us(air_at))
        .bind(2, entry_id)
        .bind(3, who)
        .bind(4, to_unix_us(clock_.now()))
        .bind(5, bulletin_id)
        .bind(6, station_id)
        .run();
    return Status::success();
}

Status BulletinInbox::decline(std::int64_t bulletin_id, std::string_view station_id,
                              std::string_view who, std::string_view note) {
    if (note.empty()) {
        return Error{"declining a bulletin needs a reason"};
    }
    std::optional<Delivery> found;
    if (auto ok = check_delivery(bulletin_id, station_id, found); !ok) {
        return ok;
    }
    sqlite::Statement s{db_,
                        "UPDATE bulletin_deliveries SET state = 'declined', decided_by = ?, "
                        "decided_at = ?, note = ? WHERE bulletin_id = ? AND station_id = ?"};
    s.bind(1, who)
        .bind(2, to_unix_us(clock_.now()))
        .bind(3, note)
        .bind(4, bulletin_id)
        .bind(5, station_id)
        .run();
    return Status::success();
}

TimePoint next_break(const StationPlan& plan, TimePoint from, Duration length) {
    TimePoint candidate = from;
    for (const auto& item : plan.items) {
        if (item.end() <= candidate) {
            continue;  // over before the candidate
        }
        if (item.start >= candidate + length) {
            return candidate;  // the gap before this item is long enough
        }
        candidate = item.end();  // overlaps (or airs at) the candidate: wait for its end
    }
    return candidate;
}

}  // namespace loa::scheduler
