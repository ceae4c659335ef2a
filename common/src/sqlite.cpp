#include "loa/common/sqlite.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

namespace loa::sqlite {

Database::Database(const std::filesystem::path& path, std::string_view synchronous)
    : name_{path.string()} {
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
    if (sqlite3_open_v2(name_.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
        const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        db_ = nullptr;
        throw Error{fmt::format("{}: cannot open the database: {}", name_, message)};
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, 5000);
    Statement{*this, "PRAGMA journal_mode = WAL"}.run();
    exec(fmt::format("PRAGMA synchronous = {}", synchronous));
    exec("PRAGMA foreign_keys = ON");
}

Database::~Database() {
    sqlite3_close_v2(db_);
}

void Database::exec(std::string_view sql) {
    const std::string text{sql};
    char* message = nullptr;
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
        std::string why = message != nullptr ? message : sqlite3_errmsg(db_);
        sqlite3_free(message);
        throw Error{fmt::format("{}: {}", name_, why)};
    }
}

int Database::changes() const {
    return sqlite3_changes(db_);
}

std::int64_t Database::last_insert_rowid() const {
    return sqlite3_last_insert_rowid(db_);
}

std::string Database::describe_error(std::string_view what) const {
    return fmt::format("{}: {}: {}", name_, what, sqlite3_errmsg(db_));
}

int Database::schema_version(std::string_view part) {
    if (part.empty()) {
        exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
        Statement s{*this, "SELECT version FROM schema_version"};
        return s.step() ? static_cast<int>(s.int64(0)) : 0;
    }
    exec(
        "CREATE TABLE IF NOT EXISTS schema_parts (part TEXT PRIMARY KEY, version INTEGER NOT "
        "NULL)");
    Statement s{*this, "SELECT version FROM schema_parts WHERE part = ?"};
    s.bind(1, part);
    return s.step() ? static_cast<int>(s.int64(0)) : 0;
}

void Database::migrate(std::span<const std::string_view> migrations, std::string_view program,
                       std::string_view part) {
    const int latest = static_cast<int>(migrations.size());
    const auto set_version = [&](int v) {
        if (part.empty()) {
            Statement{*this, "DELETE FROM schema_version"}.run();
            Statement{*this, "INSERT INTO schema_version (version) VALUES (?)"}.bind(1, v).run();
        } else {
            Statement{*this, "INSERT OR REPLACE INTO schema_parts (part, version) VALUES (?, ?)"}
                .bind(1, part)
                .bind(2, v)
                .run();
        }
    };
    int version = 0;
    {
        Transaction tx{*this};
        version = schema_version(part);
        if (version == 0) {
            set_version(0);
        }
        tx.commit();
    }
    if (version > latest) {
        throw Error{
            fmt::format("{}: database schema version {}{} is newer than this {} knows "
                        "({}); use a newer {}",
                        name_, version, part.empty() ? "" : fmt::format(" of {}", part), program,
                        latest, program)};
    }
    for (int v = version; v < latest; ++v) {
        Transaction tx{*this};
        exec(migrations[static_cast<std::size_t>(v)]);
        set_version(v + 1);
        tx.commit();
    }
}

Statement::Statement(Database& db, std::string_view sql) : db_{db}, sql_{sql} {
    if (sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &stmt_,
                           nullptr) != SQLITE_OK) {
        throw Error{db.describe_error(fmt::format("cannot prepare '{}'", sql_))};
    }
}

Statement::~Statement() {
    sqlite3_finalize(stmt_);
}

namespace {

void check_bind(Database& db, int rc, const std::string& sql) {
    if (rc != SQLITE_OK) {
        throw Error{db.describe_error(fmt::format("cannot bind a value of '{}'", sql))};
    }
}

}  // namespace

Statement& Statement::bind(int index, std::int64_t value) {
    check_bind(db_, sqlite3_bind_int64(stmt_, index, value), sql_);
    return *this;
}

Statement& Statement::bind(int index, std::uint64_t value) {
    return bind(index, static_cast<std::int64_t>(value));
}

Statement& Statement::bind(int index, std::uint32_t value) {
    return bind(index, static_cast<std::int64_t>(value));
}

Statement& Statement::bind(int index, int value) {
    return bind(index, static_cast<std::int64_t>(value));
}

Statement& Statement::bind(int index, double value) {
    check_bind(db_, sqlite3_bind_double(stmt_, index, value), sql_);
    return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
    check_bind(db_,
               sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                                 SQLITE_TRANSIENT),
               sql_);
    return *this;
}

Statement& Statement::bind(int index, const std::optional<std::int64_t>& value) {
    return value ? bind(index, *value) : bind_null(index);
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
    check_bind(db_,
               sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()),
                                 SQLITE_TRANSIENT),
               sql_);
    return *this;
}

Statement& Statement::bind_null(int index) {
    check_bind(db_, sqlite3_bind_null(stmt_, index), sql_);
    return *this;
}

bool Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    throw Error{db_.describe_error(fmt::format("'{}' failed", sql_))};
}

void Statement::run() {
    while (step()) {
    }
}

void Statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::int64(int column) const {
    return sqlite3_column_int64(stmt_, column);
}

double Statement::real(int column) const {
    return sqlite3_column_double(stmt_, column);
}

std::string Statement::text(int column) const {
    const auto* p = sqlite3_column_text(stmt_, column);
    if (p == nullptr) {
        return {};
    }
    return std::string{reinterpret_cast<const char*>(p),
                       static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
}

std::string Statement::blob(int column) const {
    const void* p = sqlite3_column_blob(stmt_, column);
    if (p == nullptr) {
        return {};
    }
    return std::string{static_cast<const char*>(p),
                       static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
}

bool Statement::is_null(int column) const {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::optional<std::int64_t> Statement::optional_int64(int column) const {
    if (is_null(column)) {
        return std::nullopt;
    }
    return int64(column);
}

Transaction::Transaction(Database& db) : db_{db} {
    if (sqlite3_get_autocommit(db_.handle()) != 0) {
        db_.exec("BEGIN IMMEDIATE");
    } else {
        static thread_local unsigned counter = 0;
        savepoint_ = fmt::format("loa_sp{}", ++counter);
        db_.exec("SAVEPOINT " + savepoint_);
    }
}

Transaction::~Transaction() {
    if (!open_) {
        return;
    }
    // Nothing to report from a destructor: a failed rollback leaves SQLite to roll back when
    // the connection closes.
    const std::string sql =
        savepoint_.empty() ? "ROLLBACK" : fmt::format("ROLLBACK TO {0}; RELEASE {0}", savepoint_);
    sqlite3_exec(db_.handle(), sql.c_str(), nullptr, nullptr, nullptr);
}

void Transaction::commit() {
    db_.exec(savepoint_.empty() ? "COMMIT" : "RELEASE " + savepoint_);
    open_ = false;
}

}  // namespace loa::sqlite
