#include "http_emergency_routes.hpp"

#include "loa/alerting/alert_planner.hpp"
#include "loa/alerting/area_resolver.hpp"
#include "loa/common/logging.hpp"
#include "loa/common/time_format.hpp"
#include "loa/scheduler/authorizer.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <set>
#include <unordered_map>

namespace loa::scheduler {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxTextBytes = 20000;
constexpr std::size_t kMaxTitleBytes = 200;
constexpr int kMaxRepeat = 24;
constexpr int kMaxEveryMinutes = 24 * 60;
constexpr std::size_t kMaxSourceBytes = 4096;
constexpr std::string_view kNoPositions =
    "no station has a position in the store, nor any loudspeaker cluster: areas are matched by "
    "their GSO geocodes only (polygons and circles select no station)";

std::string dump(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

void reply(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(dump(body), "application/json");
}

void reply_error(httplib::Response& res, int status, const std::string& message) {
    reply(res, status, json{{"error", message}});
}

json time_or_null(const std::optional<TimePoint>& t) {
    return t ? json(format_utc(*t)) : json(nullptr);
}

// What a CAP alert's areas selected: "area_stations" (every station in them) and "areas" (per
// area: its path, description, stations, and the stations each of geocode/polygon/circle chose).
json area_matches_json(const alerting::AlertPlan& plan) {
    json areas = json::array();
    for (const auto& a : plan.areas) {
        json by = json::object();
        for (const auto kind : {alerting::MatchKind::geocode, alerting::MatchKind::polygon,
                                alerting::MatchKind::circle}) {
            if (!a.by(kind).empty()) {
                by[std::string{alerting::to_string(kind)}] = a.by(kind);
            }
        }
        areas.push_back(json{{"area", a.path},
                             {"description", a.description},
                             {"stations", a.stations()},
                             {"matched_by", std::move(by)}});
    }
    return json{{"area_stations", plan.area_stations}, {"areas", std::move(areas)}};
}

Actor actor_of(const User& user, const httplib::Request& req) {
    return Actor{user.name, req.remote_addr.empty() ? std::string{"unknown"} : req.remote_addr};
}

json session_json(const EmergencySession& s, TimePoint now) {
    json j{{"id", s.id},
           {"state", s.state(now)},
           {"title", s.title},
           {"asset_id", s.asset_id},
           {"units", s.units},
           {"stations", s.stations},
           {"entries", s.entry_ids},
           {"repeat", s.repeat},
           {"every_min", std::chrono::duration_cast<std::chrono::minutes>(s.every).count()},
           {"starts_at", format_utc(s.first_at)},
           {"ends_at", format_utc(s.ends_at)},
           {"started_at", format_utc(s.started_at)},
           {"started_by", s.started_by},
           {"stopped_at", time_or_null(s.stopped_at)},
           {"stopped_by", s.stopped_at ? json(s.stopped_by) : json(nullptr)},
           {"alert_id", s.alert_id ? json(*s.alert_id) : json(nullptr)}};
    if (!s.text.empty()) {
        j["text"] = s.text;
    }
    if (!s.live_source.empty()) {
        j["live_source"] = s.live_source;
    }
    j["live_session"] = s.live_session.empty() ? json(nullptr) : json(s.live_session);
    return j;
}

json alert_json(const StoredAlert& a) {
    return json{{"id", a.id},
                {"identifier", a.identifier},
                {"sender", a.sender},
                {"sent", format_utc(a.sent)},
                {"status", a.status},
                {"msg_type", a.msg_type},
                {"received_at", format_utc(a.received_at)},
                {"received_by", a.received_by},
                {"language", a.language},
                {"headline", a.headline},
                {"stations", a.stations},
                {"session_id", a.session_id ? json(*a.session_id) : json(nullptr)},
                {"stopped_sessions", a.stopped_sessions},
                {"note", a.note}};
}

std::optional<std::int64_t> path_id(const httplib::Request& req) {
    const std::string text = req.matches.size() > 1 ? req.matches[1].str() : std::string{};
    std::int64_t id = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc{} || end != text.data() + text.size() || id <= 0) {
        return std::nullopt;
    }
    return id;
}

// A list of strings (absent: empty); nullopt names nothing, the caller says which field.
std::optional<std::vector<std::string>> strings_of(const json& j, const char* key) {
    std::vector<std::string> out;
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        return out;
    }
    if (!it->is_array()) {
        return std::nullopt;
    }
    for (const auto& v : *it) {
        if (!v.is_string()) {
            return std::nullopt;
        }
        auto text = v.get<std::string>();
        if (std::find(out.begin(), out.end(), text) == out.end()) {
            out.push_back(std::move(text));
        }
    }
    return out;
}

bool blank(const std::string& text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
}

// The first `n` characters of `text` (UTF-8), with "…" when cut.
std::string shorten(const std::string& text, std::size_t n) {
    std::size_t characters = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0U) != 0x80U) {
            if (characters == n) {
                return text.substr(0, i) + "…";
            }
            ++characters;
        }
    }
    return text;
}

std::int64_t unix_seconds(TimePoint t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

Duration content_duration(const ScheduleEntry& e) {
    if (const auto* a = std::get_if<AssetContent>(&e.what)) {
        return a->duration;
    }
    return Duration::zero();
}

}  // namespace

