#include "loa/agent/agent_store.hpp"

#include "loa/common/sqlite.hpp"

#include <fmt/format.h>

#include <array>
#include <string_view>

namespace loa::agent {
namespace {

// Forward-only migrations: entry i brings the schema from version i to i + 1. Never edit one
// that has shipped; append a new one.
constexpr std::array<std::string_view, 3> kMigrations{
    R"sql(
CREATE TABLE timeline (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    revision INTEGER NOT NULL,
    station_id TEXT NOT NULL,
    bytes BLOB NOT NULL,
    signature BLOB NOT NULL,
    stored_at_us INTEGER NOT NULL
);
CREATE TABLE item_state (
    item_id TEXT NOT NULL,
    start_at_us INTEGER NOT NULL,
    state TEXT NOT NULL,
    record_id TEXT NOT NULL,
    updated_at_us INTEGER NOT NULL,
    PRIMARY KEY (item_id, start_at_us)
);
CREATE TABLE outbox (
    record_id TEXT PRIMARY KEY,
    record BLOB NOT NULL,
    created_at_us INTEGER NOT NULL
);
)sql",
    // 2: a timeline rebuilt from a signed delta keeps the delta as its proof.
    R"sql(
ALTER TABLE timeline ADD COLUMN delta BLOB NOT NULL DEFAULT x'';
)sql",
    // 3: station events (faults, monitor events) wait here until the scheduler acknowledges them.
    R"sql(
CREATE TABLE event_outbox (
    event_id TEXT PRIMARY KEY,
    event BLOB NOT NULL,
    created_at_us INTEGER NOT NULL
);
)sql",
};

}  // namespace

AgentStore::AgentStore(const std::filesystem::path& path, const IClock& clock)
    // The outbox must survive a power cut: FULL syncs the WAL on every commit.
    : clock_{clock}, db_{std::make_unique<sqlite::Database>(path, "FULL")} {
    db_->migrate(kMigrations, "loa-agent");
}

AgentStore::~AgentStore() = default;

int AgentStore::latest_schema_version() {
    return static_cast<int>(kMigrations.size());
}

int AgentStore::schema_version() const {
    std::lock_guard lock{mu_};
    return db_->schema_version();
}

std::optional<StoredTimeline> AgentStore::timeline() const {
    std::lock_guard lock{mu_};
    sqlite::Statement st{*db_,
                         "SELECT revision, station_id, bytes, signature, delta FROM timeline"};
    if (!st.step()) {
        return std::nullopt;
    }
    StoredTimeline t;
    t.revision = static_cast<std::uint64_t>(st.int64(0));
    t.station_id = st.text(1);
    t.bytes = st.blob(2);
    t.signature = st.blob(3);
    t.delta = st.blob(4);
    return t;
}

void AgentStore::save_timeline(const StoredTimeline& timeline) {
    std::lock_guard lock{mu_};
    sqlite::Statement{*db_,
                      "INSERT INTO timeline (id, revision, station_id, bytes, signature, "
                      "stored_at_us, delta) VALUES (1, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO "
                      "UPDATE SET revision = excluded.revision, station_id = excluded.station_id, "
                      "bytes = excluded.bytes, signature = excluded.signature, "
                      "stored_at_us = excluded.stored_at_us, delta = excluded.delta"}
        .bind(1, static_cast<std::int64_t>(timeline.revision))
        .bind(2, timeline.station_id)
        .bind_blob(3, timeline.bytes)
        .bind_blob(4, timeline.signature)
        .bind(5, to_unix_us(clock_.now()))
        .bind_blob(6, timeline.delta)
        .run();
}

std::uint64_t AgentStore::timeline_revision() const {
    std::lock_guard lock{mu_};
    sqlite::Statement st{*db_, "SELECT revision FROM timeline"};
    return st.step() ? static_cast<std::uint64_t>(st.int64(0)) : 0;
}

bool AgentStore::item_handled(const std::string& item_id, std::int64_t start_at_us) const {
    std::lock_guard lock{mu_};
    sqlite::Statement st{*db_, "SELECT 1 FROM item_state WHERE item_id = ? AND start_at_us = ?"};
    st.bind(1, item_id).bind(2, start_at_us);
    return st.step();
}

