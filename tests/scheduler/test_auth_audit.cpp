#include "loa/common/clock.hpp"
#include "loa/common/sqlite.hpp"
#include "loa/scheduler/audit_log.hpp"
#include "loa/scheduler/auth_schema.hpp"
#include "loa/test/temp_dir.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>

using namespace loa;
using namespace loa::scheduler;
using namespace std::chrono_literals;
using loa::test_support::TempDir;

namespace {

TimePoint epoch() {
    return from_unix_us(1'795'737'600'000'000);  // 2026-11-27T00:00:00Z
}

std::int64_t count(sqlite::Database& db, const std::string& sql) {
    sqlite::Statement s{db, sql};
    s.step();
    return s.int64(0);
}

// A stand-in for a change the audit log records: a row of a table of the caller.
void create_thing(sqlite::Database& db, const AuditLog& audit, const std::string& id,
                  const Actor& actor) {
    sqlite::Statement{db, "INSERT INTO things (id) VALUES (?)"}.bind(1, id).run();
    audit.record(db, {actor, "create", "thing", id, std::nullopt,
                      "{\"id\":\"" + id + "\",\"title\":\"Tin tức\"}"});
}

AuditQuery between(TimePoint from, TimePoint until) {
    AuditQuery q;
    q.from = from;
    q.until = until;
    return q;
}

AuditQuery by_actor(const std::string& actor) {
    AuditQuery q;
    q.actor = actor;
    return q;
}

AuditQuery of_object(const std::string& kind, const std::string& id) {
    AuditQuery q;
    q.object_kind = kind;
    q.object_id = id;
    return q;
}

AuditQuery limited(std::size_t limit) {
    AuditQuery q;
    q.limit = limit;
    return q;
}

class AuditLogTest : public ::testing::Test {
protected:
    AuditLogTest() {
        migrate_auth_schema(db);
        db.exec("CREATE TABLE things (id TEXT PRIMARY KEY)");
    }
    FakeClock clock{epoch()};
    sqlite::Database db{":memory:"};
    AuditLog audit{clock};
    const Actor lan{"lan", "10.1.2.3"};
};

TEST_F(AuditLogTest, RecordsEveryFieldInTheCallersTransaction) {
    {
        sqlite::Transaction tx{db};
        create_thing(db, audit, "t1", lan);
        tx.commit();
    }
    sqlite::Statement s{db,
                        "SELECT at_us, actor, action, object_kind, object_id, before_json, "
                        "after_json, client_address FROM audit_log"};
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.int64(0), to_unix_us(epoch()));
    EXPECT_EQ(s.text(1), "lan");
    EXPECT_EQ(s.text(2), "create");
    EXPECT_EQ(s.text(3), "thing");
    EXPECT_EQ(s.text(4), "t1");
    EXPECT_TRUE(s.is_null(5));
    EXPECT_EQ(s.text(6), R"({"id":"t1","title":"Tin tức"})");
    EXPECT_EQ(s.text(7), "10.1.2.3");
    EXPECT_FALSE(s.step());
}

TEST_F(AuditLogTest, RolledBackChangeLeavesNoAuditRow) {
    {
        sqlite::Transaction tx{db};
        create_thing(db, audit, "t1", lan);
        // No commit: the change fails later (say, a compile error) and is rolled back.
    }
    EXPECT_EQ(count(db, "SELECT COUNT(*) FROM things"), 0);
    EXPECT_EQ(count(db, "SELECT COUNT(*) FROM audit_log"), 0);
    EXPECT_TRUE(audit.query(db, {}).empty());

    // A savepoint rolled back inside a committed transaction takes its record with it too.
    {
        sqlite::Transaction outer{db};
        create_thing(db, audit, "t2", lan);
        {
            sqlite::Transaction inner{db};
            create_thing(db, audit, "t3", lan);
        }
        outer.commit();
    }
    const auto events = audit.query(db, {});
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].object_id, "t2");
}

TEST_F(AuditLogTest, RowsCannotBeChangedOrDeleted) {
    create_thing(db, audit, "t1", lan);
    EXPECT_THROW(db.exec("UPDATE audit_log SET actor = 'someone else'"), sqlite::Error);
    EXPECT_THROW(db.exec("DELETE FROM audit_log"), sqlite::Error);
    const auto events = audit.query(db, {});
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].actor, "lan");
}

TEST_F(AuditLogTest, RefusesRecordsThatAreNotJsonOrLackAnActor) {
    EXPECT_THROW(audit.record(db, {lan, "create", "thing", "t1", std::nullopt, "{not json"}),
                 std::invalid_argument);
    EXPECT_THROW(audit.record(db, {{"", "x"}, "create", "thing", "t1", std::nullopt, "{}"}),
                 std::invalid_argument);
    EXPECT_EQ(count(db, "SELECT COUNT(*) FROM audit_log"), 0);
}

TEST_F(AuditLogTest, QueriesByTimeRangeUserAndObjectNewestFirst) {
    const Actor minh{"minh", "10.1.2.4"};
    create_thing(db, audit, "t1", lan);  // at epoch
    clock.advance(1h);
    create_thing(db, audit, "t2", minh);  // +1 h
    clock.advance(1h);
    audit.record(db, {lan, "update", "thing", "t1", R"({"id":"t1"})", R"({"id":"t1","x":1})"});
    clock.advance(1h);
    create_thing(db, audit, "t3", lan);  // +3 h

    const auto all = audit.query(db, {});
    ASSERT_EQ(all.size(), 4u);
    EXPECT_EQ(all[0].object_id, "t3");
    EXPECT_EQ(all[3].object_id, "t1");
    EXPECT_GT(all[0].id, all[1].id);

    const auto middle = audit.query(db, between(epoch() + 1h, epoch() + 3h));
    ASSERT_EQ(middle.size(), 2u);
    EXPECT_EQ(middle[0].action, "update");
    EXPECT_EQ(middle[1].object_id, "t2");

    const auto by_lan = audit.query(db, by_actor("lan"));
    ASSERT_EQ(by_lan.size(), 3u);
    for (const auto& e : by_lan) {
        EXPECT_EQ(e.actor, "lan");
    }

    const auto of_t1 = audit.query(db, of_object("thing", "t1"));
    ASSERT_EQ(of_t1.size(), 2u);
    EXPECT_EQ(of_t1[0].action, "update");
    EXPECT_EQ(*of_t1[0].before, R"({"id":"t1"})");
    EXPECT_EQ(of_t1[1].action, "create");

    EXPECT_EQ(audit.query(db, limited(2)).size(), 2u);
    EXPECT_TRUE(audit.query(db, by_actor("nobody")).empty());
}

TEST(AuditLogFile, SurvivesReopen) {
    TempDir dir;
    const auto path = dir / "scheduler.db";
    FakeClock clock{epoch()};
    AuditLog audit{clock};
    {
        sqlite::Database db{path};
        migrate_auth_schema(db);
        sqlite::Transaction tx{db};
        audit.record(db, {{"lan", "10.1.2.3"},
                          "retire",
                          "entry",
                          "7",
                          "{\"state\":\"approved\"}",
                          "{\"state\":\"retired\"}"});
        tx.commit();
    }
    sqlite::Database db{path};
    migrate_auth_schema(db);
    const auto events = audit.query(db, of_object("entry", "7"));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].actor, "lan");
    EXPECT_EQ(events[0].action, "retire");
    EXPECT_EQ(events[0].at_us, to_unix_us(epoch()));
    EXPECT_EQ(*events[0].after, "{\"state\":\"retired\"}");
    EXPECT_EQ(events[0].client_address, "10.1.2.3");
}

}  // namespace