EmergencyRoutes::EmergencyRoutes(EmergencyRoutesContext context)
    : ctx_{std::move(context)}, emergency_store_{ctx_.store.database()} {
    if (ctx_.link != nullptr) {
        live_ = std::make_unique<LiveSessionManager>(*ctx_.link, ctx_.clock);
    }
    auto& server = ctx_.server;
    server.Post("/api/v1/emergency", authed(&EmergencyRoutes::start));
    server.Get("/api/v1/emergency", authed(&EmergencyRoutes::list));
    server.Get(R"(/api/v1/emergency/([0-9]+))", authed(&EmergencyRoutes::get));
    server.Post(R"(/api/v1/emergency/([0-9]+)/stop)", authed(&EmergencyRoutes::stop));
    server.Post("/api/v1/alerts", authed(&EmergencyRoutes::receive_alert));
    server.Get("/api/v1/alerts", authed(&EmergencyRoutes::list_alerts));
}

std::function<void(const httplib::Request&, httplib::Response&)> EmergencyRoutes::authed(
    Handler handler) {
    return [this, handler](const httplib::Request& req, httplib::Response& res) {
        if (auto user = ctx_.authenticate(req, res)) {
            (this->*handler)(req, res, *user);
        }
    };
}

// --- authorisation

Result<std::vector<std::string>> EmergencyRoutes::resolve_targets(
    const PlanNetwork& network, const std::vector<std::string>& units,
    const std::vector<std::string>& ids) {
    std::set<std::string> out;
    for (const auto& code : units) {
        if (network.units.find(code) == nullptr) {
            return Error{fmt::format("units: '{}' is not a known unit", code)};
        }
        for (const auto& s : network.stations) {
            if (network.units.is_within(s.unit_code, code)) {
                out.insert(s.id);
            }
        }
    }
    for (const auto& id : ids) {
        const bool known = std::any_of(network.stations.begin(), network.stations.end(),
                                       [&](const Station& s) { return s.id == id; });
        if (!known) {
            return Error{fmt::format("stations: '{}' is not a known station", id)};
        }
        out.insert(id);
    }
    if (out.empty()) {
        return Error{"targets: no station lies in the units and stations given"};
    }
    return std::vector<std::string>{out.begin(), out.end()};
}

Status EmergencyRoutes::may_broadcast_at_all(const User& user) const {
    if (user.disabled) {
        return Error{fmt::format("user {} is disabled", user.name)};
    }
    if (user.role == Role::admin) {
        return Status::success();
    }
    if (user.role == Role::viewer) {
        return Error{fmt::format("viewer {} cannot start or stop an emergency", user.name)};
    }
    if (!ctx_.options.allow_operators) {
        return Error{
            fmt::format("{} {} cannot start or stop an emergency: only an admin may "
                        "([emergency] allow_operators is false)",
                        role_name(user.role), user.name)};
    }
    if (user.scope.empty()) {
        return Error{fmt::format("{} {} has no scope", role_name(user.role), user.name)};
    }
    return Status::success();
}

Status EmergencyRoutes::may_broadcast(const User& user, const PlanNetwork& network,
                                      const std::vector<std::string>& stations) const {
    if (auto s = may_broadcast_at_all(user); !s) {
        return s;
    }
    if (user.has_global_scope()) {
        return Status::success();
    }
    for (const auto& id : stations) {
        const auto it = std::find_if(network.stations.begin(), network.stations.end(),
                                     [&](const Station& s) { return s.id == id; });
        if (it == network.stations.end() || !network.units.is_within(it->unit_code, user.scope)) {
            return Error{
                fmt::format("{} of {} cannot start or stop an emergency on station {}, "
                            "which is outside {}",
                            role_name(user.role), user.scope, id, user.scope)};
        }
    }
    return Status::success();
}

// --- assets

Result<AssetRecord> EmergencyRoutes::install(AssetLibrary::Pending& pending,
                                             const std::string& name, const Actor& who) {
    std::lock_guard lock{ctx_.store_mutex};
    if (auto known = ctx_.store.find_asset(pending.id())) {
        return std::move(*known);
    }
    if (auto s = ctx_.assets.install(pending); !s) {
        return Error{s.message()};
    }
    AssetRecord asset;
    asset.id = pending.id();
    asset.name = name;
    asset.duration_ms = pending.duration_ms();
    asset.size_bytes = pending.size_bytes();
    asset.created_at_us = to_unix_us(ctx_.clock.now());
    asset.source_sha256 = pending.source_sha256();
    asset.loudness_lufs = pending.loudness_lufs();
    asset.true_peak_dbtp = pending.true_peak_dbtp();
    asset.source_format = pending.source_format();
    try {
        SchedulerStore::Transaction tx{ctx_.store};
        ctx_.store.add_asset(asset);
        ctx_.audit.record(ctx_.store.database(),
                          AuditRecord{who, "create", "asset", asset.id, std::nullopt,
                                      dump(json{{"id", asset.id},
                                                {"name", asset.name},
                                                {"duration_ms", asset.duration_ms},
                                                {"size_bytes", asset.size_bytes},
                                                {"source_format", asset.source_format}})});
        tx.commit();
    } catch (...) {
        ctx_.assets.remove(asset.id);
        throw;
    }
    return asset;
}

