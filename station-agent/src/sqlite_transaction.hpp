#pragma once

namespace loa::agent {

class SqliteDb;

// A scoped write transaction (BEGIN IMMEDIATE): rolled back when it goes out of scope without
// commit(). Throws StoreError.
class SqliteTransaction {
public:
    explicit SqliteTransaction(SqliteDb& db);
    ~SqliteTransaction();
    SqliteTransaction(const SqliteTransaction&) = delete;
    SqliteTransaction& operator=(const SqliteTransaction&) = delete;

    void commit();

private:
    SqliteDb& db_;
    bool open_ = true;
};

}  // namespace loa::agent
