#pragma once

#include <cstdint>
#include <string>
#include <string_view>

struct sqlite3_stmt;

namespace loa::agent {

class SqliteDb;

// A prepared statement (RAII). Bind indexes start at 1, column indexes at 0. Throws StoreError.
class SqliteStatement {
public:
    SqliteStatement(SqliteDb& db, std::string_view sql);
    ~SqliteStatement();
    SqliteStatement(const SqliteStatement&) = delete;
    SqliteStatement& operator=(const SqliteStatement&) = delete;

    SqliteStatement& bind(int index, std::int64_t value);
    SqliteStatement& bind(int index, std::string_view text);
    SqliteStatement& bind_blob(int index, std::string_view bytes);

    // Steps once: true while a row is available, false when done.
    bool step();
    // Makes the statement ready to run again with new bindings.
    void reset();
    // Steps to the end of a statement that returns no rows.
    void run();

    std::int64_t column_int(int index) const;
    std::string column_text(int index) const;
    std::string column_blob(int index) const;

private:
    SqliteDb& db_;
    sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace loa::agent