Result<AssetRecord> EmergencyRoutes::speech_asset(const std::string& text, const std::string& voice,
                                                  const Actor& who) {
    const auto language = ctx_.assets.find_voice(voice);
    if (!language) {
        return Error{fmt::format("voice: {}", language.error().message)};
    }
    {
        std::lock_guard lock{ctx_.store_mutex};
        const auto known =
            ctx_.store.find_asset_by_source(AssetLibrary::speech_digest(text, *language));
        if (known && std::filesystem::exists(ctx_.assets.path_of(known->id))) {
            return *known;
        }
    }
    auto pending = ctx_.assets.speak(text, *language);
    if (!pending) {
        return Error{fmt::format("text: {}", pending.error().message)};
    }
    return install(*pending, shorten(text, 60), who);
}

Result<AssetRecord> EmergencyRoutes::audio_asset(std::span<const std::uint8_t> bytes,
                                                 const std::string& name, const Actor& who) {
    {
        std::lock_guard lock{ctx_.store_mutex};
        const auto known = ctx_.store.find_asset_by_source(AssetLibrary::source_digest(bytes));
        if (known && std::filesystem::exists(ctx_.assets.path_of(known->id))) {
            return *known;
        }
    }
    auto pending = ctx_.assets.transcode(bytes, name);
    if (!pending) {
        return Error{pending.error().message};
    }
    return install(*pending, name, who);
}

// --- sessions

std::variant<EmergencySession, EmergencyRoutes::Failure> EmergencyRoutes::start_session(
    const User& user, const Actor& who, SessionPlan plan) {
    const TimePoint now = ctx_.clock.now();
    const Duration duration = std::chrono::milliseconds{plan.asset.duration_ms};
    EmergencySession session;
    session.started_at = now;
    session.started_by = user.name;
    session.title = plan.title;
    session.asset_id = plan.asset.id;
    session.text = plan.text;
    session.units = plan.units;
    session.first_at = now + ctx_.options.lead;
    session.repeat = plan.repeat;
    session.every = plan.every;
    session.ends_at = session.first_at + plan.every * (plan.repeat - 1) + duration;

    std::vector<ScheduleEntry> entries;
    for (int i = 0; i < plan.repeat; ++i) {
        ScheduleEntry e;
        e.title = plan.repeat > 1 ? fmt::format("{} ({}/{})", plan.title, i + 1, plan.repeat)
                                  : plan.title;
        e.what = AssetContent{plan.asset.id, duration};
        e.where.units = plan.units;
        e.where.stations = plan.stations;
        e.at = session.first_at + plan.every * i;
        e.priority = wire::EMERGENCY;
        e.cut_policy = CutPolicy::move;
        e.state = EntryState::approved;
        entries.push_back(std::move(e));
    }
    std::optional<Status> denial;
    ChangeGuard guard;
    guard.check = [&](const PlanNetwork& network) -> Status {
        auto stations = resolve_targets(network, plan.units, plan.stations);
        if (!stations) {
            return Error{stations.error().message};
        }
        if (auto s = may_broadcast(user, network, *stations); !s) {
            denial = s;
            return s;
        }
        session.stations = std::move(stations).value();
        return Status::success();
    };
    guard.record = [&](SchedulerStore& store, const PlanChange& change) {
        session.entry_ids = change.entry_ids;
        session.id = emergency_store_.insert_session(store.database(), session);
        if (plan.also) {
            plan.also(store.database(), session.id);
        }
        ctx_.audit.record(store.database(),
                          AuditRecord{who, "start", "emergency", std::to_string(session.id),
                                      std::nullopt, dump(session_json(session, now))});
    };
    // The first airing at once, live, while the entries (the durable record, and the airing of
    // the stations that miss the live session) are compiled and committed: the planner's
    // transaction recompiles and signs every target's timeline, which must not delay the first
    // sample. Its timeline items are known only after the commit: the session's frames name them
    // (covers) from then on, long before the items' own start (lead_s later).
    std::string live_id;
    if (live_) {
        EmergencySession early = session;
        ctx_.planner.with_network([&](const PlanNetwork& network) {
            auto stations = resolve_targets(network, plan.units, plan.stations);
            if (stations && may_broadcast(user, network, *stations)) {
                early.stations = std::move(stations).value();
            }
        });
        if (!early.stations.empty()) {
            auto live = start_live(fmt::format("E{}", to_unix_us(now) / 1000), early,
                                   ctx_.assets.path_of(session.asset_id).string());
            if (live) {
                live_id = *live;
            } else {
                spdlog::error(
                    "api: emergency '{}': no live first airing ({}); it airs from the "
                    "timelines at {}",
                    session.title, live.error().message, format_utc(session.first_at));
            }
        }
    }
    auto change = ctx_.planner.add_entries(std::move(entries), user.name, guard);
    if (!change) {
        if (!live_id.empty()) {
            (void)live_->stop(live_id, "emergency refused: " + change.error().message);
        }
        if (denial) {
            return Failure{403, denial->message()};
        }
        return Failure{400, change.error().message};
    }
    if (!live_id.empty() && !session.entry_ids.empty()) {
        wire::CoveredItem covered;
        covered.set_item_id(
            fmt::format("e{}-{}-0", session.entry_ids.front(), unix_seconds(session.first_at)));
        covered.set_start_at_us(to_unix_us(session.first_at));
        covered.set_asset_id(session.asset_id);
        if (auto s = live_->set_covers(live_id, {std::move(covered)}); s) {
            session.live_session = live_id;
            std::lock_guard lock{ctx_.store_mutex};
            emergency_store_.set_live_session(ctx_.store.database(), session.id, live_id);
        }
    }
    spdlog::warn("api: emergency {} '{}' started by {} on {} station(s) at {}, {} airing(s){}",
                 session.id, session.title, user.name, session.stations.size(),
                 format_utc(session.first_at), session.repeat,
                 session.live_session.empty()
                     ? std::string{}
                     : fmt::format(", the first live now ({})", session.live_session));
    return session;
}

