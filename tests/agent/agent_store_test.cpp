#include "loa/agent/agent_store.hpp"

#include "loa/common/digest.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

using namespace loa;
using namespace loa::agent;
using loa::agent::test::TempDir;

namespace {

const TimePoint kT0 = from_unix_us(1'795'000'000'000'000);

wire::AsRunRecord make_record(const std::string& item, std::int64_t scheduled_at_us) {
    wire::AsRunRecord r;
    r.set_record_id(random_id());
    r.set_item_id(item);
    r.set_asset_id(std::string(64, 'a'));
    r.set_scheduled_at_us(scheduled_at_us);
    r.set_started_at_us(scheduled_at_us);
    r.set_ended_at_us(scheduled_at_us + 1'000'000);
    r.set_status(wire::COMPLETED);
    r.set_timeline_revision(7);
    return r;
}

}  // namespace

TEST(AgentStore, CreatesTheLatestSchema) {
    TempDir dir;
    FakeClock clock{kT0};
    AgentStore store{dir / "agent.db", clock};
    EXPECT_EQ(store.schema_version(), AgentStore::latest_schema_version());
    EXPECT_FALSE(store.timeline().has_value());
    EXPECT_EQ(store.timeline_revision(), 0U);
    EXPECT_EQ(store.outbox_depth(), 0U);
}

TEST(AgentStore, TimelineSurvivesReopenByteForByte) {
    TempDir dir;
    FakeClock clock{kT0};
    // Bytes with zeros and high bits: the store must keep them exactly for re-verification.
    std::string bytes{"\x08\x00\xff\x10timeline", 12};
    std::string signature(64, '\0');
    signature[5] = '\x80';
    {
        AgentStore store{dir / "agent.db", clock};
        store.save_timeline({3, "30280", bytes, signature, {}});
        store.save_timeline({4, "30280", bytes + "x", signature, {}});
    }
    AgentStore store{dir / "agent.db", clock};
    const auto t = store.timeline();
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->revision, 4U);
    EXPECT_EQ(t->station_id, "30280");
    EXPECT_EQ(t->bytes, bytes + "x");
    EXPECT_EQ(t->signature, signature);
    EXPECT_EQ(store.timeline_revision(), 4U);
    EXPECT_EQ(t->delta, "");

    // A timeline rebuilt from a delta keeps the delta as its proof; a later whole one drops it.
    const std::string delta{"\x10\x04\x18\x05\x00delta", 10};
    store.save_timeline({5, "30280", bytes, signature, delta});
    EXPECT_EQ(store.timeline()->delta, delta);
    store.save_timeline({6, "30280", bytes, signature, {}});
    EXPECT_EQ(store.timeline()->delta, "");
}

TEST(AgentStore, ATimelineStoredBySchemaOneIsStillReadable) {
    TempDir dir;
    FakeClock clock{kT0};
    {
        sqlite::Database db{dir / "agent.db", "FULL"};
        db.exec(
            "CREATE TABLE schema_version (version INTEGER NOT NULL);"
            "INSERT INTO schema_version (version) VALUES (1);"
            "CREATE TABLE timeline (id INTEGER PRIMARY KEY CHECK (id = 1), revision INTEGER "
            "NOT NULL, station_id TEXT NOT NULL, bytes BLOB NOT NULL, signature BLOB NOT "
            "NULL, stored_at_us INTEGER NOT NULL);"
            "CREATE TABLE item_state (item_id TEXT NOT NULL, start_at_us INTEGER NOT NULL, "
            "state TEXT NOT NULL, record_id TEXT NOT NULL, updated_at_us INTEGER NOT NULL, "
            "PRIMARY KEY (item_id, start_at_us));"
            "CREATE TABLE outbox (record_id TEXT PRIMARY KEY, record BLOB NOT NULL, "
            "created_at_us INTEGER NOT NULL);"
            "INSERT INTO timeline VALUES (1, 8, '30280', x'0801', x'00ff', 5);");
    }
    AgentStore store{dir / "agent.db", clock};
    EXPECT_EQ(store.schema_version(), AgentStore::latest_schema_version());
    const auto t = store.timeline();
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->revision, 8U);
    EXPECT_EQ(t->bytes, std::string("\x08\x01", 2));
    EXPECT_EQ(t->delta, "");
}

