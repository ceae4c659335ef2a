#pragma once

#include "loa/common/clock.hpp"
#include "loa/common/sqlite.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace loa::scheduler {

// Who makes a change, and from where: the user's name (or "local:<command>" for a change made
// on the scheduler's machine, e.g. "local:create-admin") and the client's address ("127.0.0.1",
// "local").
struct Actor {
    std::string name;
    std::string address;
};

// One change to record. `before`/`after` are the object as JSON text; nullopt where the object
// did not exist (before a creation) or no longer does.
struct AuditRecord {
    Actor actor;
    std::string action;       // "create", "update", "approve", "retire", "login", ...
    std::string object_kind;  // "user", "token", "entry", "station", "unit", ...
    std::string object_id;
    std::optional<std::string> before;
    std::optional<std::string> after;
};

// A row of the audit log.
struct AuditEvent {
    std::int64_t id = 0;  // grows with every row
    std::int64_t at_us = 0;
    std::string actor;
    std::string action;
    std::string object_kind;
    std::string object_id;
    std::optional<std::string> before;
    std::optional<std::string> after;
    std::string client_address;

    bool operator==(const AuditEvent&) const = default;
};

// Which rows to read: every condition given must hold. Newest first, at most `limit`.
struct AuditQuery {
    std::optional<TimePoint> from;   // at or after
    std::optional<TimePoint> until;  // before
    std::optional<std::string> actor;
    std::optional<std::string> object_kind;
    std::optional<std::string> object_id;  // with object_kind
    std::size_t limit = 100;
};

// The append-only audit log (table audit_log, see auth_schema.hpp): who changed what, when (UTC
// microseconds from the injected clock), the object before and after, and from which address.
// Rows cannot be changed or deleted (triggers refuse it).
//
// A record is written on the caller's connection, inside the caller's transaction, so the change
// and its record are committed or rolled back together. The AuditLog itself holds only the
// clock: any thread may use it, each with a connection it owns. Database layer: throws
// sqlite::Error; the auth schema must have been migrated (migrate_auth_schema).
class AuditLog {
public:
    explicit AuditLog(const IClock& clock) : clock_{clock} {}

    // Appends `record` on `db` (call inside the transaction of the change it records) and
    // answers its id. Throws std::invalid_argument when `before`/`after` is not JSON or a
    // field is empty: a programming error, not an expected failure.
    std::int64_t record(sqlite::Database& db, const AuditRecord& record) const;

    std::vector<AuditEvent> query(sqlite::Database& db, const AuditQuery& query) const;

private:
    const IClock& clock_;
};

}  // namespace loa::scheduler
