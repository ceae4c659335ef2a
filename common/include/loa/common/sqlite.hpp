#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

// The one SQLite layer of both daemons' stores: a connection with Loa's settings, forward-only
// migrations, prepared statements and scoped transactions. Every failure throws sqlite::Error
// naming the database and what failed (the database layer reports by exception; the stores
// catch it at their service boundary). A Database and its statements belong to one thread at a
// time; the stores say which.
namespace loa::sqlite {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Database {
public:
    // Opens (creating if needed) `path`, or a private in-memory database for ":memory:", in WAL
    // mode with foreign keys on and a 5 s busy timeout. `synchronous` is the PRAGMA value
    // ("NORMAL", or "FULL" where every commit must survive power loss).
    explicit Database(const std::filesystem::path& path, std::string_view synchronous = "NORMAL");
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // Runs statements that return no rows.
    void exec(std::string_view sql);
    // Rows changed by the last INSERT, UPDATE or DELETE.
    int changes() const;
    std::int64_t last_insert_rowid() const;
    sqlite3* handle() const { return db_; }
    const std::string& name() const { return name_; }

    // Brings the schema up to migrations.size(): migration i (0-based) takes version i to i + 1,
    // each in its own transaction. Throws when the database is newer than `migrations` knows
    // (`program` names what to upgrade). A database holds the tables of a main schema (`part`
    // empty, version in table schema_version) and of named parts that migrate independently of
    // it (the auth tables, the bulletins: version in table schema_parts).
    void migrate(std::span<const std::string_view> migrations, std::string_view program,
                 std::string_view part = {});
    // The version of the main schema or of a part (0: never migrated).
    int schema_version(std::string_view part = {});

    // "<name>: <what>: <SQLite's message>".
    std::string describe_error(std::string_view what) const;

private:
    sqlite3* db_ = nullptr;
    std::string name_;
};

// A prepared statement: bind by 1-based position, step, read columns by 0-based position.
class Statement {
public:
    Statement(Database& db, std::string_view sql);
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, std::uint64_t value);
    Statement& bind(int index, std::uint32_t value);
    Statement& bind(int index, int value);
    Statement& bind(int index, double value);
    Statement& bind(int index, std::string_view text);
    Statement& bind(int index, const char* text) { return bind(index, std::string_view{text}); }
    Statement& bind(int index, const std::string& text) {
        return bind(index, std::string_view{text});
    }
    Statement& bind(int index, const std::optional<std::int64_t>& value);
    Statement& bind_blob(int index, std::string_view bytes);
    Statement& bind_null(int index);

    // Steps once: true when a row is ready, false when the statement is done.
    bool step();
    // Steps to the end of a statement that returns no rows.
    void run();
    // Makes the statement ready to run again with new bindings.
    void reset();

    std::int64_t int64(int column) const;
    double real(int column) const;
    std::string text(int column) const;
    std::string blob(int column) const;
    bool is_null(int column) const;
    std::optional<std::int64_t> optional_int64(int column) const;

private:
    Database& db_;
    sqlite3_stmt* stmt_ = nullptr;
    std::string sql_;
};

// A scoped write transaction: BEGIN IMMEDIATE, or a savepoint when one is already open on the
// connection; rolled back when it goes out of scope without commit().
class Transaction {
public:
    explicit Transaction(Database& db);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    void commit();

private:
    Database& db_;
    std::string savepoint_;  // empty for the outermost transaction
    bool open_ = true;
};

}  // namespace loa::sqlite