bool AgentStore::record_as_run(const wire::AsRunRecord& record) {
    std::lock_guard lock{mu_};
    sqlite::Transaction tx{*db_};
    const auto now_us = to_unix_us(clock_.now());
    sqlite::Statement{*db_,
                      "INSERT INTO item_state (item_id, start_at_us, state, record_id, "
                      "updated_at_us) VALUES (?, ?, 'done', ?, ?) ON CONFLICT DO NOTHING"}
        .bind(1, record.item_id())
        .bind(2, record.scheduled_at_us())
        .bind(3, record.record_id())
        .bind(4, now_us)
        .run();
    if (db_->changes() == 0) {
        return false;  // already aired or reported: the transaction rolls back
    }
    sqlite::Statement{*db_,
                      "INSERT INTO outbox (record_id, record, created_at_us) VALUES (?, ?, ?)"}
        .bind(1, record.record_id())
        .bind_blob(2, record.SerializeAsString())
        .bind(3, now_us)
        .run();
    tx.commit();
    return true;
}

std::vector<wire::AsRunRecord> AgentStore::pending_as_run(std::size_t limit) const {
    std::lock_guard lock{mu_};
    sqlite::Statement st{*db_,
                         "SELECT record_id, record FROM outbox ORDER BY created_at_us, rowid "
                         "LIMIT ?"};
    st.bind(1, static_cast<std::int64_t>(limit));
    std::vector<wire::AsRunRecord> out;
    while (st.step()) {
        wire::AsRunRecord record;
        const std::string blob = st.blob(1);
        if (!record.ParseFromString(blob)) {
            throw StoreError{
                fmt::format("{}: outbox record {} is not readable", db_->name(), st.text(0))};
        }
        out.push_back(std::move(record));
    }
    return out;
}

std::size_t AgentStore::outbox_depth() const {
    std::lock_guard lock{mu_};
    sqlite::Statement st{*db_, "SELECT COUNT(*) FROM outbox"};
    return st.step() ? static_cast<std::size_t>(st.int64(0)) : 0;
}

std::size_t AgentStore::acknowledge_as_run(const std::vector<std::string>& record_ids) {
    std::lock_guard lock{mu_};
    sqlite::Transaction tx{*db_};
    std::size_t removed = 0;
    sqlite::Statement st{*db_, "DELETE FROM outbox WHERE record_id = ?"};
    for (const auto& id : record_ids) {
        st.reset();
        st.bind(1, id).run();
        removed += static_cast<std::size_t>(db_->changes());
    }
    tx.commit();
    return removed;
}

void AgentStore::queue_event(const wire::StationEvent& event) {
    std::lock_guard lock{mu_};
    sqlite::Statement{*db_,
                      "INSERT INTO event_outbox (event_id, event, created_at_us) VALUES (?, ?, ?) "
                      "ON CONFLICT DO NOTHING"}
        .bind(1, event.event_id())
        .bind_blob(2, event.SerializeAsString())
        .bind(3, to_unix_us(clock_.now()))
        .run();
}

std::vector<wire::StationEvent> AgentStore::pending_events(std::size_t limit) const {
    std::lock_guard lock{mu_};
    sqlite::Statement st{*db_,
                         "SELECT event_id, event FROM event_outbox ORDER BY created_at_us, rowid "
                         "LIMIT ?"};
    st.bind(1, static_cast<std::int64_t>(limit));
    std::vector<wire::StationEvent> out;
    while (st.step()) {
        wire::StationEvent event;
        if (!event.ParseFromString(st.blob(1))) {
            throw StoreError{
                fmt::format("{}: queued event {} is not readable", db_->name(), st.text(0))};
        }
        out.push_back(std::move(event));
    }
    return out;
}

std::size_t AgentStore::event_outbox_depth() const {
    std::lock_guard lock{mu_};
    sqlite::Statement st{*db_, "SELECT COUNT(*) FROM event_outbox"};
    return st.step() ? static_cast<std::size_t>(st.int64(0)) : 0;
}

std::size_t AgentStore::acknowledge_events(const std::vector<std::string>& event_ids) {
    std::lock_guard lock{mu_};
    sqlite::Transaction tx{*db_};
    std::size_t removed = 0;
    sqlite::Statement st{*db_, "DELETE FROM event_outbox WHERE event_id = ?"};
    for (const auto& id : event_ids) {
        st.reset();
        st.bind(1, id).run();
        removed += static_cast<std::size_t>(db_->changes());
    }
    tx.commit();
    return removed;
}

}  // namespace loa::agent
