#include "sqlite_statement.hpp"

#include "loa/scheduler/scheduler_store.hpp"

#include <fmt/format.h>

namespace loa::scheduler {

void check_sqlite(sqlite3* db, int rc, std::string_view what) {
    if (rc != SQLITE_OK) {
        throw StoreError{fmt::format("database: {}: {}", what,
                                     db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc))};
    }
}

SqliteStatement::SqliteStatement(sqlite3* db, std::string_view sql) : db_{db}, sql_{sql} {
    sqlite3_stmt* raw = nullptr;
    check_sqlite(db_,
                 sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &raw, nullptr),
                 fmt::format("preparing '{}'", sql_));
    stmt_.reset(raw);
}

SqliteStatement& SqliteStatement::bind(int index, std::int64_t value) {
    check_sqlite(db_, sqlite3_bind_int64(stmt_.get(), index, value), sql_);
    return *this;
}

SqliteStatement& SqliteStatement::bind(int index, std::uint64_t value) {
    return bind(index, static_cast<std::int64_t>(value));
}

SqliteStatement& SqliteStatement::bind(int index, std::uint32_t value) {
    return bind(index, static_cast<std::int64_t>(value));
}

SqliteStatement& SqliteStatement::bind(int index, int value) {
    return bind(index, static_cast<std::int64_t>(value));
}

SqliteStatement& SqliteStatement::bind(int index, std::string_view value) {
    check_sqlite(db_,
                 sqlite3_bind_text(stmt_.get(), index, value.data(), static_cast<int>(value.size()),
                                   SQLITE_TRANSIENT),
                 sql_);
    return *this;
}

SqliteStatement& SqliteStatement::bind(int index, const std::optional<std::int64_t>& value) {
    if (!value) {
        check_sqlite(db_, sqlite3_bind_null(stmt_.get(), index), sql_);
        return *this;
    }
    return bind(index, *value);
}

bool SqliteStatement::step() {
    const int rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    throw StoreError{fmt::format("database: '{}': {}", sql_, sqlite3_errmsg(db_))};
}

void SqliteStatement::run() {
    while (step()) {
    }
}

int SqliteStatement::changes() const {
    return sqlite3_changes(db_);
}

std::int64_t SqliteStatement::int64(int column) const {
    return sqlite3_column_int64(stmt_.get(), column);
}

std::string SqliteStatement::text(int column) const {
    const auto* p = sqlite3_column_text(stmt_.get(), column);
    if (p == nullptr) {
        return {};
    }
    return std::string{reinterpret_cast<const char*>(p),
                       static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), column))};
}

bool SqliteStatement::is_null(int column) const {
    return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
}

std::optional<std::int64_t> SqliteStatement::optional_int64(int column) const {
    if (is_null(column)) {
        return std::nullopt;
    }
    return int64(column);
}

}  // namespace loa::scheduler
