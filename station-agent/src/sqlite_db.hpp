#pragma once

#include <filesystem>
#include <string>

struct sqlite3;

namespace loa::agent {

// One SQLite connection (RAII). Throws StoreError on every failure, naming the file and what
// failed. Not thread-safe: AgentStore serialises its use.
class SqliteDb {
public:
    explicit SqliteDb(const std::filesystem::path& path);
    ~SqliteDb();
    SqliteDb(const SqliteDb&) = delete;
    SqliteDb& operator=(const SqliteDb&) = delete;

    // Runs one or more statements that return no rows.
    void exec(const std::string& sql);
    // Rows changed by the last INSERT, UPDATE or DELETE.
    int changes() const;
    sqlite3* handle() const { return db_; }
    const std::string& name() const { return name_; }
    // "<file>: <what>: <sqlite message>", for StoreError.
    std::string describe_error(const std::string& what) const;

private:
    sqlite3* db_ = nullptr;
    std::string name_;
};

}  // namespace loa::agent
