#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace loa::scheduler {

// One prepared SQLite statement: bind by 1-based position, step, read columns by 0-based
// position. Throws StoreError on any SQLite failure, naming the statement. Same thread rules as
// the connection it belongs to.
class SqliteStatement {
public:
    SqliteStatement(sqlite3* db, std::string_view sql);
    SqliteStatement(const SqliteStatement&) = delete;
    SqliteStatement& operator=(const SqliteStatement&) = delete;

    SqliteStatement& bind(int index, std::int64_t value);
    SqliteStatement& bind(int index, std::uint64_t value);
    SqliteStatement& bind(int index, std::uint32_t value);
    SqliteStatement& bind(int index, int value);
    SqliteStatement& bind(int index, std::string_view value);
    SqliteStatement& bind(int index, const std::optional<std::int64_t>& value);

    // Steps once: true when a row is ready, false when the statement is done.
    bool step();
    // Steps a statement that returns no rows.
    void run();
    // Rows changed by the last run().
    int changes() const;

    std::int64_t int64(int column) const;
    std::string text(int column) const;
    bool is_null(int column) const;
    std::optional<std::int64_t> optional_int64(int column) const;

private:
    struct Finalizer {
        void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
    };
    sqlite3* db_;
    std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
    std::string sql_;
};

// Throws StoreError with SQLite's message unless `rc` is SQLITE_OK.
void check_sqlite(sqlite3* db, int rc, std::string_view what);

}  // namespace loa::scheduler