TEST(AgentStore, OutboxSurvivesReopenAndKeepsOrderUntilAcknowledged) {
    TempDir dir;
    FakeClock clock{kT0};
    std::vector<wire::AsRunRecord> records;
    {
        AgentStore store{dir / "agent.db", clock};
        for (int i = 0; i < 3; ++i) {
            records.push_back(make_record("e" + std::to_string(i), 1000 + i));
            ASSERT_TRUE(store.record_as_run(records.back()));
        }
    }
    {
        AgentStore store{dir / "agent.db", clock};
        EXPECT_EQ(store.outbox_depth(), 3U);
        const auto pending = store.pending_as_run(10);
        ASSERT_EQ(pending.size(), 3U);
        for (std::size_t i = 0; i < 3; ++i) {
            EXPECT_EQ(pending[i].SerializeAsString(), records[i].SerializeAsString());
        }
        EXPECT_EQ(store.pending_as_run(2).size(), 2U);
        // An unknown id is ignored; the two known ones go.
        EXPECT_EQ(store.acknowledge_as_run(
                      {records[0].record_id(), records[2].record_id(), "nonexistent"}),
                  2U);
    }
    AgentStore store{dir / "agent.db", clock};
    const auto pending = store.pending_as_run(10);
    ASSERT_EQ(pending.size(), 1U);
    EXPECT_EQ(pending[0].record_id(), records[1].record_id());
}

TEST(AgentStore, ItemStatePreventsDoubleAiringAcrossReopen) {
    TempDir dir;
    FakeClock clock{kT0};
    {
        AgentStore store{dir / "agent.db", clock};
        EXPECT_FALSE(store.item_handled("e1", 5000));
        EXPECT_TRUE(store.record_as_run(make_record("e1", 5000)));
        EXPECT_TRUE(store.item_handled("e1", 5000));
        // The same item at another time is another airing.
        EXPECT_FALSE(store.item_handled("e1", 6000));
    }
    AgentStore store{dir / "agent.db", clock};
    EXPECT_TRUE(store.item_handled("e1", 5000));
    // A second report of the same airing (another record id) changes nothing.
    EXPECT_FALSE(store.record_as_run(make_record("e1", 5000)));
    EXPECT_EQ(store.outbox_depth(), 1U);
    // Acknowledging the record does not make the item airable again.
    store.acknowledge_as_run({store.pending_as_run(1).at(0).record_id()});
    EXPECT_EQ(store.outbox_depth(), 0U);
    EXPECT_TRUE(store.item_handled("e1", 5000));
    EXPECT_FALSE(store.record_as_run(make_record("e1", 5000)));
}

TEST(AgentStore, OutboxSurvivesKill9) {
    TempDir dir;
    const auto db = dir / "agent.db";
    const auto record = make_record("e9", 9000);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        FakeClock clock{kT0};
        AgentStore store{db, clock};
        store.record_as_run(record);
        // Die without closing anything, as kill -9 would.
        raise(SIGKILL);
        _exit(3);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status));
    FakeClock clock{kT0};
    AgentStore store{db, clock};
    const auto pending = store.pending_as_run(10);
    ASSERT_EQ(pending.size(), 1U);
    EXPECT_EQ(pending[0].SerializeAsString(), record.SerializeAsString());
    EXPECT_TRUE(store.item_handled("e9", 9000));
}

TEST(AgentStore, RefusesADatabaseFromANewerAgent) {
    TempDir dir;
    FakeClock clock{kT0};
    { AgentStore store{dir / "agent.db", clock}; }
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open((dir / "agent.db").c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(
        sqlite3_exec(raw, "UPDATE schema_version SET version = 99", nullptr, nullptr, nullptr),
        SQLITE_OK);
    sqlite3_close(raw);
    try {
        AgentStore store{dir / "agent.db", clock};
        FAIL() << "a newer schema was accepted";
    } catch (const StoreError& e) {
        EXPECT_NE(std::string{e.what()}.find("schema version 99"), std::string::npos) << e.what();
    }
}

TEST(AgentStore, UnopenableFileIsAClearError) {
    FakeClock clock{kT0};
    try {
        AgentStore store{"/nonexistent-dir/for/sure/agent.db", clock};
        FAIL() << "opened a database in a missing directory";
    } catch (const StoreError& e) {
        EXPECT_NE(std::string{e.what()}.find("/nonexistent-dir/for/sure/agent.db"),
                  std::string::npos)
            << e.what();
    }
}
