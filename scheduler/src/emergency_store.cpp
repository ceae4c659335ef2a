#include "emergency_store.hpp"

#include "loa/common/time_format.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <array>
#include <string_view>

namespace loa::scheduler {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 2> kMigrations{R"sql(
CREATE TABLE emergency_sessions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at  INTEGER NOT NULL,
    started_by  TEXT NOT NULL,
    title       TEXT NOT NULL,
    asset_id    TEXT NOT NULL,
    text        TEXT NOT NULL,
    units       TEXT NOT NULL,
    stations    TEXT NOT NULL,
    entries     TEXT NOT NULL,
    first_at    INTEGER NOT NULL,
    repeat      INTEGER NOT NULL,
    every_us    INTEGER NOT NULL,
    ends_at     INTEGER NOT NULL,
    alert_id    INTEGER,
    stopped_at  INTEGER,
    stopped_by  TEXT NOT NULL DEFAULT ''
);
CREATE TABLE cap_alerts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    identifier       TEXT NOT NULL,
    sender           TEXT NOT NULL,
    sent             INTEGER NOT NULL,
    status           TEXT NOT NULL,
    msg_type         TEXT NOT NULL,
    received_at      INTEGER NOT NULL,
    received_by      TEXT NOT NULL,
    language         TEXT NOT NULL,
    headline         TEXT NOT NULL,
    stations         TEXT NOT NULL,
    session_id       INTEGER,
    stopped_sessions TEXT NOT NULL,
    note             TEXT NOT NULL,
    xml              TEXT NOT NULL,
    UNIQUE (sender, identifier, sent)
);
)sql",
                                                      R"sql(
ALTER TABLE emergency_sessions ADD COLUMN live_source TEXT NOT NULL DEFAULT '';
ALTER TABLE emergency_sessions ADD COLUMN live_session TEXT NOT NULL DEFAULT '';
)sql"};

constexpr std::string_view kSessionColumns =
    "id, started_at, started_by, title, asset_id, text, units, stations, entries, first_at, "
    "repeat, every_us, ends_at, alert_id, stopped_at, stopped_by, live_source, live_session";
constexpr std::string_view kAlertColumns =
    "id, identifier, sender, sent, status, msg_type, received_at, received_by, language, "
    "headline, stations, session_id, stopped_sessions, note, xml";

template <class T>
std::vector<T> from_json_text(const std::string& text) {
    const json j = json::parse(text, nullptr, false);
    if (!j.is_array()) {
        return {};
    }
    std::vector<T> out;
    for (const auto& v : j) {
        if constexpr (std::is_same_v<T, std::string>) {
            if (v.is_string()) {
                out.push_back(v.get<std::string>());
            }
        } else if (v.is_number_integer()) {
            out.push_back(v.get<T>());
        }
    }
    return out;
}

template <class T>
std::string to_json_text(const std::vector<T>& values) {
    return json(values).dump();
}

EmergencySession read_session(const sqlite::Statement& s) {
    EmergencySession e;
    e.id = s.int64(0);
    e.started_at = from_unix_us(s.int64(1));
    e.started_by = s.text(2);
    e.title = s.text(3);
    e.asset_id = s.text(4);
    e.text = s.text(5);
    e.units = from_json_text<std::string>(s.text(6));
    e.stations = from_json_text<std::string>(s.text(7));
    e.entry_ids = from_json_text<std::int64_t>(s.text(8));
    e.first_at = from_unix_us(s.int64(9));
    e.repeat = static_cast<int>(s.int64(10));
    e.every = std::chrono::microseconds{s.int64(11)};
    e.ends_at = from_unix_us(s.int64(12));
    e.alert_id = s.optional_int64(13);
    if (auto at = s.optional_int64(14)) {
        e.stopped_at = from_unix_us(*at);
    }
    e.stopped_by = s.text(15);
    e.live_source = s.text(16);
    e.live_session = s.text(17);
    return e;
}

StoredAlert read_alert(const sqlite::Statement& s) {
    StoredAlert a;
    a.id = s.int64(0);
    a.identifier = s.text(1);
    a.sender = s.text(2);
    a.sent = from_unix_us(s.int64(3));
    a.status = s.text(4);
    a.msg_type = s.text(5);
    a.received_at = from_unix_us(s.int64(6));
    a.received_by = s.text(7);
    a.language = s.text(8);
    a.headline = s.text(9);
    a.stations = from_json_text<std::string>(s.text(10));
    a.session_id = s.optional_int64(11);
    a.stopped_sessions = from_json_text<std::int64_t>(s.text(12));
    a.note = s.text(13);
    a.xml = s.text(14);
    return a;
}

}  // namespace

std::string EmergencySession::state(TimePoint now) const {
    if (stopped_at) {
        return "stopped";
    }
    return now < ends_at ? "active" : "ended";
}

EmergencyStore::EmergencyStore(sqlite::Database& db) {
    db.migrate(kMigrations, "loa-scheduler", "emergency");
}

