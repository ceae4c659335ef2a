#include "sqlite_statement.hpp"

#include "loa/agent/agent_store.hpp"
#include "sqlite_db.hpp"

#include <sqlite3.h>

namespace loa::agent {

SqliteStatement::SqliteStatement(SqliteDb& db, std::string_view sql) : db_{db} {
    if (sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &stmt_,
                           nullptr) != SQLITE_OK) {
        throw StoreError{db.describe_error("cannot prepare '" + std::string{sql} + "'")};
    }
}

SqliteStatement::~SqliteStatement() {
    sqlite3_finalize(stmt_);
}

SqliteStatement& SqliteStatement::bind(int index, std::int64_t value) {
    if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) {
        throw StoreError{db_.describe_error("cannot bind a value")};
    }
    return *this;
}

SqliteStatement& SqliteStatement::bind(int index, std::string_view text) {
    if (sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                          SQLITE_TRANSIENT) != SQLITE_OK) {
        throw StoreError{db_.describe_error("cannot bind a text")};
    }
    return *this;
}

SqliteStatement& SqliteStatement::bind_blob(int index, std::string_view bytes) {
    if (sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()),
                          SQLITE_TRANSIENT) != SQLITE_OK) {
        throw StoreError{db_.describe_error("cannot bind a blob")};
    }
    return *this;
}

bool SqliteStatement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    throw StoreError{db_.describe_error("statement failed")};
}

void SqliteStatement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

void SqliteStatement::run() {
    while (step()) {
    }
}

std::int64_t SqliteStatement::column_int(int index) const {
    return sqlite3_column_int64(stmt_, index);
}

std::string SqliteStatement::column_text(int index) const {
    const auto* text = sqlite3_column_text(stmt_, index);
    const int size = sqlite3_column_bytes(stmt_, index);
    if (text == nullptr) {
        return {};
    }
    return std::string{reinterpret_cast<const char*>(text), static_cast<std::size_t>(size)};
}

std::string SqliteStatement::column_blob(int index) const {
    const void* blob = sqlite3_column_blob(stmt_, index);
    const int size = sqlite3_column_bytes(stmt_, index);
    if (blob == nullptr) {
        return {};
    }
    return std::string{static_cast<const char*>(blob), static_cast<std::size_t>(size)};
}

}  // namespace loa::agent
