#pragma once

#include "loa/common/sqlite.hpp"

// The tables of users, tokens and the audit log. They live in the scheduler's database file
// beside the store's tables but have their own schema version (part "auth" of
// sqlite::Database::migrate), so the two sets migrate independently. Database layer: throws
// sqlite::Error.
namespace loa::scheduler {

// Brings the auth tables of `db` up to the latest version, each step in its own transaction.
// Throws when the database's auth schema is newer than this build knows. Idempotent. Call from
// the thread that owns `db`.
void migrate_auth_schema(sqlite::Database& db);

// The auth schema version of `db` (0: never migrated), and the newest this build knows.
int auth_schema_version(sqlite::Database& db);
int latest_auth_schema_version();

}  // namespace loa::scheduler