Result<std::string> EmergencyRoutes::start_live(const std::string& id,
                                                const EmergencySession& session,
                                                const std::string& source) {
    if (!live_) {
        return Error{"no link to the agents"};
    }
    LiveSessionRequest request;
    request.id = id;
    request.source = source;
    request.stations = session.stations;
    request.delay = ctx_.options.live_delay;
    request.priority = wire::EMERGENCY;
    request.title = session.title;
    request.started_by = session.started_by;
    auto started = live_->start(std::move(request));
    if (!started) {
        return Error{started.error().message};
    }
    spdlog::info("api: emergency '{}': live session {} captured from {} ms after the request",
                 session.title, started->id,
                 (started->first_capture_us - to_unix_us(session.started_at)) / 1000);
    return started->id;
}

std::variant<EmergencySession, EmergencyRoutes::Failure> EmergencyRoutes::start_live_session(
    const User& user, const Actor& who, SessionPlan plan) {
    if (!live_) {
        return Failure{503, "live: the scheduler has no link to the agents"};
    }
    const TimePoint now = ctx_.clock.now();
    EmergencySession session;
    session.started_at = now;
    session.started_by = user.name;
    session.title = plan.title;
    session.units = plan.units;
    session.first_at = now + ctx_.options.live_delay;
    session.ends_at = session.first_at;
    session.live_source = plan.live_source;
    std::optional<Failure> refused;
    ctx_.planner.with_network([&](const PlanNetwork& network) {
        auto stations = resolve_targets(network, plan.units, plan.stations);
        if (!stations) {
            refused = Failure{400, stations.error().message};
        } else if (auto s = may_broadcast(user, network, *stations); !s) {
            refused = Failure{403, s.message()};
        } else {
            session.stations = std::move(stations).value();
        }
    });
    if (refused) {
        return *refused;
    }
    if (session.stations.empty()) {
        return Failure{400, "targets: no station lies in the units and stations given"};
    }
    // The row first (its id names the live session); it commits only once the source opened.
    std::lock_guard lock{ctx_.store_mutex};
    SchedulerStore::Transaction tx{ctx_.store};
    session.id = emergency_store_.insert_session(ctx_.store.database(), session);
    LiveSessionRequest request;
    request.id = fmt::format("E{}", session.id);
    request.source = plan.live_source;
    request.stations = session.stations;
    request.delay = ctx_.options.live_delay;
    request.priority = wire::EMERGENCY;
    request.title = session.title;
    request.started_by = user.name;
    auto started = live_->start(std::move(request));
    if (!started) {
        return Failure{400, started.error().message};  // rolled back: nothing changed
    }
    session.live_session = started->id;
    session.first_at = from_unix_us(started->first_capture_us) + started->delay;
    session.ends_at = session.first_at + std::chrono::milliseconds{20} *
                                             static_cast<std::int64_t>(started->total_frames);
    sqlite::Statement update{ctx_.store.database(),
                             "UPDATE emergency_sessions SET live_session = ?, first_at = ?, "
                             "ends_at = ? WHERE id = ?"};
    update.bind(1, session.live_session)
        .bind(2, to_unix_us(session.first_at))
        .bind(3, to_unix_us(session.ends_at))
        .bind(4, session.id);
    update.run();
    ctx_.audit.record(ctx_.store.database(),
                      AuditRecord{who, "start", "emergency", std::to_string(session.id),
                                  std::nullopt, dump(session_json(session, now))});
    tx.commit();
    spdlog::warn("api: emergency {} '{}' started by {} on {} station(s): live from {} ({})",
                 session.id, session.title, user.name, session.stations.size(), session.live_source,
                 session.live_session);
    return session;
}

json EmergencyRoutes::to_json(const EmergencySession& session, TimePoint now) const {
    json j = session_json(session, now);
    if (session.live_source.empty() || session.stopped_at) {
        return j;
    }
    // A --live session lasts as long as its live session (a stream's end is not known).
    const auto info = live_ ? live_->find(session.live_session) : std::nullopt;
    j["state"] = info && info->state == "live" ? "active" : "ended";
    if (info && info->ended_at_us != 0) {
        j["ends_at"] = format_utc(from_unix_us(info->ended_at_us));
    }
    return j;
}