std::int64_t EmergencyStore::insert_session(sqlite::Database& db, const EmergencySession& e) const {
    sqlite::Statement s{db,
                        "INSERT INTO emergency_sessions (started_at, started_by, title, asset_id, "
                        "text, units, stations, entries, first_at, repeat, every_us, ends_at, "
                        "alert_id, live_source, live_session) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"};
    s.bind(1, to_unix_us(e.started_at))
        .bind(2, e.started_by)
        .bind(3, e.title)
        .bind(4, e.asset_id)
        .bind(5, e.text)
        .bind(6, to_json_text(e.units))
        .bind(7, to_json_text(e.stations))
        .bind(8, to_json_text(e.entry_ids))
        .bind(9, to_unix_us(e.first_at))
        .bind(10, e.repeat)
        .bind(11, static_cast<std::int64_t>(
                      std::chrono::duration_cast<std::chrono::microseconds>(e.every).count()))
        .bind(12, to_unix_us(e.ends_at))
        .bind(13, e.alert_id)
        .bind(14, e.live_source)
        .bind(15, e.live_session);
    s.run();
    return db.last_insert_rowid();
}

void EmergencyStore::mark_stopped(sqlite::Database& db, std::int64_t id, TimePoint at,
                                  const std::string& who) const {
    sqlite::Statement s{db,
                        "UPDATE emergency_sessions SET stopped_at = ?, stopped_by = ? "
                        "WHERE id = ? AND stopped_at IS NULL"};
    s.bind(1, to_unix_us(at)).bind(2, who).bind(3, id);
    s.run();
}

std::optional<EmergencySession> EmergencyStore::session(sqlite::Database& db,
                                                        std::int64_t id) const {
    sqlite::Statement s{
        db, fmt::format("SELECT {} FROM emergency_sessions WHERE id = ?", kSessionColumns)};
    s.bind(1, id);
    if (!s.step()) {
        return std::nullopt;
    }
    return read_session(s);
}

std::vector<EmergencySession> EmergencyStore::sessions(sqlite::Database& db,
                                                       std::size_t limit) const {
    sqlite::Statement s{db, fmt::format("SELECT {} FROM emergency_sessions ORDER BY id DESC "
                                        "LIMIT ?",
                                        kSessionColumns)};
    s.bind(1, static_cast<std::int64_t>(limit));
    std::vector<EmergencySession> out;
    while (s.step()) {
        out.push_back(read_session(s));
    }
    return out;
}

std::int64_t EmergencyStore::insert_alert(sqlite::Database& db, const StoredAlert& a) const {
    sqlite::Statement s{db,
                        "INSERT INTO cap_alerts (identifier, sender, sent, status, msg_type, "
                        "received_at, received_by, language, headline, stations, session_id, "
                        "stopped_sessions, note, xml) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"};
    s.bind(1, a.identifier)
        .bind(2, a.sender)
        .bind(3, to_unix_us(a.sent))
        .bind(4, a.status)
        .bind(5, a.msg_type)
        .bind(6, to_unix_us(a.received_at))
        .bind(7, a.received_by)
        .bind(8, a.language)
        .bind(9, a.headline)
        .bind(10, to_json_text(a.stations))
        .bind(11, a.session_id)
        .bind(12, to_json_text(a.stopped_sessions))
        .bind(13, a.note)
        .bind(14, a.xml);
    s.run();
    return db.last_insert_rowid();
}

void EmergencyStore::set_live_session(sqlite::Database& db, std::int64_t id,
                                      const std::string& live_session) const {
    sqlite::Statement s{db, "UPDATE emergency_sessions SET live_session = ? WHERE id = ?"};
    s.bind(1, live_session).bind(2, id);
    s.run();
}

void EmergencyStore::set_alert_of_session(sqlite::Database& db, std::int64_t session_id,
                                          std::int64_t alert_id) const {
    sqlite::Statement s{db, "UPDATE emergency_sessions SET alert_id = ? WHERE id = ?"};
    s.bind(1, alert_id).bind(2, session_id);
    s.run();
}

std::optional<StoredAlert> EmergencyStore::find_alert(sqlite::Database& db,
                                                      const std::string& sender,
                                                      const std::string& identifier,
                                                      TimePoint sent) const {
    sqlite::Statement s{db, fmt::format("SELECT {} FROM cap_alerts WHERE sender = ? AND "
                                        "identifier = ? AND sent = ?",
                                        kAlertColumns)};
    s.bind(1, sender).bind(2, identifier).bind(3, to_unix_us(sent));
    if (!s.step()) {
        return std::nullopt;
    }
    return read_alert(s);
}

std::vector<StoredAlert> EmergencyStore::alerts(sqlite::Database& db, std::size_t limit) const {
    sqlite::Statement s{
        db, fmt::format("SELECT {} FROM cap_alerts ORDER BY id DESC LIMIT ?", kAlertColumns)};
    s.bind(1, static_cast<std::int64_t>(limit));
    std::vector<StoredAlert> out;
    while (s.step()) {
        out.push_back(read_alert(s));
    }
    return out;
}

}  // namespace loa::scheduler
