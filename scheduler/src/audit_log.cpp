#include "loa/scheduler/audit_log.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <stdexcept>
#include <string_view>

namespace loa::scheduler {
namespace {

constexpr std::size_t kMaxQueryLimit = 10000;

void check_json(const std::optional<std::string>& text, std::string_view field) {
    if (text && !nlohmann::json::accept(*text)) {
        throw std::invalid_argument{fmt::format("audit record: {} is not JSON", field)};
    }
}

void bind_optional(sqlite::Statement& s, int index, const std::optional<std::string>& text) {
    if (text) {
        s.bind(index, *text);
    } else {
        s.bind_null(index);
    }
}

std::optional<std::string> optional_text(const sqlite::Statement& s, int column) {
    if (s.is_null(column)) {
        return std::nullopt;
    }
    return s.text(column);
}

}  // namespace

std::int64_t AuditLog::record(sqlite::Database& db, const AuditRecord& record) const {
    if (record.actor.name.empty() || record.action.empty() || record.object_kind.empty()) {
        throw std::invalid_argument{"audit record: actor, action and object kind are required"};
    }
    check_json(record.before, "before");
    check_json(record.after, "after");
    sqlite::Statement s{db,
                        "INSERT INTO audit_log (at_us, actor, action, object_kind, object_id, "
                        "before_json, after_json, client_address) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"};
    s.bind(1, to_unix_us(clock_.now()))
        .bind(2, record.actor.name)
        .bind(3, record.action)
        .bind(4, record.object_kind)
        .bind(5, record.object_id);
    bind_optional(s, 6, record.before);
    bind_optional(s, 7, record.after);
    s.bind(8, record.actor.address);
    s.run();
    return db.last_insert_rowid();
}

std::vector<AuditEvent> AuditLog::query(sqlite::Database& db, const AuditQuery& query) const {
    std::string sql =
        "SELECT id, at_us, actor, action, object_kind, object_id, before_json, after_json, "
        "client_address FROM audit_log WHERE 1";
    if (query.from) {
        sql += " AND at_us >= :from";
    }
    if (query.until) {
        sql += " AND at_us < :until";
    }
    if (query.actor) {
        sql += " AND actor = :actor";
    }
    if (query.object_kind) {
        sql += " AND object_kind = :kind";
    }
    if (query.object_id) {
        sql += " AND object_id = :object";
    }
    sql += " ORDER BY id DESC LIMIT :limit";
    sqlite::Statement s{db, sql};
    // Positions follow the order the conditions were added in.
    int index = 0;
    if (query.from) {
        s.bind(++index, to_unix_us(*query.from));
    }
    if (query.until) {
        s.bind(++index, to_unix_us(*query.until));
    }
    if (query.actor) {
        s.bind(++index, *query.actor);
    }
    if (query.object_kind) {
        s.bind(++index, *query.object_kind);
    }
    if (query.object_id) {
        s.bind(++index, *query.object_id);
    }
    const auto limit = static_cast<std::int64_t>(std::min(query.limit, kMaxQueryLimit));
    s.bind(++index, limit);

    std::vector<AuditEvent> events;
    while (s.step()) {
        AuditEvent e;
        e.id = s.int64(0);
        e.at_us = s.int64(1);
        e.actor = s.text(2);
        e.action = s.text(3);
        e.object_kind = s.text(4);
        e.object_id = s.text(5);
        e.before = optional_text(s, 6);
        e.after = optional_text(s, 7);
        e.client_address = s.text(8);
        events.push_back(std::move(e));
    }
    return events;
}

}  // namespace loa::scheduler
