#include "sqlite_transaction.hpp"

#include "sqlite_db.hpp"

#include <sqlite3.h>

namespace loa::agent {

SqliteTransaction::SqliteTransaction(SqliteDb& db) : db_{db} {
    db_.exec("BEGIN IMMEDIATE");
}

SqliteTransaction::~SqliteTransaction() {
    if (open_) {
        // Nothing to report from a destructor: a failed rollback leaves SQLite to roll back when
        // the connection closes.
        sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
}

void SqliteTransaction::commit() {
    db_.exec("COMMIT");
    open_ = false;
}

}  // namespace loa::agent
