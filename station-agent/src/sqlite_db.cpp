#include "sqlite_db.hpp"

#include "loa/agent/agent_store.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

namespace loa::agent {

SqliteDb::SqliteDb(const std::filesystem::path& path) : name_{path.string()} {
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
    if (sqlite3_open_v2(name_.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
        const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        db_ = nullptr;
        throw StoreError{fmt::format("{}: cannot open the database: {}", name_, message)};
    }
    sqlite3_extended_result_codes(db_, 1);
}

SqliteDb::~SqliteDb() {
    sqlite3_close(db_);
}

void SqliteDb::exec(const std::string& sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
        std::string text = message != nullptr ? message : sqlite3_errmsg(db_);
        sqlite3_free(message);
        throw StoreError{fmt::format("{}: {}", name_, text)};
    }
}

int SqliteDb::changes() const {
    return sqlite3_changes(db_);
}

std::string SqliteDb::describe_error(const std::string& what) const {
    return fmt::format("{}: {}: {}", name_, what, sqlite3_errmsg(db_));
}

}  // namespace loa::agent