std::variant<EmergencyRoutes::Stopped, EmergencyRoutes::Failure> EmergencyRoutes::stop_session(
    const User& user, const Actor& who, const EmergencySession& session) {
    const TimePoint now = ctx_.clock.now();
    if (session.stopped_at) {
        return Failure{409, fmt::format("emergency {} was stopped at {} by {}", session.id,
                                        format_utc(*session.stopped_at), session.stopped_by)};
    }
    // The entries that have not ended: those airing now and those still to come.
    std::vector<std::int64_t> open;
    for (const auto id : session.entry_ids) {
        const auto stored = ctx_.planner.entry(id);
        if (stored && stored->entry.state != EntryState::retired &&
            stored->entry.at + content_duration(stored->entry) > now) {
            open.push_back(id);
        }
    }
    EmergencySession after = session;
    after.stopped_at = now;
    after.stopped_by = user.name;
    if (!session.live_source.empty()) {
        // No entries: its row and audit row, then its live session.
        {
            std::optional<Failure> refused;
            ctx_.planner.with_network([&](const PlanNetwork& network) {
                if (auto s = may_broadcast(user, network, session.stations); !s) {
                    refused = Failure{403, s.message()};
                }
            });
            if (refused) {
                return *refused;
            }
            std::lock_guard lock{ctx_.store_mutex};
            SchedulerStore::Transaction tx{ctx_.store};
            emergency_store_.mark_stopped(ctx_.store.database(), session.id, now, user.name);
            ctx_.audit.record(
                ctx_.store.database(),
                AuditRecord{who, "stop", "emergency", std::to_string(session.id),
                            dump(session_json(session, now)), dump(session_json(after, now))});
            tx.commit();
        }
        if (live_ && !session.live_session.empty() && live_->find(session.live_session)) {
            (void)live_->stop(session.live_session, "emergency stopped by " + user.name);
        }
        spdlog::warn("api: emergency {} (live from {}) stopped by {}", session.id,
                     session.live_source, user.name);
        return Stopped{std::move(after), PlanChange{}};
    }
    std::optional<Status> denial;
    ChangeGuard guard;
    guard.check = [&](const PlanNetwork& network) -> Status {
        auto s = may_broadcast(user, network, session.stations);
        if (!s) {
            denial = s;
        }
        return s;
    };
    guard.record = [&](SchedulerStore& store, const PlanChange&) {
        emergency_store_.mark_stopped(store.database(), session.id, now, user.name);
        ctx_.audit.record(
            store.database(),
            AuditRecord{who, "stop", "emergency", std::to_string(session.id),
                        dump(session_json(session, now)), dump(session_json(after, now))});
    };
    auto change = ctx_.planner.retire_entries(open, guard);
    if (!change) {
        if (denial) {
            return Failure{403, denial->message()};
        }
        return Failure{400, change.error().message};
    }
    // Its live first airing, if it still runs: each agent resumes what it paused.
    if (live_ && !session.live_session.empty() && live_->find(session.live_session)) {
        (void)live_->stop(session.live_session, "emergency stopped by " + user.name);
    }
    spdlog::warn("api: emergency {} stopped by {}: {} entr{} retired", session.id, user.name,
                 change->entry_ids.size(), change->entry_ids.size() == 1 ? "y" : "ies");
    return Stopped{std::move(after), std::move(change).value()};
}

std::optional<EmergencySession> EmergencyRoutes::find_session(std::int64_t id) {
    std::lock_guard lock{ctx_.store_mutex};
    return emergency_store_.session(ctx_.store.database(), id);
}

// --- handlers

