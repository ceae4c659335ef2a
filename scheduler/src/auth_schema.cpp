#include "loa/scheduler/auth_schema.hpp"

#include <array>
#include <string_view>

namespace loa::scheduler {
namespace {

constexpr std::string_view kPart = "auth";

// Forward-only: never edit a migration that has shipped; append a new one.
constexpr std::array<std::string_view, 1> kAuthMigrations{
    // 1: users, tokens, the audit log.
    R"sql(
CREATE TABLE auth_users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL
        CHECK (role IN ('admin', 'district-operator', 'commune-operator', 'viewer')),
    scope TEXT NOT NULL DEFAULT '',
    password_hash TEXT,
    disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at_us INTEGER NOT NULL,
    updated_at_us INTEGER NOT NULL
);
CREATE TABLE auth_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES auth_users (id),
    token_sha256 TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('session', 'api')),
    label TEXT NOT NULL DEFAULT '',
    created_at_us INTEGER NOT NULL,
    expires_at_us INTEGER,
    last_used_at_us INTEGER,
    revoked_at_us INTEGER
);
CREATE INDEX auth_tokens_user ON auth_tokens (user_id);
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at_us INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object_kind TEXT NOT NULL,
    object_id TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    client_address TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at_us);
CREATE INDEX audit_log_actor ON audit_log (actor, at_us);
CREATE INDEX audit_log_object ON audit_log (object_kind, object_id, at_us);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be changed');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be deleted');
END;
)sql",
};

}  // namespace

int latest_auth_schema_version() {
    return static_cast<int>(kAuthMigrations.size());
}

int auth_schema_version(sqlite::Database& db) {
    return db.schema_version(kPart);
}

void migrate_auth_schema(sqlite::Database& db) {
    db.migrate(kAuthMigrations, "loa-scheduler", kPart);
}

}  // namespace loa::scheduler
