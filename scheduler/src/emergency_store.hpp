#pragma once

#include "loa/common/clock.hpp"
#include "loa/common/sqlite.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace loa::scheduler {

// One emergency broadcast: the approved EMERGENCY entries it made (one per airing) and where.
struct EmergencySession {
    std::int64_t id = 0;
    TimePoint started_at{};
    std::string started_by;
    std::string title;
    std::string asset_id;
    std::string text;  // the spoken text when it was typed (or came from a CAP alert)
    std::vector<std::string> units;
    std::vector<std::string> stations;  // the stations targeted (resolved when started)
    std::vector<std::int64_t> entry_ids;
    TimePoint first_at{};  // the first airing
    int repeat = 1;
    Duration every{};                      // between airings' starts
    TimePoint ends_at{};                   // the last airing's end
    std::optional<std::int64_t> alert_id;  // the CAP alert it airs
    std::optional<TimePoint> stopped_at;
    std::string stopped_by;
    // --live: the source its only airing is relayed from (no timeline entry); empty otherwise.
    std::string live_source;
    // The live session that carries its first airing ("E<id>"), or its whole airing for a
    // --live session; empty when none was started (no agent link, or it failed to start).
    std::string live_session;

    // "active" (not stopped, not over), "stopped" or "ended".
    std::string state(TimePoint now) const;
};

// A CAP alert as received (POST /api/v1/alerts) and what became of it.
struct StoredAlert {
    std::int64_t id = 0;
    std::string identifier;
    std::string sender;
    TimePoint sent{};
    std::string status;    // "Actual", "Exercise", ...
    std::string msg_type;  // "Alert", "Update", "Cancel"
    TimePoint received_at{};
    std::string received_by;
    std::string language;
    std::string headline;
    std::vector<std::string> stations;  // where it airs (none for a Cancel)
    std::optional<std::int64_t> session_id;
    std::vector<std::int64_t> stopped_sessions;  // Update/Cancel: the sessions it stopped
    std::string note;
    std::string xml;
};

// The tables of emergency sessions and CAP alerts, in their own schema part ("emergency") of the
// scheduler's database. Holds no connection: every method works on the connection given, inside
// the caller's transaction when there is one (the Planner's, so a session and its entries commit
// together). The constructor migrates the part on `db` (call it once at start-up, outside any
// transaction). Database layer: throws sqlite::Error. Any thread, each with its own connection.
class EmergencyStore {
public:
    explicit EmergencyStore(sqlite::Database& db);

    // Stores a new session (its id is given here) and answers the id.
    std::int64_t insert_session(sqlite::Database& db, const EmergencySession& session) const;
    void set_live_session(sqlite::Database& db, std::int64_t id,
                          const std::string& live_session) const;
    void mark_stopped(sqlite::Database& db, std::int64_t id, TimePoint at,
                      const std::string& who) const;
    std::optional<EmergencySession> session(sqlite::Database& db, std::int64_t id) const;
    // Newest first.
    std::vector<EmergencySession> sessions(sqlite::Database& db, std::size_t limit = 200) const;

    std::int64_t insert_alert(sqlite::Database& db, const StoredAlert& alert) const;
    void set_alert_of_session(sqlite::Database& db, std::int64_t session_id,
                              std::int64_t alert_id) const;
    // The alert stored for (sender, identifier, sent), if any.
    std::optional<StoredAlert> find_alert(sqlite::Database& db, const std::string& sender,
                                          const std::string& identifier, TimePoint sent) const;
    // Newest first.
    std::vector<StoredAlert> alerts(sqlite::Database& db, std::size_t limit = 200) const;
};

}  // namespace loa::scheduler