void EmergencyRoutes::start(const httplib::Request& req, httplib::Response& res, const User& user) {
    if (auto s = may_broadcast_at_all(user); !s) {
        return reply_error(res, 403, s.message());
    }
    const json j = json::parse(req.body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return reply_error(res, 400, "request body must be a JSON object");
    }
    static const std::set<std::string> kFields{"units", "stations", "asset_id",  "text", "live",
                                               "voice", "repeat",   "every_min", "title"};
    for (const auto& [key, value] : j.items()) {
        if (kFields.count(key) == 0) {
            return reply_error(res, 400,
                               fmt::format("unknown field '{}' (expected units, stations, "
                                           "asset_id, text, live, voice, repeat, every_min, "
                                           "title)",
                                           key));
        }
    }
    const auto units = strings_of(j, "units");
    const auto stations = strings_of(j, "stations");
    if (!units || !stations) {
        return reply_error(
            res, 400,
            fmt::format("{}: must be an array of strings", !units ? "units" : "stations"));
    }
    if (units->empty() && stations->empty()) {
        return reply_error(res, 400, "targets: give units and/or stations to broadcast on");
    }
    for (const char* key : {"asset_id", "text", "live", "voice", "title"}) {
        if (j.contains(key) && !j[key].is_string()) {
            return reply_error(res, 400, fmt::format("{}: must be a string", key));
        }
    }
    const std::string asset_id = j.value("asset_id", "");
    const std::string text = j.value("text", "");
    const std::string live = j.value("live", "");
    if (static_cast<int>(!asset_id.empty()) + static_cast<int>(!text.empty()) +
            static_cast<int>(!live.empty()) !=
        1) {
        return reply_error(res, 400,
                           "content: give exactly one of asset_id (an asset), text (spoken) and "
                           "live (a FILE, mic[:DEVICE] or URL source)");
    }
    if (live.size() > kMaxSourceBytes) {
        return reply_error(res, 400,
                           fmt::format("live: a source of at most {} bytes", kMaxSourceBytes));
    }
    if (!live.empty() && (j.contains("repeat") || j.contains("every_min"))) {
        return reply_error(res, 400, "repeat, every_min: not with live (it airs once)");
    }
    if (!text.empty() && (blank(text) || text.size() > kMaxTextBytes)) {
        return reply_error(
            res, 400, fmt::format("text: must be 1 to {} bytes, not only spaces", kMaxTextBytes));
    }
    if (j.contains("voice") && text.empty()) {
        return reply_error(res, 400, "voice: only with text");
    }
    const std::string voice = j.value("voice", "vi");
    std::string title = j.value("title", "");
    if (title.size() > kMaxTitleBytes) {
        return reply_error(res, 400, fmt::format("title: at most {} bytes", kMaxTitleBytes));
    }
    int repeat = 1;
    if (j.contains("repeat")) {
        if (!j["repeat"].is_number_integer() || j["repeat"].get<std::int64_t>() < 1 ||
            j["repeat"].get<std::int64_t>() > kMaxRepeat) {
            return reply_error(res, 400,
                               fmt::format("repeat: must be an integer from 1 to {}", kMaxRepeat));
        }
        repeat = j["repeat"].get<int>();
    }
    int every_min = 0;
    if (j.contains("every_min")) {
        if (!j["every_min"].is_number_integer() || j["every_min"].get<std::int64_t>() < 1 ||
            j["every_min"].get<std::int64_t>() > kMaxEveryMinutes) {
            return reply_error(
                res, 400,
                fmt::format("every_min: must be an integer from 1 to {}", kMaxEveryMinutes));
        }
        every_min = j["every_min"].get<int>();
    }
    if (repeat > 1 && every_min == 0) {
        return reply_error(res, 400, "every_min: required when repeat is more than 1");
    }

    // Authorise on the targets before anything is made (a spoken asset).
    std::optional<std::pair<int, std::string>> refused;
    ctx_.planner.with_network([&](const PlanNetwork& network) {
        auto reached = resolve_targets(network, *units, *stations);
        if (!reached) {
            refused.emplace(400, reached.error().message);
        } else if (auto s = may_broadcast(user, network, *reached); !s) {
            refused.emplace(403, s.message());
        }
    });
    if (refused) {
        return reply_error(res, refused->first, refused->second);
    }

    const Actor who = actor_of(user, req);
    SessionPlan plan;
    plan.units = *units;
    plan.stations = *stations;
    plan.repeat = repeat;
    plan.every = std::chrono::minutes{every_min};
    plan.text = text;
    if (!live.empty()) {
        plan.live_source = live;
        plan.title = title.empty() ? fmt::format("Emergency: live {}", shorten(live, 60)) : title;
        auto started = start_live_session(user, who, std::move(plan));
        if (auto* f = std::get_if<Failure>(&started)) {
            return reply_error(res, f->status, f->message);
        }
        return reply(res, 201, to_json(std::get<EmergencySession>(started), ctx_.clock.now()));
    }
    if (!text.empty()) {
        auto asset = speech_asset(text, voice, who);
        if (!asset) {
            return reply_error(res, 400, asset.error().message);
        }
        plan.asset = std::move(asset).value();
    } else {
        std::optional<AssetRecord> asset;
        {
            std::lock_guard lock{ctx_.store_mutex};
            asset = ctx_.store.find_asset(asset_id);
        }
        if (!asset) {
            return reply_error(res, 400,
                               fmt::format("asset_id: asset '{}' does not exist", asset_id));
        }
        plan.asset = std::move(*asset);
    }
    plan.title = title.empty() ? fmt::format("Emergency: {}",
                                             !text.empty() ? shorten(text, 60) : plan.asset.name)
                               : title;
    auto started = start_session(user, who, std::move(plan));
    if (auto* f = std::get_if<Failure>(&started)) {
        return reply_error(res, f->status, f->message);
    }
    reply(res, 201, to_json(std::get<EmergencySession>(started), ctx_.clock.now()));
}

void EmergencyRoutes::stop(const httplib::Request& req, httplib::Response& res, const User& user) {
    if (auto s = may_broadcast_at_all(user); !s) {
        return reply_error(res, 403, s.message());
    }
    const auto id = path_id(req);
    const auto session = id ? find_session(*id) : std::nullopt;
    if (!session) {
        return reply_error(res, 404,
                           fmt::format("emergency {} does not exist", req.matches[1].str()));
    }
    auto stopped = stop_session(user, actor_of(user, req), *session);
    if (auto* f = std::get_if<Failure>(&stopped)) {
        return reply_error(res, f->status, f->message);
    }
    const auto& s = std::get<Stopped>(stopped);
    json answer = to_json(s.session, ctx_.clock.now());
    answer["retired"] = s.change.entry_ids;
    answer["changed_stations"] = s.change.changed_stations;
    reply(res, 200, answer);
}

void EmergencyRoutes::list(const httplib::Request&, httplib::Response& res, const User& user) {
    std::vector<EmergencySession> sessions;
    {
        std::lock_guard lock{ctx_.store_mutex};
        sessions = emergency_store_.sessions(ctx_.store.database());
    }
    const auto now = ctx_.clock.now();
    json out = json::array();
    ctx_.planner.with_network([&](const PlanNetwork& network) {
        std::unordered_map<std::string_view, std::string_view> unit_of;
        for (const auto& s : network.stations) {
            unit_of.emplace(s.id, s.unit_code);
        }
        for (const auto& s : sessions) {
            const bool visible =
                user.has_global_scope() ||
                std::any_of(s.stations.begin(), s.stations.end(), [&](const std::string& st) {
                    const auto it = unit_of.find(st);
                    return it != unit_of.end() && network.units.is_within(it->second, user.scope);
                });
            if (visible) {
                out.push_back(to_json(s, now));
            }
        }
    });
    reply(res, 200, out);
}

