#include "loa/common/sqlite.hpp"

#include <gtest/gtest.h>

#include <array>
#include <filesystem>

using loa::sqlite::Database;
using loa::sqlite::Statement;
using loa::sqlite::Transaction;

namespace {

constexpr std::array<std::string_view, 2> kTwo{
    "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)",
    "ALTER TABLE t ADD COLUMN w INTEGER",
};

std::int64_t count(Database& db) {
    Statement s{db, "SELECT count(*) FROM t"};
    s.step();
    return s.int64(0);
}

}  // namespace

TEST(Sqlite, MigratesForwardAndRefusesANewerDatabase) {
    const auto path = std::filesystem::temp_directory_path() / "loa-sqlite-test.db";
    std::filesystem::remove(path);
    {
        Database db{path};
        db.migrate(std::span{kTwo}.first(1), "test");
        EXPECT_EQ(db.schema_version(), 1);
    }
    {
        Database db{path};
        db.migrate(kTwo, "test");
        EXPECT_EQ(db.schema_version(), 2);
        Statement{db, "INSERT INTO t (v, w) VALUES (?, ?)"}.bind(1, "x").bind(2, 7).run();
    }
    Database db{path};
    try {
        db.migrate(std::span{kTwo}.first(1), "loa-test");
        FAIL() << "an older build must refuse a newer database";
    } catch (const loa::sqlite::Error& e) {
        EXPECT_NE(std::string{e.what()}.find("newer than this loa-test knows"), std::string::npos);
    }
    EXPECT_EQ(count(db), 1);
    for (const char* suffix : {"", "-wal", "-shm"}) {
        std::filesystem::remove(path.string() + suffix);
    }
}

TEST(Sqlite, PartsMigrateIndependentlyOfTheMainSchema) {
    constexpr std::array<std::string_view, 1> kPart{"CREATE TABLE p (x INTEGER)"};
    Database db{":memory:"};
    db.migrate(kTwo, "test");
    db.migrate(kPart, "test", "extra");
    EXPECT_EQ(db.schema_version(), 2);
    EXPECT_EQ(db.schema_version("extra"), 1);
    EXPECT_EQ(db.schema_version("other"), 0);
    Statement{db, "INSERT INTO p (x) VALUES (1)"}.run();
    // Applying again changes nothing; a part newer than the build is refused, naming the part.
    db.migrate(kPart, "test", "extra");
    db.exec("UPDATE schema_parts SET version = 5 WHERE part = 'extra'");
    try {
        db.migrate(kPart, "loa-test", "extra");
        FAIL() << "an older build must refuse a newer part";
    } catch (const loa::sqlite::Error& e) {
        EXPECT_NE(std::string{e.what()}.find("version 5 of extra is newer"), std::string::npos);
    }
    EXPECT_EQ(db.schema_version(), 2);
}

TEST(Sqlite, TransactionsRollBackUnlessCommittedAndNest) {
    Database db{":memory:"};
    db.migrate(kTwo, "test");
    {
        Transaction tx{db};
        Statement{db, "INSERT INTO t (v) VALUES ('a')"}.run();
    }
    EXPECT_EQ(count(db), 0);
    {
        Transaction outer{db};
        Statement{db, "INSERT INTO t (v) VALUES ('kept')"}.run();
        {
            Transaction inner{db};
            Statement{db, "INSERT INTO t (v) VALUES ('dropped')"}.run();
        }
        outer.commit();
    }
    EXPECT_EQ(count(db), 1);
}

TEST(Sqlite, ErrorsNameTheStatement) {
    Database db{":memory:"};
    try {
        Statement{db, "SELECT nothing FROM nowhere"};
        FAIL();
    } catch (const loa::sqlite::Error& e) {
        EXPECT_NE(std::string{e.what()}.find("nowhere"), std::string::npos);
    }
    Statement s{db, "SELECT ?, ?"};
    s.bind(1, std::optional<std::int64_t>{}).bind_blob(2, std::string_view{"\0b", 2});
    ASSERT_TRUE(s.step());
    EXPECT_TRUE(s.is_null(0));
    EXPECT_EQ(s.blob(1), std::string("\0b", 2));
}