void EmergencyRoutes::get(const httplib::Request& req, httplib::Response& res, const User&) {
    const auto id = path_id(req);
    const auto session = id ? find_session(*id) : std::nullopt;
    if (!session) {
        return reply_error(res, 404,
                           fmt::format("emergency {} does not exist", req.matches[1].str()));
    }
    reply(res, 200, to_json(*session, ctx_.clock.now()));
}

// --- CAP alerts

void EmergencyRoutes::receive_alert(const httplib::Request& req, httplib::Response& res,
                                    const User& user) {
    using namespace loa::alerting;
    if (auto s = may_broadcast_at_all(user); !s) {
        return reply_error(res, 403, s.message());
    }
    auto parsed = parser_.parse(req.body);
    if (!parsed) {
        spdlog::warn("api: CAP alert from {} refused: {}", user.name, parsed.error().message);
        return reply_error(res, 400, fmt::format("invalid CAP alert: {}", parsed.error().message));
    }
    const Alert& alert = *parsed;
    {
        std::lock_guard lock{ctx_.store_mutex};
        if (auto known = emergency_store_.find_alert(ctx_.store.database(), alert.sender,
                                                     alert.identifier, alert.sent)) {
            return reply_error(
                res, 409,
                fmt::format("alert '{}' from {} sent {} was received already "
                            "(alert {})",
                            alert.identifier, alert.sender, format_utc(alert.sent), known->id));
        }
    }
    // Areas to stations: by GSO geocode (the unit tree), and by polygon and circle against each
    // station's own position and its loudspeaker clusters (docs/alerts.md).
    std::unordered_map<std::string, std::vector<LatLon>> cluster_points;
    {
        std::lock_guard lock{ctx_.store_mutex};
        for (const auto& c : ctx_.store.list_clusters()) {
            cluster_points[c.station_id].push_back(LatLon{c.lat, c.lon});
        }
    }
    Result<AlertPlan> planned = Error{""};
    bool positions = false;
    ctx_.planner.with_network([&](const PlanNetwork& network) {
        std::vector<StationSite> sites;
        for (const auto& s : network.stations) {
            std::optional<LatLon> position;
            if (s.position) {
                position = LatLon{s.position->lat, s.position->lon};
            }
            const auto points = cluster_points.find(s.id);
            sites.push_back(StationSite{s.id, s.unit_code, position,
                                        points == cluster_points.end()
                                            ? std::vector<LatLon>{}
                                            : std::move(points->second)});
        }
        std::unordered_map<std::string, std::string> parents;
        for (const auto* root : network.units.roots()) {
            for (const auto& u : network.units.subtree(root->code)) {
                parents.emplace(u.code, u.parent_code);
            }
        }
        const AreaResolver resolver{std::move(sites), std::move(parents)};
        positions = resolver.has_positions();
        const AlertPlanner planner{resolver, ctx_.clock,
                                   AlertPlanner::Options{ctx_.options.test_stations, {"vi"}}};
        planned = planner.plan(alert);
    });
    if (!planned) {
        std::string message = planned.error().message;
        if (message.find("no station") != std::string::npos) {
            message += positions ? std::string{"; nothing airs"}
                                 : fmt::format(" ({}); nothing airs", kNoPositions);
        }
        spdlog::warn("api: CAP alert '{}' from {} refused: {}", alert.identifier, alert.sender,
                     message);
        return reply_error(res, 422, message);
    }
    const AlertPlan& plan = *planned;
    const Actor who = actor_of(user, req);
    std::vector<std::string> notes;
    if (!positions) {
        notes.emplace_back(kNoPositions);
    }

    // What it updates or cancels: the sessions of the alerts it refers to.
    std::vector<EmergencySession> referred;
    std::size_t known_references = 0;
    {
        std::lock_guard lock{ctx_.store_mutex};
        for (const auto& ref : plan.references) {
            const auto earlier = emergency_store_.find_alert(ctx_.store.database(), ref.sender,
                                                             ref.identifier, ref.sent);
            if (!earlier) {
                notes.push_back(fmt::format("reference {},{},{} names no alert received here",
                                            ref.sender, ref.identifier, format_utc(ref.sent)));
                continue;
            }
            ++known_references;
            if (earlier->session_id) {
                if (auto s =
                        emergency_store_.session(ctx_.store.database(), *earlier->session_id)) {
                    referred.push_back(std::move(*s));
                }
            }
        }
    }
    if (plan.msg_type == MsgType::Cancel && known_references == 0) {
        return reply_error(res, 422,
                           "Cancel: its references name no alert received here; nothing changed");
    }
    const auto now = ctx_.clock.now();
    StoredAlert stored;
    stored.identifier = alert.identifier;
    stored.sender = alert.sender;
    stored.sent = alert.sent;
    stored.status = std::string{to_string(alert.status)};
    stored.msg_type = std::string{to_string(alert.msg_type)};
    stored.received_at = now;
    stored.received_by = user.name;
    stored.language = plan.language;
    if (plan.info_index) {
        const auto& info = alert.infos[*plan.info_index];
        stored.headline = info.headline.empty() ? info.event : info.headline;
    }
    stored.xml = req.body;

    // Update and Cancel stop what they refer to first.
    for (const auto& session : referred) {
        if (session.state(now) != "active") {
            continue;
        }
        auto stopped = stop_session(user, who, session);
        if (auto* f = std::get_if<Failure>(&stopped)) {
            return reply_error(res, f->status,
                               fmt::format("stopping emergency {}: {}", session.id, f->message));
        }
        stored.stopped_sessions.push_back(session.id);
    }
    // Where it airs: a Cancel's own text (an all-clear), if it has one, airs on the stations of
    // its areas and of the sessions it cancels.
    std::vector<std::string> air_on = plan.stations;
    if (plan.msg_type == MsgType::Cancel) {
        if (stored.stopped_sessions.empty()) {
            notes.push_back("nothing it cancels was airing");
        }
        for (const auto& session : referred) {
            air_on.insert(air_on.end(), session.stations.begin(), session.stations.end());
        }
        std::sort(air_on.begin(), air_on.end());
        air_on.erase(std::unique(air_on.begin(), air_on.end()), air_on.end());
        const bool all_clear = plan.info_index && !blank(plan.spoken_text) && !air_on.empty();
        if (!all_clear) {
            stored.note = fmt::format("{}", fmt::join(notes, "; "));
            std::lock_guard lock{ctx_.store_mutex};
            SchedulerStore::Transaction tx{ctx_.store};
            stored.id = emergency_store_.insert_alert(ctx_.store.database(), stored);
            ctx_.audit.record(ctx_.store.database(),
                              AuditRecord{who, "receive", "alert", std::to_string(stored.id),
                                          std::nullopt, dump(alert_json(stored))});
            tx.commit();
            json answer{{"alert", alert_json(stored)}, {"notes", notes}};
            answer.update(area_matches_json(plan));
            return reply(res, 201, answer);
        }
        notes.push_back("its own text (an all-clear) airs where the cancelled alert aired");
    }

    // Alert, Update, or a Cancel's all-clear: what it says, spoken in its language (else
    // Vietnamese), or its audio.
    std::optional<AssetRecord> asset;
    if (plan.audio && plan.audio->has_deref) {
        if (auto s = check_resource(*plan.audio, plan.audio->deref); !s) {
            return reply_error(res, 422, fmt::format("resource: {}", s.message()));
        }
        auto made = audio_asset(plan.audio->deref,
                                fmt::format("CAP {} audio", shorten(alert.identifier, 60)), who);
        if (!made) {
            return reply_error(res, 422, fmt::format("resource: {}", made.error().message));
        }
        asset = std::move(made).value();
    } else {
        if (plan.audio) {
            notes.push_back(
                "the audio resource has no derefUri and the scheduler fetches "
                "nothing from the network: the text is spoken instead");
        }
        if (blank(plan.spoken_text)) {
            return reply_error(res, 422, "the alert has no text to speak and no audio to play");
        }
        std::string voice = plan.language;
        if (!ctx_.assets.find_voice(voice)) {
            voice = voice.substr(0, voice.find('-'));
            if (voice.empty() || !ctx_.assets.find_voice(voice)) {
                notes.push_back(fmt::format(
                    "no voice speaks '{}': spoken with the Vietnamese voice", plan.language));
                voice = "vi";
            }
        }
        auto made = speech_asset(shorten(plan.spoken_text, kMaxTextBytes / 4), voice, who);
        if (!made) {
            return reply_error(res, 422, made.error().message);
        }
        asset = std::move(made).value();
    }
    stored.stations = air_on;
    stored.note = fmt::format("{}", fmt::join(notes, "; "));
    SessionPlan session_plan;
    session_plan.title =
        fmt::format("{}CAP {}: {}", plan.exercise ? "[exercise] " : "", to_string(alert.msg_type),
                    shorten(stored.headline.empty() ? alert.identifier : stored.headline, 80));
    session_plan.asset = std::move(*asset);
    session_plan.text = plan.audio && plan.audio->has_deref ? "" : plan.spoken_text;
    session_plan.stations = air_on;
    session_plan.also = [&](sqlite::Database& db, std::int64_t session_id) {
        stored.session_id = session_id;
        stored.id = emergency_store_.insert_alert(db, stored);
        emergency_store_.set_alert_of_session(db, session_id, stored.id);
        ctx_.audit.record(db, AuditRecord{who, "receive", "alert", std::to_string(stored.id),
                                          std::nullopt, dump(alert_json(stored))});
    };
    auto started = start_session(user, who, std::move(session_plan));
    if (auto* f = std::get_if<Failure>(&started)) {
        return reply_error(res, f->status, f->message);
    }
    auto session = std::get<EmergencySession>(std::move(started));
    session.alert_id = stored.id;
    json answer{{"alert", alert_json(stored)},
                {"session", to_json(session, ctx_.clock.now())},
                {"notes", notes}};
    answer.update(area_matches_json(plan));
    reply(res, 201, answer);
}

void EmergencyRoutes::list_alerts(const httplib::Request&, httplib::Response& res, const User&) {
    std::vector<StoredAlert> alerts;
    {
        std::lock_guard lock{ctx_.store_mutex};
        alerts = emergency_store_.alerts(ctx_.store.database());
    }
    json out = json::array();
    for (const auto& a : alerts) {
        out.push_back(alert_json(a));
    }
    reply(res, 200, out);
}

}  // namespace loa::scheduler
