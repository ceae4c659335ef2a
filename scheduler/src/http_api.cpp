#include "loa/scheduler/http_api.hpp"

#include "http_emergency_routes.hpp"
#include "http_live_routes.hpp"
#include "http_monitoring_routes.hpp"
#include "loa/common/logging.hpp"
#include "loa/common/time_format.hpp"
#include "loa/config/config.hpp"
#include "loa/protocol/envelope.hpp"
#include "loa/scheduler/listen_address.hpp"
#include "loa/scheduler/planner.hpp"
#include "loa/scheduler/request_auth.hpp"
#include "loa/scheduler/scheduler_store.hpp"
#include "loa/transport/curve_keys.hpp"

#include <httplib.h>
#include <pthread.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <stdexcept>
#include <thread>
#include <variant>

#ifndef LOA_VERSION
#define LOA_VERSION "0.0.0"
#endif

namespace loa::scheduler {
namespace {

using nlohmann::json;

// A start time this much in the past is still accepted (the operator's clock, the request's
// trip); anything older is refused.
constexpr Duration kPastTolerance = std::chrono::seconds{5};
constexpr std::size_t kMaxUploadBytes = 512ULL * 1024 * 1024;
constexpr std::size_t kMaxNameLength = 200;
constexpr std::size_t kDefaultAsRunLimit = 100;
constexpr std::size_t kMaxAsRunLimit = 10000;
// A typed notice: at most this much text, and its first characters name the asset.
constexpr std::size_t kMaxSpeechBytes = 20000;
constexpr std::size_t kNoticeNameCharacters = 60;

// An answer that is not 2xx: the status and the message for {"error": ...}.
struct Failure {
    int status;
    std::string message;
};

std::string dump(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

void reply(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(dump(body), "application/json");
}

void reply_error(httplib::Response& res, const Failure& f) {
    reply(res, f.status, json{{"error", f.message}});
}

json time_or_null(const std::optional<std::int64_t>& us) {
    if (!us || *us == 0) {
        return nullptr;
    }
    return format_utc(from_unix_us(*us));
}

bool valid_station_id(std::string_view id) {
    if (id.empty() || id.size() > 64) {
        return false;
    }
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               c == '-' || c == '_' || c == '.';
    });
}

bool valid_name(std::string_view name) {
    return !name.empty() && name.size() <= kMaxNameLength &&
           std::none_of(name.begin(), name.end(),
                        [](char c) { return static_cast<unsigned char>(c) < 0x20; });
}

// The body as a JSON object with no fields but `allowed`.
std::variant<json, Failure> parse_object(const std::string& body,
                                         std::span<const std::string_view> allowed) {
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded()) {
        return Failure{400, "request body is not valid JSON"};
    }
    if (!j.is_object()) {
        return Failure{400, "request body must be a JSON object"};
    }
    for (const auto& [key, value] : j.items()) {
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            std::string names;
            for (const auto a : allowed) {
                names += names.empty() ? "" : ", ";
                names += a;
            }
            return Failure{400, fmt::format("unknown field '{}' (expected {})", key, names)};
        }
    }
    return j;
}

std::variant<json, Failure> parse_object(const std::string& body,
                                         std::initializer_list<std::string_view> allowed) {
    return parse_object(body, std::span{allowed.begin(), allowed.size()});
}

// The fields of a schedule entry (POST and PUT /api/v1/schedule).
constexpr std::array<std::string_view, 15> kEntryFields{
    "asset_id", "programme_id", "at",       "stations",   "units",
    "zones",    "title",        "priority", "cut_policy", "state",
    "rrule",    "exdates",      "tz",       "valid_from", "valid_until"};

// A string field: absent gives nullopt, anything but a string a Failure.
std::variant<std::optional<std::string>, Failure> string_field(const json& j,
                                                               const std::string& key) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        return std::optional<std::string>{};
    }
    if (!it->is_string()) {
        return Failure{400, fmt::format("{}: must be a string", key)};
    }
    return std::optional<std::string>{it->get<std::string>()};
}

// A list of strings: absent gives an empty list.
std::variant<std::vector<std::string>, Failure> string_list(const json& j, const std::string& key,
                                                            bool distinct = true) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        return std::vector<std::string>{};
    }
    if (!it->is_array()) {
        return Failure{400, fmt::format("{}: must be an array of strings", key)};
    }
    std::vector<std::string> out;
    for (const auto& v : *it) {
        if (!v.is_string()) {
            return Failure{400, fmt::format("{}: every element must be a string", key)};
        }
        const auto text = v.get<std::string>();
        if (!distinct || std::find(out.begin(), out.end(), text) == out.end()) {
            out.push_back(text);
        }
    }
    return out;
}

}  // namespace

struct HttpApi::Impl {
    HttpApiOptions options;
    SchedulerKeys keys;
    const AssetLibrary& assets;
    ILinkEvents& link;
    Planner& planner;
    const IClock& clock;

    std::mutex store_mutex;  // guards store, auth_store and request_auth
    SchedulerStore store;
    AuthStore auth_store;
    RequestAuth request_auth;
    AuditLog audit;

    std::mutex login_mutex;  // guards login_store and login_auth: argon2 runs here
    AuthStore login_store;
    RequestAuth login_auth;

    httplib::Server server;
    std::unique_ptr<EmergencyRoutes> emergency_routes;  // emergency broadcasts and CAP alerts
    std::unique_ptr<LiveRoutes> live_routes;            // live sessions
    ListenAddress address;
    std::thread thread;
    std::mutex listen_mutex;
    std::condition_variable listen_done_cv;
    bool listen_done = false;
    std::unique_ptr<HttpMonitoringRoutes> monitoring;  // status, coverage, compliance, alarms

    Impl(HttpApiOptions o, const SchedulerKeys& k, const AssetLibrary& a, ILinkEvents& l,
         Planner& p, const IClock& c)
        : options{std::move(o)},
          keys{k},
          assets{a},
          link{l},
          planner{p},
          clock{c},
          store{options.database},
          auth_store{store.database(), clock, options.auth},
          request_auth{auth_store},
          audit{clock},
          login_store{options.database, clock, options.auth},
          login_auth{login_store} {
        if (auth_store.count_users() == 0) {
            spdlog::warn(
                "no user exists yet: every API request but health and login is refused. "
                "Create the first admin on this machine with `loa-scheduler --config "
                "FILE --create-admin NAME --password-file FILE`");
        }
        auto parsed = ListenAddress::parse(options.listen, "api listen address");
        if (!parsed) {
            throw std::runtime_error{parsed.error().message};
        }
        address = std::move(parsed).value();
        routes();
        if (address.port == 0) {
            const int port = server.bind_to_any_port(address.host);
            if (port <= 0) {
                throw std::runtime_error{
                    fmt::format("cannot listen on {} (API): bind failed", options.listen)};
            }
            address.port = port;
        } else if (!server.bind_to_port(address.host, address.port)) {
            throw std::runtime_error{fmt::format(
                "cannot listen on {} (API): address in use or not available", options.listen)};
        }
    }

    // --- authentication and authorisation

    using Handler = void (Impl::*)(const httplib::Request&, httplib::Response&, const User&);

    static void send(httplib::Response& res, const HttpAnswer& answer) {
        res.status = answer.status;
        if (answer.status == RequestAuth::kUnauthorized) {
            res.set_header("WWW-Authenticate", std::string{RequestAuth::kChallenge});
        }
        if (answer.status == 204) {
            return;
        }
        res.set_content(answer.body, "application/json");
    }

    // The user the request comes from, or nullopt once a 401 was sent.
    std::optional<User> authenticate(const httplib::Request& req, httplib::Response& res) {
        const std::string header = req.get_header_value("Authorization");
        std::lock_guard lock{store_mutex};
        auto user = request_auth.authenticate(header);
        if (!user) {
            send(res, RequestAuth::unauthorized(user.error()));
            return std::nullopt;
        }
        return std::move(user).value();
    }

    // A route handler that runs only for an authenticated user.
    auto authed(Handler handler) {
        return [this, handler](const httplib::Request& req, httplib::Response& res) {
            if (auto user = authenticate(req, res)) {
                (this->*handler)(req, res, *user);
            }
        };
    }

    static Actor actor(const User& user, const httplib::Request& req) {
        return Actor{user.name, req.remote_addr.empty() ? std::string{"unknown"} : req.remote_addr};
    }

    // Runs `fn` with an Authorizer over the planner's current network.
    template <class F>
    auto with_authorizer(F&& fn) {
        using R = decltype(fn(std::declval<const Authorizer&>()));
        std::optional<R> out;
        planner.with_network([&](const PlanNetwork& n) {
            const Authorizer authorizer{n.units, n.stations, options.auth_policy};
            out.emplace(fn(authorizer));
        });
        return std::move(*out);
    }

    // Whether the user's role may do `capability` at all; sends the 403 when not.
    bool allowed(const User& user, Capability capability, httplib::Response& res) {
        const auto s =
            with_authorizer([&](const Authorizer& a) { return a.can(user, capability); });
        if (!s) {
            send(res, RequestAuth::forbidden(s));
            return false;
        }
        return true;
    }

    // A ChangeGuard whose check builds an Authorizer over the network the change is made
    // against and keeps a denial in `denial` (so the handler can answer 403 instead of 400), and
    // whose record writes `audit_of(store, change)` to the audit log in the change's transaction.
    ChangeGuard guard(
        std::optional<Status>& denial,
        std::function<Status(const Authorizer&, const PlanNetwork&)> check, const User& user,
        const httplib::Request& req,
        std::function<std::optional<AuditRecord>(SchedulerStore&, const PlanChange&)> audit_of) {
        ChangeGuard g;
        g.check = [this, &denial, check = std::move(check)](const PlanNetwork& n) {
            const Authorizer authorizer{n.units, n.stations, options.auth_policy};
            auto s = check(authorizer, n);
            if (!s) {
                denial = s;
            }
            return s;
        };
        g.record = [this, who = actor(user, req), audit_of = std::move(audit_of)](
                       SchedulerStore& s, const PlanChange& change) {
            if (auto r = audit_of(s, change)) {
                r->actor = who;
                audit.record(s.database(), *r);
            }
        };
        return g;
    }

    static std::optional<std::string> json_text(const json& j) {
        if (j.is_null()) {
            return std::nullopt;
        }
        return dump(j);
    }

    // Whether `unit_code` lies within the user's scope (an empty scope is everything).
    static bool in_scope(const User& user, const AdminUnitTree& units, std::string_view unit_code) {
        return user.has_global_scope() || units.is_within(unit_code, user.scope);
    }

    static std::string who(const User& user) {
        return user.scope.empty() ? std::string{role_name(user.role)}
                                  : fmt::format("{} of {}", role_name(user.role), user.scope);
    }

    bool online(const StationRecord& s, TimePoint now) const {
        return s.last_seen_at_us &&
               now - from_unix_us(*s.last_seen_at_us) <= 3 * options.heartbeat_interval;
    }

    json station_json(const StationRecord& s, TimePoint now) const {
        return json{
            {"id", s.id},
            {"name", s.name},
            {"public_key", s.public_key.empty() ? json(nullptr) : json(s.public_key)},
            {"unit", s.unit_code},
            {"zones", s.zones},
            {"position", s.position ? json{{"lat", s.position->first}, {"lon", s.position->second}}
                                    : json(nullptr)},
            {"created_at", format_utc(from_unix_us(s.created_at_us))},
            {"online", online(s, now)},
            {"last_seen_at", time_or_null(s.last_seen_at_us)},
            {"timeline_revision", s.timeline_revision},
            {"acked_revision", s.acked_revision},
            {"software_version", s.software_version},
            {"outbox_depth", s.outbox_depth},
            {"assets_missing", s.assets_missing},
            {"underruns", s.underruns}};
    }

    static json asset_json(const AssetRecord& a) {
        const auto one_decimal = [](const std::optional<double>& v) -> json {
            if (!v || !std::isfinite(*v)) {
                return nullptr;
            }
            return std::round(*v * 100.0) / 100.0;
        };
        return json{{"id", a.id},
                    {"name", a.name},
                    {"duration_ms", a.duration_ms},
                    {"size_bytes", a.size_bytes},
                    {"created_at", format_utc(from_unix_us(a.created_at_us))},
                    {"loudness_lufs", one_decimal(a.loudness_lufs)},
                    {"true_peak_dbtp", one_decimal(a.true_peak_dbtp)},
                    {"source_format", a.source_format}};
    }

    // What the ingest of a new asset measured and how fast it went (201 answers only).
    static json ingest_json(const IngestFigures& f) {
        const auto rounded = [](double v, double scale) -> json {
            return std::isfinite(v) ? json(std::round(v * scale) / scale) : json(nullptr);
        };
        return json{{"input_loudness_lufs", rounded(f.input_lufs, 100.0)},
                    {"input_true_peak_dbtp", rounded(f.input_true_peak_dbtp, 100.0)},
                    {"gain_db", rounded(f.gain_db, 100.0)},
                    {"limiter_reduction_db", rounded(f.limiter_reduction_db, 100.0)},
                    {"seconds", rounded(f.seconds, 1000.0)},
                    {"speed", rounded(f.speed, 10.0)}};
    }

    static json record_json(const AsRunRow& r) {
        json start_error = nullptr;
        if (r.started_at_us != 0) {
            start_error = static_cast<double>(r.started_at_us - r.scheduled_at_us) / 1000.0;
        }
        return json{{"record_id", r.record_id},
                    {"station_id", r.station_id},
                    {"item_id", r.item_id},
                    {"asset_id", r.asset_id},
                    {"scheduled_at", format_utc(from_unix_us(r.scheduled_at_us))},
                    {"started_at", time_or_null(r.started_at_us)},
                    {"ended_at", time_or_null(r.ended_at_us)},
                    {"status", protocol::as_run_status_name(r.status)},
                    {"reason", r.reason},
                    {"timeline_revision", r.timeline_revision},
                    {"received_at", format_utc(from_unix_us(r.received_at_us))},
                    {"start_error_ms", start_error}};
    }

    void routes() {
        server.set_payload_max_length(kMaxUploadBytes);
        server.set_keep_alive_timeout(2);
        server.set_exception_handler(
            [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
                std::string what = "unknown error";
                try {
                    std::rethrow_exception(std::move(ep));
                } catch (const std::exception& e) {
                    what = e.what();
                } catch (...) {
                }
                spdlog::error("api: {} {} failed: {}", req.method, req.path, what);
                reply_error(res, {500, fmt::format("internal error: {}", what)});
            });
        server.set_error_handler(httplib::Server::HandlerWithResponse{
            [](const httplib::Request& req, httplib::Response& res) {
                if (!res.body.empty()) {
                    return httplib::Server::HandlerResponse::Unhandled;
                }
                reply_error(
                    res, {res.status, res.status == 404
                                          ? fmt::format("no such path: {} {}", req.method, req.path)
                                          : fmt::format("HTTP {}", res.status)});
                return httplib::Server::HandlerResponse::Handled;
            }});
        server.set_logger([](const httplib::Request& req, const httplib::Response& res) {
            spdlog::debug("api: {} {} -> {}", req.method, req.path, res.status);
        });

        server.Get("/api/v1/health", [this](const auto& req, auto& res) { health(req, res); });
        server.Post("/api/v1/login", [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock{login_mutex};
            send(res, login_auth.login(req.body, req.remote_addr));
        });
        server.Get("/api/v1/link", authed(&Impl::link_info));
        server.Post("/api/v1/stations", authed(&Impl::add_station));
        server.Get("/api/v1/stations", authed(&Impl::list_stations));
        server.Get(R"(/api/v1/stations/([^/]+))", authed(&Impl::get_station));
        server.Post("/api/v1/assets", authed(&Impl::add_asset));
        server.Get("/api/v1/assets", authed(&Impl::list_assets));
        server.Post("/api/v1/assets/tts", authed(&Impl::add_speech));
        server.Get(R"(/api/v1/assets/([^/]+))", authed(&Impl::get_asset));
        server.Get(R"(/api/v1/assets/([^/]+)/audio)", authed(&Impl::get_asset_audio));
        server.Post("/api/v1/schedule", authed(&Impl::add_entry));
        server.Get("/api/v1/schedule", authed(&Impl::list_entries));
        planning_routes();
        auth_routes();
        bulletin_routes();
        emergency_routes = std::make_unique<EmergencyRoutes>(EmergencyRoutesContext{
            server, store_mutex, store, audit, assets, planner, clock, options.emergency,
            [this](const httplib::Request& q, httplib::Response& r) { return authenticate(q, r); },
            &link});
        live_routes = std::make_unique<LiveRoutes>(LiveRoutesContext{
            server, store_mutex, store, audit, planner, link, clock, options.auth_policy,
            [this](const httplib::Request& q, httplib::Response& r) {
                return authenticate(q, r);
            }});
        server.Get("/api/v1/asrun", authed(&Impl::list_as_run));
        monitoring = std::make_unique<HttpMonitoringRoutes>(
            server, MonitoringRouteContext{
                        options, planner, link, clock,
                        [this](const auto& req, auto& res) { return authenticate(req, res); }});
    }

    void planning_routes() {
        server.Post("/api/v1/units/import", authed(&Impl::import_units));
        server.Get("/api/v1/units", authed(&Impl::list_units));
        server.Post("/api/v1/stations/import", authed(&Impl::import_stations));
        server.Put(R"(/api/v1/stations/([^/]+)/key)", authed(&Impl::set_station_key));
        server.Post("/api/v1/programmes", authed(&Impl::add_programme));
        server.Put(R"(/api/v1/programmes/([^/]+))", authed(&Impl::replace_programme));
        server.Get("/api/v1/programmes", authed(&Impl::list_programmes));
        server.Get("/api/v1/schedule/check", authed(&Impl::check_schedule));
        server.Get("/api/v1/schedule/readiness", authed(&Impl::readiness));
        server.Put(R"(/api/v1/schedule/([^/]+))", authed(&Impl::edit_entry));
        server.Post(R"(/api/v1/schedule/([^/]+)/approve)", authed(&Impl::approve_entry));
        server.Post(R"(/api/v1/schedule/([^/]+)/retire)", authed(&Impl::retire_entry));
    }

    void auth_routes() {
        server.Delete("/api/v1/session", authed(&Impl::logout));
        server.Get("/api/v1/me", authed(&Impl::whoami));
        server.Get("/api/v1/users", authed(&Impl::list_users));
        server.Post("/api/v1/users", authed(&Impl::add_user));
        server.Patch(R"(/api/v1/users/([^/]+))", authed(&Impl::update_user));
        server.Post("/api/v1/tokens", authed(&Impl::issue_token));
        server.Delete(R"(/api/v1/tokens/([^/]+))", authed(&Impl::revoke_token));
        server.Get("/api/v1/audit", authed(&Impl::query_audit));
    }

    void logout(const httplib::Request& req, httplib::Response& res, const User& user) {
        std::lock_guard lock{store_mutex};
        send(res,
             request_auth.logout(user, req.get_header_value("Authorization"), req.remote_addr));
    }

    void whoami(const httplib::Request&, httplib::Response& res, const User& user) {
        std::lock_guard lock{store_mutex};
        send(res, request_auth.whoami(user));
    }

    // Runs an admin handler of RequestAuth with an Authorizer over the current network.
    template <class F>
    void admin_call(httplib::Response& res, F&& fn) {
        const auto answer = with_authorizer([&](const Authorizer& a) {
            std::lock_guard lock{store_mutex};
            return fn(a);
        });
        send(res, answer);
    }

    void list_users(const httplib::Request&, httplib::Response& res, const User& user) {
        admin_call(res, [&](const Authorizer& a) { return request_auth.list_users(user, a); });
    }

    void add_user(const httplib::Request& req, httplib::Response& res, const User& user) {
        admin_call(res, [&](const Authorizer& a) {
            return request_auth.add_user(user, a, req.body, req.remote_addr);
        });
    }

    void update_user(const httplib::Request& req, httplib::Response& res, const User& user) {
        const std::string name = req.matches[1];
        admin_call(res, [&](const Authorizer& a) {
            return request_auth.update_user(user, a, name, req.body, req.remote_addr);
        });
    }

    void issue_token(const httplib::Request& req, httplib::Response& res, const User& user) {
        admin_call(res, [&](const Authorizer& a) {
            return request_auth.issue_token(user, a, req.body, req.remote_addr);
        });
    }

    void revoke_token(const httplib::Request& req, httplib::Response& res, const User& user) {
        const std::string id = req.matches[1];
        admin_call(res, [&](const Authorizer& a) {
            return request_auth.revoke_token(user, a, id, req.remote_addr);
        });
    }

    void query_audit(const httplib::Request& req, httplib::Response& res, const User& user) {
        const auto param = [&](const char* key) {
            return req.has_param(key) ? req.get_param_value(key) : std::string{};
        };
        const RequestAuth::AuditParams params{param("from"), param("until"),  param("user"),
                                              param("kind"), param("object"), param("limit")};
        admin_call(res,
                   [&](const Authorizer& a) { return request_auth.query_audit(user, a, params); });
    }

    void health(const httplib::Request&, httplib::Response& res) {
        const auto now = clock.now();
        std::lock_guard lock{store_mutex};
        const auto stations = store.list_stations();
        const auto n_online = std::count_if(stations.begin(), stations.end(),
                                            [&](const auto& s) { return online(s, now); });
        reply(res, 200,
              json{{"status", "ok"},
                   {"version", LOA_VERSION},
                   {"stations", stations.size()},
                   {"online", n_online}});
    }

    void link_info(const httplib::Request&, httplib::Response& res, const User&) {
        reply(res, 200,
              json{{"endpoint", options.link_public_endpoint},
                   {"public_key", keys.curve.public_key},
                   {"signing_key", keys.signing.public_key}});
    }

    void add_station(const httplib::Request& req, httplib::Response& res, const User& user) {
        if (!allowed(user, Capability::manage_stations, res)) {
            return;
        }
        auto body = parse_object(req.body, {"id", "name", "public_key", "unit", "zones"});
        if (auto* f = std::get_if<Failure>(&body)) {
            return reply_error(res, *f);
        }
        const json& j = std::get<json>(body);
        auto id = string_field(j, "id");
        auto name = string_field(j, "name");
        auto key = string_field(j, "public_key");
        auto unit = string_field(j, "unit");
        auto zones = string_list(j, "zones");
        if (auto* f = std::get_if<Failure>(&zones)) {
            return reply_error(res, *f);
        }
        for (auto* field : {&id, &name, &key, &unit}) {
            if (auto* f = std::get_if<Failure>(field)) {
                return reply_error(res, *f);
            }
        }
        const auto& id_value = std::get<0>(id);
        const auto& name_value = std::get<0>(name);
        const auto& key_value = std::get<0>(key);
        if (!id_value) {
            return reply_error(res, {400, "id: required (the station's id, e.g. \"30280\")"});
        }
        if (!valid_station_id(*id_value)) {
            return reply_error(res, {400, fmt::format("id: '{}' must be 1-64 letters, digits, "
                                                      "'-', '_' or '.'",
                                                      *id_value)});
        }
        if (!name_value) {
            return reply_error(res, {400, "name: required (the station's name)"});
        }
        if (!valid_name(*name_value)) {
            return reply_error(res, {400, fmt::format("name: must be 1-{} characters without "
                                                      "control characters",
                                                      kMaxNameLength)});
        }
        std::optional<transport::CurveKeyPair> generated;
        std::string public_key;
        if (key_value) {
            if (auto s = transport::check_curve_key(*key_value, "public_key"); !s) {
                return reply_error(res, {400, s.message()});
            }
            public_key = *key_value;
        } else {
            generated = transport::CurveKeyPair::generate();
            public_key = generated->public_key;
        }
        const auto now = clock.now();
        StationRecord station;
        station.id = *id_value;
        station.name = *name_value;
        station.public_key = public_key;
        station.created_at_us = to_unix_us(now);
        station.unit_code = std::get<0>(unit).value_or("");
        if (!std::get<0>(zones).empty()) {
            station.zones = std::get<0>(zones);
        }
        std::optional<Status> denial;
        auto g = guard(
            denial,
            [&](const Authorizer& a, const PlanNetwork& n) -> Status {
                if (auto s = a.can(user, Capability::manage_stations); !s) {
                    return s;
                }
                if (!station.unit_code.empty() && n.units.find(station.unit_code) != nullptr &&
                    !in_scope(user, n.units, station.unit_code)) {
                    return Error{
                        fmt::format("{} cannot register a station in unit {}, which is "
                                    "outside its scope",
                                    who(user), station.unit_code)};
                }
                return Status::success();
            },
            user, req,
            [&](SchedulerStore& st, const PlanChange&) -> std::optional<AuditRecord> {
                const auto after = st.find_station(station.id);
                return AuditRecord{
                    {},           "create",
                    "station",    station.id,
                    std::nullopt, after ? json_text(station_json(*after, now)) : std::nullopt};
            });
        if (auto s = planner.add_station(station, g); !s) {
            if (denial) {
                return send(res, RequestAuth::forbidden(*denial));
            }
            const bool bad_unit = s.message().rfind("unit:", 0) == 0;
            return reply_error(res, {bad_unit ? 400 : 409, s.message()});
        }
        std::optional<StationRecord> stored;
        {
            std::lock_guard lock{store_mutex};
            stored = store.find_station(station.id);
        }
        spdlog::info("api: station {} ({}) registered", station.id, station.name);
        json answer = station_json(*stored, now);
        if (generated) {
            config::AgentConfig agent;
            agent.station_id = station.id;
            agent.scheduler_endpoint = options.link_public_endpoint;
            agent.scheduler_public_key = keys.curve.public_key;
            agent.scheduler_signing_key = keys.signing.public_key;
            agent.secret_key = generated->secret_key;
            agent.heartbeat_interval = options.heartbeat_interval;
            answer["agent_config"] = config::render_agent_config(agent);
        }
        reply(res, 201, answer);
    }

    // Which stations the user may see: a predicate over station ids, made once per request.
    std::function<bool(const std::string&)> station_filter(const User& user) {
        if (user.has_global_scope()) {
            return [](const std::string&) { return true; };
        }
        auto ids = std::make_shared<std::set<std::string>>();
        planner.with_network([&](const PlanNetwork& n) {
            const Authorizer authorizer{n.units, n.stations, options.auth_policy};
            for (const auto& st : n.stations) {
                if (authorizer.can_see_station(user, st.id)) {
                    ids->insert(st.id);
                }
            }
        });
        return [ids](const std::string& id) { return ids->count(id) != 0; };
    }

    Status can_see_station(const User& user, const std::string& id) {
        return with_authorizer([&](const Authorizer& a) { return a.can_see_station(user, id); });
    }

    void list_stations(const httplib::Request&, httplib::Response& res, const User& user) {
        const auto now = clock.now();
        const auto visible = station_filter(user);
        json out = json::array();
        std::lock_guard lock{store_mutex};
        for (const auto& s : store.list_stations()) {
            if (visible(s.id)) {
                out.push_back(station_json(s, now));
            }
        }
        reply(res, 200, out);
    }

    void get_station(const httplib::Request& req, httplib::Response& res, const User& user) {
        const std::string id = req.matches[1];
        const auto now = clock.now();
        std::optional<StationRecord> s;
        {
            std::lock_guard lock{store_mutex};
            s = store.find_station(id);
        }
        if (!s) {
            return reply_error(res, {404, fmt::format("station '{}' is not registered", id)});
        }
        if (auto seen = can_see_station(user, id); !seen) {
            return send(res, RequestAuth::forbidden(seen));
        }
        reply(res, 200, station_json(*s, now));
    }

    void add_asset(const httplib::Request& req, httplib::Response& res, const User& user) {
        if (!allowed(user, Capability::upload_assets, res)) {
            return;
        }
        const std::string name =
            req.has_param("name") ? req.get_param_value("name") : std::string{"unnamed"};
        if (!valid_name(name)) {
            return reply_error(res, {400, fmt::format("name: must be 1-{} characters without "
                                                      "control characters",
                                                      kMaxNameLength)});
        }
        if (req.body.empty()) {
            return reply_error(res, {400, "body: empty (send the audio file's bytes)"});
        }
        const std::span<const std::uint8_t> bytes{
            reinterpret_cast<const std::uint8_t*>(req.body.data()), req.body.size()};
        {
            std::lock_guard lock{store_mutex};
            const auto known = store.find_asset_by_source(AssetLibrary::source_digest(bytes));
            if (known && std::filesystem::exists(assets.path_of(known->id))) {
                return reply(res, 200, asset_json(*known));
            }
        }
        spdlog::info("api: ingesting '{}' ({} bytes)", name, bytes.size());
        auto pending = assets.transcode(bytes, name);
        if (!pending) {
            spdlog::warn("api: upload '{}' refused: {}", name, pending.error().message);
            return reply_error(res, {400, pending.error().message});
        }
        store_pending(*pending, name, res, actor(user, req));
    }

    // Installs an ingested asset and records it; answers 201 with the asset and the ingest's
    // figures, or 200 with the asset when the same audio is known already.
    void store_pending(AssetLibrary::Pending& pending, const std::string& name,
                       httplib::Response& res, const Actor& who) {
        std::lock_guard lock{store_mutex};
        if (const auto known = store.find_asset(pending.id()); known) {
            return reply(res, 200, asset_json(*known));
        }
        if (auto s = assets.install(pending); !s) {
            return reply_error(res, {500, s.message()});
        }
        AssetRecord asset;
        asset.id = pending.id();
        asset.name = name;
        asset.duration_ms = pending.duration_ms();
        asset.size_bytes = pending.size_bytes();
        asset.created_at_us = to_unix_us(clock.now());
        asset.source_sha256 = pending.source_sha256();
        asset.loudness_lufs = pending.loudness_lufs();
        asset.true_peak_dbtp = pending.true_peak_dbtp();
        asset.source_format = pending.source_format();
        try {
            SchedulerStore::Transaction tx{store};
            store.add_asset(asset);
            audit.record(store.database(), AuditRecord{who, "create", "asset", asset.id,
                                                       std::nullopt, dump(asset_json(asset))});
            tx.commit();
        } catch (...) {
            assets.remove(asset.id);
            throw;
        }
        const auto& f = pending.figures();
        spdlog::info(
            "api: asset {} '{}' ({} ms, {} bytes, {}) added: {:.1f} LUFS, {:.1f} dBTP "
            "(input {:.1f} LUFS), ingested in {:.2f} s ({:.0f}x real time)",
            asset.id, asset.name, asset.duration_ms, asset.size_bytes, asset.source_format,
            pending.loudness_lufs(), pending.true_peak_dbtp(), f.input_lufs, f.seconds, f.speed);
        json answer = asset_json(asset);
        answer["ingest"] = ingest_json(f);
        reply(res, 201, answer);
    }

    void add_speech(const httplib::Request& req, httplib::Response& res, const User& user) {
        if (!allowed(user, Capability::upload_assets, res)) {
            return;
        }
        auto body = parse_object(req.body, {"text", "voice", "name"});
        if (auto* f = std::get_if<Failure>(&body)) {
            return reply_error(res, *f);
        }
        const json& j = std::get<json>(body);
        auto text = string_field(j, "text");
        auto voice = string_field(j, "voice");
        auto name = string_field(j, "name");
        for (auto* field : {&text, &voice, &name}) {
            if (auto* f = std::get_if<Failure>(field)) {
                return reply_error(res, *f);
            }
        }
        const auto& text_value = std::get<0>(text);
        const auto& voice_value = std::get<0>(voice);
        const auto& name_value = std::get<0>(name);
        if (!text_value || std::all_of(text_value->begin(), text_value->end(), [](char c) {
                return std::isspace(static_cast<unsigned char>(c)) != 0;
            })) {
            return reply_error(res, {400, "text: required (the notice to speak)"});
        }
        if (text_value->size() > kMaxSpeechBytes) {
            return reply_error(res, {400, fmt::format("text: {} bytes is too long (at most {})",
                                                      text_value->size(), kMaxSpeechBytes)});
        }
        if (name_value && !valid_name(*name_value)) {
            return reply_error(res, {400, fmt::format("name: must be 1-{} characters without "
                                                      "control characters",
                                                      kMaxNameLength)});
        }
        const std::string voice_name = voice_value ? *voice_value : assets.ingest_config().voice;
        const auto language = assets.find_voice(voice_name);
        if (!language) {
            return reply_error(res, {400, fmt::format("voice: {}", language.error().message)});
        }
        {
            std::lock_guard lock{store_mutex};
            const auto known =
                store.find_asset_by_source(AssetLibrary::speech_digest(*text_value, *language));
            if (known && std::filesystem::exists(assets.path_of(known->id))) {
                return reply(res, 200, asset_json(*known));
            }
        }
        const std::string asset_name = name_value ? *name_value : notice_name(*text_value);
        spdlog::info("api: speaking a notice of {} bytes with voice '{}'", text_value->size(),
                     voice_name);
        auto pending = assets.speak(*text_value, *language);
        if (!pending) {
            spdlog::warn("api: notice refused: {}", pending.error().message);
            return reply_error(res, {400, fmt::format("text: {}", pending.error().message)});
        }
        store_pending(*pending, asset_name, res, actor(user, req));
    }

    // "Thông báo họp tổ dân phố lúc 15 giờ…": the notice's start, for its asset name.
    static std::string notice_name(const std::string& text) {
        std::string out;
        std::size_t characters = 0;
        bool space = false;
        for (std::size_t i = 0; i < text.size() && characters < kNoticeNameCharacters; ++i) {
            const auto c = static_cast<unsigned char>(text[i]);
            if (std::isspace(c) != 0 || c < 0x20) {
                space = !out.empty();
                continue;
            }
            if (space) {
                out += ' ';
                ++characters;
                space = false;
            }
            out += text[i];
            // Count UTF-8 characters by their first byte.
            if ((c & 0xC0U) != 0x80U) {
                ++characters;
            }
        }
        // Finish a multi-byte character cut at the end.
        for (std::size_t i = out.size(); i < text.size(); ++i) {
            const auto c = static_cast<unsigned char>(text[i]);
            if ((c & 0xC0U) != 0x80U) {
                break;
            }
            out += text[i];
        }
        return out.size() < text.size() ? out + "…" : out;
    }

    void get_asset_audio(const httplib::Request& req, httplib::Response& res, const User&) {
        const std::string id = req.matches[1];
        {
            std::lock_guard lock{store_mutex};
            if (!store.find_asset(id)) {
                return reply_error(res, {404, fmt::format("asset '{}' does not exist", id)});
            }
        }
        const auto path = assets.path_of(id);
        std::error_code ec;
        const auto size = std::filesystem::file_size(path, ec);
        std::ifstream in{path, std::ios::binary};
        std::string bytes(ec ? 0 : static_cast<std::size_t>(size), '\0');
        if (ec || !in || !in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
            return reply_error(
                res, {404, fmt::format("asset '{}' has no audio file on this scheduler", id)});
        }
        res.status = 200;
        res.set_header("Content-Disposition", fmt::format("attachment; filename=\"{}.opus\"", id));
        res.set_content(std::move(bytes), "audio/ogg");
    }

    void list_assets(const httplib::Request&, httplib::Response& res, const User&) {
        json out = json::array();
        std::lock_guard lock{store_mutex};
        for (const auto& a : store.list_assets()) {
            out.push_back(asset_json(a));
        }
        reply(res, 200, out);
    }

    void get_asset(const httplib::Request& req, httplib::Response& res, const User&) {
        const std::string id = req.matches[1];
        std::lock_guard lock{store_mutex};
        const auto a = store.find_asset(id);
        if (!a) {
            return reply_error(res, {404, fmt::format("asset '{}' does not exist", id)});
        }
        reply(res, 200, asset_json(*a));
    }

    // --- planning (units, stations, programmes, entries)

    static json unit_json(const AdminUnit& u, const std::vector<std::string>* stations) {
        json j{{"code", u.code},
               {"parent_code", u.parent_code.empty() ? json(nullptr) : json(u.parent_code)},
               {"level", u.level},
               {"unit_type", u.unit_type},
               {"name", u.name},
               {"name_with_type", u.name_with_type}};
        j["stations"] = stations ? json(*stations) : json::array();
        return j;
    }

    static json import_json(const ImportOutcome& o) {
        return json{{"units", o.units},
                    {"stations", o.stations},
                    {"stations_created", o.stations_created},
                    {"changed_stations", o.change.changed_stations},
                    {"problems", o.change.problems}};
    }

    static void reply_import(httplib::Response& res, const ImportOutcome& o) {
        if (!o.errors.empty()) {
            json lines = json::array();
            for (const auto& e : o.errors) {
                lines.push_back(json{{"line", e.line}, {"message", e.message}});
            }
            return reply(res, 400,
                         json{{"error", fmt::format("the file has {} error(s); nothing was "
                                                    "imported:\n{}",
                                                    o.errors.size(), join_errors(o.errors))},
                              {"lines", lines}});
        }
        reply(res, 200, import_json(o));
    }

    // A guard for an import: the capability, and an audit row with the counts of units and
    // stations before and after.
    ChangeGuard import_guard(std::optional<Status>& denial, Capability capability, const char* kind,
                             const User& user, const httplib::Request& req,
                             std::shared_ptr<json> before) {
        return guard(
            denial,
            [&user, capability, before](const Authorizer& a, const PlanNetwork& n) -> Status {
                if (auto s = a.can(user, capability); !s) {
                    return s;
                }
                *before = json{{"units", n.units.size()}, {"stations", n.stations.size()}};
                return Status::success();
            },
            user, req,
            [kind, before, bytes = req.body.size()](
                SchedulerStore& st, const PlanChange& change) -> std::optional<AuditRecord> {
                const json after{{"units", st.list_units().size()},
                                 {"stations", st.list_planned_stations().size()},
                                 {"csv_bytes", bytes},
                                 {"changed_stations", change.changed_stations.size()}};
                return AuditRecord{{}, "import", kind, "csv", dump(*before), dump(after)};
            });
    }

    void reply_guarded_import(httplib::Response& res, const ImportOutcome& o,
                              const std::optional<Status>& denial) {
        if (denial) {
            return send(res, RequestAuth::forbidden(*denial));
        }
        reply_import(res, o);
    }

    void import_units(const httplib::Request& req, httplib::Response& res, const User& user) {
        if (!allowed(user, Capability::import_units, res)) {
            return;
        }
        if (req.body.empty()) {
            return reply_error(res, {400, "body: empty (send the unit CSV)"});
        }
        const bool defaults =
            !req.has_param("stations") || req.get_param_value("stations") != "none";
        std::optional<Status> denial;
        const auto g = import_guard(denial, Capability::import_units, "unit", user, req,
                                    std::make_shared<json>());
        const auto outcome = planner.import_units(req.body, defaults, g);
        reply_guarded_import(res, outcome, denial);
    }

    void list_units(const httplib::Request& req, httplib::Response& res, const User& user) {
        const std::string under = req.has_param("under") ? req.get_param_value("under") : "";
        const auto units = planner.units(under);
        if (!units) {
            return reply_error(res, {404, fmt::format("under: '{}' is not a known unit", under)});
        }
        const auto stations = planner.stations_by_unit();
        std::set<std::string> visible;
        if (!user.has_global_scope()) {
            planner.with_network([&](const PlanNetwork& n) {
                const Authorizer authorizer{n.units, n.stations, options.auth_policy};
                for (const auto& u : *units) {
                    if (authorizer.can_see_unit(user, u.code)) {
                        visible.insert(u.code);
                    }
                }
            });
        }
        json out = json::array();
        for (const auto& u : *units) {
            if (!user.has_global_scope() && visible.count(u.code) == 0) {
                continue;
            }
            const auto it = stations.find(u.code);
            out.push_back(unit_json(u, it == stations.end() ? nullptr : &it->second));
        }
        reply(res, 200, out);
    }

    void import_stations(const httplib::Request& req, httplib::Response& res, const User& user) {
        if (!allowed(user, Capability::manage_stations, res)) {
            return;
        }
        if (req.body.empty()) {
            return reply_error(res, {400, "body: empty (send the station CSV)"});
        }
        std::optional<Status> denial;
        const auto g = import_guard(denial, Capability::manage_stations, "station", user, req,
                                    std::make_shared<json>());
        const auto outcome = planner.import_stations(req.body, g);
        reply_guarded_import(res, outcome, denial);
    }

    void set_station_key(const httplib::Request& req, httplib::Response& res, const User& user) {
        if (!allowed(user, Capability::manage_stations, res)) {
            return;
        }
        const std::string id = req.matches[1];
        auto body = parse_object(req.body, {"public_key"});
        if (auto* f = std::get_if<Failure>(&body)) {
            return reply_error(res, *f);
        }
        auto key = string_field(std::get<json>(body), "public_key");
        if (auto* f = std::get_if<Failure>(&key)) {
            return reply_error(res, *f);
        }
        const auto& value = std::get<0>(key);
        if (!value) {
            return reply_error(res, {400, "public_key: required (the agent's CURVE public key)"});
        }
        if (auto s = transport::check_curve_key(*value, "public_key"); !s) {
            return reply_error(res, {400, s.message()});
        }
        const auto now = clock.now();
        std::optional<StationRecord> before;
        {
            std::lock_guard lock{store_mutex};
            before = store.find_station(id);
        }
        std::optional<Status> denial;
        const auto g = guard(
            denial,
            [&](const Authorizer& a, const PlanNetwork&) {
                return a.can(user, Capability::manage_stations);
            },
            user, req,
            [&](SchedulerStore& st, const PlanChange&) -> std::optional<AuditRecord> {
                const auto after = st.find_station(id);
                return AuditRecord{{},
                                   "update",
                                   "station",
                                   id,
                                   before ? json_text(station_json(*before, now)) : std::nullopt,
                                   after ? json_text(station_json(*after, now)) : std::nullopt};
            });
        if (auto s = planner.set_station_key(id, *value, g); !s) {
            if (denial) {
                return send(res, RequestAuth::forbidden(*denial));
            }
            const bool unknown = s.message().find("does not exist") != std::string::npos;
            return reply_error(res, {unknown ? 404 : 409, s.message()});
        }
        spdlog::info("api: station {} has a new public key", id);
        std::lock_guard lock{store_mutex};
        reply(res, 200, station_json(*store.find_station(id), now));
    }

    static json programme_json(const Programme& p) {
        json assets = json::array();
        for (const auto& a : p.assets) {
            assets.push_back(
                json{{"asset_id", a.asset_id},
                     {"duration_ms",
                      std::chrono::duration_cast<std::chrono::milliseconds>(a.duration).count()}});
        }
        return json{
            {"id", p.id},
            {"title", p.title},
            {"assets", assets},
            {"duration_ms",
             std::chrono::duration_cast<std::chrono::milliseconds>(p.total_duration()).count()}};
    }

    void add_programme(const httplib::Request& req, httplib::Response& res, const User& user) {
        put_programme(req, res, "", user);
    }

    void replace_programme(const httplib::Request& req, httplib::Response& res, const User& user) {
        put_programme(req, res, req.matches[1], user);
    }

    void put_programme(const httplib::Request& req, httplib::Response& res, std::string id,
                       const User& user) {
        if (!allowed(user, Capability::plan, res)) {
            return;
        }
        auto body = parse_object(req.body, {"title", "assets"});
        if (auto* f = std::get_if<Failure>(&body)) {
            return reply_error(res, *f);
        }
        const json& j = std::get<json>(body);
        auto title = string_field(j, "title");
        if (auto* f = std::get_if<Failure>(&title)) {
            return reply_error(res, *f);
        }
        const auto& title_value = std::get<0>(title);
        if (!title_value || !valid_name(*title_value)) {
            return reply_error(res, {400, fmt::format("title: required, 1-{} characters without "
                                                      "control characters",
                                                      kMaxNameLength)});
        }
        auto asset_ids = string_list(j, "assets", false);
        if (auto* f = std::get_if<Failure>(&asset_ids)) {
            return reply_error(res, *f);
        }
        Programme p{std::move(id), *title_value, {}};
        for (auto& a : std::get<0>(asset_ids)) {
            p.assets.push_back(ProgrammeAsset{std::move(a), {}});
        }
        const bool is_new = p.id.empty();
        std::optional<json> before;
        if (!is_new) {
            for (const auto& old : planner.programmes()) {
                if (old.id == p.id) {
                    before = programme_json(old);
                }
            }
        }
        std::optional<Status> denial;
        const auto g = guard(
            denial,
            [&](const Authorizer& a, const PlanNetwork&) { return a.can(user, Capability::plan); },
            user, req,
            [&](SchedulerStore& st, const PlanChange& change) -> std::optional<AuditRecord> {
                const auto after = st.find_programme(change.programme_id);
                return AuditRecord{
                    {},
                    is_new ? "create" : "update",
                    "programme",
                    change.programme_id,
                    before ? std::optional<std::string>{dump(*before)} : std::nullopt,
                    after ? std::optional<std::string>{dump(programme_json(*after))}
                          : std::nullopt};
            });
        auto stored = planner.put_programme(std::move(p), g);
        if (denial) {
            return send(res, RequestAuth::forbidden(*denial));
        }
        if (!stored) {
            const bool unknown = stored.error().message.rfind("programme '", 0) == 0;
            return reply_error(res, {unknown ? 404 : 400, stored.error().message});
        }
        reply(res, is_new ? 201 : 200, programme_json(*stored));
    }

    void list_programmes(const httplib::Request&, httplib::Response& res, const User&) {
        json out = json::array();
        for (const auto& p : planner.programmes()) {
            out.push_back(programme_json(p));
        }
        reply(res, 200, out);
    }

    json entry_json(const StoredEntry& s) const {
        const auto& e = s.entry;
        json j{{"id", e.id},
               {"title", e.title},
               {"priority", priority_class_name(e.priority)},
               {"cut_policy", cut_policy_name(e.cut_policy)},
               {"state", entry_state_name(e.state)},
               {"units", e.where.units},
               {"stations", e.where.stations},
               {"created_by", s.created_by},
               {"created_at", format_utc(from_unix_us(s.created_at_us))}};
        json zones = json::array();
        for (const auto& z : e.where.zones) {
            zones.push_back(z.station_id + ":" + z.zone);
        }
        j["zones"] = zones;
        if (const auto* a = std::get_if<AssetContent>(&e.what)) {
            j["asset_id"] = a->asset_id;
            j["programme_id"] = nullptr;
        } else {
            j["asset_id"] = nullptr;
            j["programme_id"] = std::get<ProgrammeContent>(e.what).programme_id;
        }
        if (e.recurrence) {
            j["start_at"] = nullptr;
            j["rrule"] = e.recurrence->rule();
            j["dtstart"] = e.recurrence->start().to_string();
            json exdates = json::array();
            for (const auto& x : e.recurrence->exdates()) {
                exdates.push_back(x.to_string());
            }
            j["exdates"] = exdates;
            j["tz"] = e.recurrence->zone();
        } else {
            j["start_at"] = format_utc(e.at);
            j["rrule"] = nullptr;
            j["tz"] = options.time_zone;
        }
        j["valid_from"] =
            e.valid_from == TimePoint::min() ? json(nullptr) : json(format_utc(e.valid_from));
        j["valid_until"] =
            e.valid_until == TimePoint::max() ? json(nullptr) : json(format_utc(e.valid_until));
        j["approved_at"] =
            e.state == EntryState::draft ? json(nullptr) : json(format_utc(e.approved_at));
        return j;
    }

    static json conflict_json(const StationConflict& sc) {
        const auto& c = sc.conflict;
        return json{{"station_id", sc.station_id},
                    {"action", conflict_action_name(c.action)},
                    {"entry_id", c.entry_id},
                    {"occurrence", format_utc(c.occurrence)},
                    {"priority", priority_class_name(c.priority)},
                    {"winner_entry_id", c.winner_entry_id},
                    {"winner_priority", priority_class_name(c.winner_priority)},
                    {"start", format_utc(c.start)},
                    {"duration_ms",
                     std::chrono::duration_cast<std::chrono::milliseconds>(c.duration).count()},
                    {"description", c.describe(sc.station_id)}};
    }

    json change_json(const PlanChange& change) {
        auto stored = planner.entry(change.entry_id);
        json j = stored ? entry_json(*stored) : json::object();
        json conflicts = json::array();
        for (const auto& c : change.conflicts) {
            conflicts.push_back(conflict_json(c));
        }
        j["conflicts"] = conflicts;
        j["changed_stations"] = change.changed_stations;
        return j;
    }

    // A time field: UTC or with an offset, or local in the entry's zone.
    std::variant<std::optional<TimePoint>, Failure> time_field(const json& j, const char* key,
                                                               const std::string& zone) const {
        auto text = string_field(j, key);
        if (auto* f = std::get_if<Failure>(&text)) {
            return *f;
        }
        const auto& value = std::get<0>(text);
        if (!value) {
            return std::optional<TimePoint>{};
        }
        auto t = parse_time(*value, zone);
        if (!t) {
            return Failure{400, fmt::format("{}: {}", key, t.error().message)};
        }
        return std::optional<TimePoint>{*t};
    }

    // A wall-clock time in `zone`, from local text or from an instant.
    static Result<LocalDateTime> local_field(const std::string& text, const std::string& zone) {
        if (auto local = parse_local_date_time(text)) {
            return local;
        }
        auto t = parse_time(text, zone);
        if (!t) {
            return Error{t.error().message};
        }
        return parse_local_date_time(format_local(*t, zone).substr(0, 19));
    }

    // Applies the fields of `j` to `e`. New entries need content, targets and a time.
    std::optional<Failure> read_entry_fields(const json& j, ScheduleEntry& e, bool is_new) {
        std::optional<std::string> fields[7];
        const char* names[7] = {"asset_id",   "programme_id", "title", "priority",
                                "cut_policy", "state",        "rrule"};
        for (int i = 0; i < 7; ++i) {
            auto f = string_field(j, names[i]);
            if (auto* fail = std::get_if<Failure>(&f)) {
                return *fail;
            }
            fields[i] = std::get<0>(f);
        }
        const auto& [asset, programme, title, priority, policy, state, rrule] = fields;
        if (asset && programme) {
            return Failure{400, "asset_id, programme_id: give one of them, not both"};
        }
        if (asset) {
            e.what = AssetContent{*asset, {}};
        } else if (programme) {
            e.what = ProgrammeContent{*programme};
        } else if (is_new) {
            return Failure{400, "asset_id or programme_id: required (what to air)"};
        }
        if (title) {
            if (!valid_name(*title)) {
                return Failure{400, fmt::format("title: must be 1-{} characters without control "
                                                "characters",
                                                kMaxNameLength)};
            }
            e.title = *title;
        }
        if (priority) {
            const auto p = parse_priority_class(*priority);
            if (!p) {
                return Failure{400, fmt::format("priority: '{}' is not emergency, province, "
                                                "district, commune or filler",
                                                *priority)};
            }
            e.priority = *p;
        }
        if (policy) {
            const auto p = parse_cut_policy(*policy);
            if (!p) {
                return Failure{
                    400, fmt::format("cut_policy: '{}' is not shorten, move or drop", *policy)};
            }
            e.cut_policy = *p;
        }
        if (state) {
            const auto s = parse_entry_state(*state);
            if (!s || (is_new && *s == EntryState::retired)) {
                return Failure{400, fmt::format("state: '{}' is not draft or approved", *state)};
            }
            e.state = *s;
        }
        if (auto f = read_targets(j, e, is_new)) {
            return f;
        }
        return read_when(j, e, rrule, is_new);
    }

    std::optional<Failure> read_targets(const json& j, ScheduleEntry& e, bool is_new) {
        auto units = string_list(j, "units");
        auto stations = string_list(j, "stations");
        auto zones = string_list(j, "zones");
        for (auto* list : {&units, &stations, &zones}) {
            if (auto* f = std::get_if<Failure>(list)) {
                return *f;
            }
        }
        const bool given = j.contains("units") || j.contains("stations") || j.contains("zones");
        if (!given && !is_new) {
            return std::nullopt;
        }
        EntryTargets where;
        where.units = std::get<0>(units);
        where.stations = std::get<0>(stations);
        for (const auto& z : std::get<0>(zones)) {
            const auto colon = z.find(':');
            if (colon == std::string::npos || colon == 0 || colon + 1 == z.size()) {
                return Failure{400, fmt::format("zones: '{}' is not STATION:ZONE", z)};
            }
            where.zones.push_back(ZoneTarget{z.substr(0, colon), z.substr(colon + 1)});
        }
        if (where.empty()) {
            return Failure{400, "units, stations or zones: required, at least one target"};
        }
        e.where = std::move(where);
        return std::nullopt;
    }

    std::optional<Failure> read_when(const json& j, ScheduleEntry& e,
                                     const std::optional<std::string>& rrule, bool is_new) {
        auto tz_field = string_field(j, "tz");
        auto at_field = string_field(j, "at");
        for (auto* f : {&tz_field, &at_field}) {
            if (auto* fail = std::get_if<Failure>(f)) {
                return *fail;
            }
        }
        const std::string zone =
            std::get<0>(tz_field).value_or(e.recurrence ? e.recurrence->zone() : options.time_zone);
        for (const auto* key : {"valid_from", "valid_until"}) {
            auto t = time_field(j, key, zone);
            if (auto* f = std::get_if<Failure>(&t)) {
                return *f;
            }
            if (const auto& v = std::get<0>(t)) {
                (std::string_view{key} == "valid_from" ? e.valid_from : e.valid_until) = *v;
            }
        }
        const auto& at = std::get<0>(at_field);
        auto exdates = string_list(j, "exdates");
        if (auto* f = std::get_if<Failure>(&exdates)) {
            return *f;
        }
        if (rrule || (e.recurrence && (at || j.contains("exdates") || j.contains("tz")))) {
            return read_recurrence(e, rrule, at, std::get<0>(exdates), zone);
        }
        if (!at) {
            return is_new ? std::optional<Failure>{Failure{
                                400,
                                "at: required (the start time, e.g. "
                                "2026-11-27T17:00:00+07:00), or rrule with at as DTSTART"}}
                          : std::nullopt;
        }
        auto start = parse_time(*at, zone);
        if (!start) {
            return Failure{400, fmt::format("at: {}", start.error().message)};
        }
        const auto now = clock.now();
        if (*start < now - kPastTolerance) {
            return Failure{400, fmt::format("at: {} is in the past (now is {})", format_utc(*start),
                                            format_utc(now))};
        }
        e.at = *start;
        e.recurrence.reset();
        return std::nullopt;
    }

    static std::optional<Failure> read_recurrence(ScheduleEntry& e,
                                                  const std::optional<std::string>& rrule,
                                                  const std::optional<std::string>& at,
                                                  const std::vector<std::string>& exdate_texts,
                                                  const std::string& zone) {
        const std::string rule = rrule ? *rrule : e.recurrence->rule();
        LocalDateTime start;
        if (at) {
            auto local = local_field(*at, zone);
            if (!local) {
                return Failure{400, fmt::format("at: {}", local.error().message)};
            }
            start = *local;
        } else if (e.recurrence) {
            start = e.recurrence->start();
        } else {
            return Failure{400, "at: required with rrule (the first occurrence, DTSTART)"};
        }
        std::vector<LocalDateTime> exdates;
        for (const auto& x : exdate_texts) {
            auto local = parse_local_date_time(x);
            if (!local) {
                return Failure{400, fmt::format("exdates: '{}': {}", x, local.error().message)};
            }
            exdates.push_back(*local);
        }
        auto r = Recurrence::create(rule, start, zone, std::move(exdates));
        if (!r) {
            return Failure{400, fmt::format("rrule: {}", r.error().message)};
        }
        e.recurrence = std::move(r).value();
        return std::nullopt;
    }

    void reply_change(httplib::Response& res, const Result<PlanChange>& change, int status) {
        if (!change) {
            const auto& m = change.error().message;
            const bool unknown =
                m.rfind("entry ", 0) == 0 && m.find("does not exist") != std::string::npos;
            return reply_error(res, {unknown ? 404 : 400, m});
        }
        reply(res, status, change_json(*change));
    }

    bool needs_approval(Role role) const {
        const auto& roles = options.auth_policy.approval_required_for;
        return std::find(roles.begin(), roles.end(), role) != roles.end();
    }

    // An entry guard: `check` decides, the audit row records the entry before and after.
    ChangeGuard entry_guard(std::optional<Status>& denial,
                            std::function<Status(const Authorizer&)> check, const User& user,
                            const httplib::Request& req, const char* action,
                            std::optional<json> before) {
        return guard(
            denial,
            [check = std::move(check)](const Authorizer& a, const PlanNetwork&) {
                return check(a);
            },
            user, req,
            [this, action, before = std::move(before)](
                SchedulerStore& st, const PlanChange& change) -> std::optional<AuditRecord> {
                const auto after = st.find_entry(change.entry_id);
                return AuditRecord{
                    {},
                    action,
                    "entry",
                    std::to_string(change.entry_id),
                    before ? std::optional<std::string>{dump(*before)} : std::nullopt,
                    after ? json_text(entry_json(*after)) : std::nullopt};
            });
    }

    // Bad input, not a denial: a target that names no known unit, station or zone's station.
    static Status known_targets(const ScheduleEntry& e, const PlanNetwork& n) {
        const auto station_known = [&](const std::string& id) {
            return std::any_of(n.stations.begin(), n.stations.end(),
                               [&](const Station& st) { return st.id == id; });
        };
        for (const auto& u : e.where.units) {
            if (n.units.find(u) == nullptr) {
                return Error{fmt::format("units: '{}' is not a known unit", u)};
            }
        }
        for (const auto& st : e.where.stations) {
            if (!station_known(st)) {
                return Error{fmt::format("stations: '{}' is not a registered station", st)};
            }
        }
        for (const auto& z : e.where.zones) {
            if (!station_known(z.station_id)) {
                return Error{fmt::format("zones: station '{}' is not registered", z.station_id)};
            }
        }
        return Status::success();
    }

    // The guard checks that the entry's targets exist before asking the authorizer.
    static void validate_targets_first(ChangeGuard& g, ScheduleEntry probe) {
        g.check = [probe = std::move(probe), inner = std::move(g.check)](const PlanNetwork& n) {
            if (auto s = known_targets(probe, n); !s) {
                return s;
            }
            return inner(n);
        };
    }

    void reply_guarded(httplib::Response& res, const Result<PlanChange>& change, int status,
                       const std::optional<Status>& denial) {
        if (denial) {
            return send(res, RequestAuth::forbidden(*denial));
        }
        reply_change(res, change, status);
    }

    void add_entry(const httplib::Request& req, httplib::Response& res, const User& user) {
        if (!allowed(user, Capability::plan, res)) {
            return;
        }
        auto body = parse_object(req.body, kEntryFields);
        if (auto* f = std::get_if<Failure>(&body)) {
            return reply_error(res, *f);
        }
        ScheduleEntry e;
        e.state = EntryState::approved;
        if (auto f = read_entry_fields(std::get<json>(body), e, true)) {
            return reply_error(res, *f);
        }
        if (needs_approval(user.role)) {
            e.state = EntryState::draft;
        }
        std::optional<Status> denial;
        auto g = entry_guard(
            denial,
            [&user, probe = e](const Authorizer& a) { return a.can_create_entry(user, probe); },
            user, req, "create", std::nullopt);
        validate_targets_first(g, e);
        auto change = planner.add_entry(std::move(e), user.name, g);
        if (change) {
            spdlog::info("api: entry {} added by {} ({} conflict(s), {} station(s) changed)",
                         change->entry_id, user.name, change->conflicts.size(),
                         change->changed_stations.size());
        }
        reply_guarded(res, change, 201, denial);
    }

    std::optional<std::int64_t> entry_id(const httplib::Request& req, httplib::Response& res) {
        const std::string text = req.matches[1];
        std::int64_t id = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
        if (ec != std::errc{} || end != text.data() + text.size() || id <= 0) {
            reply_error(res, {404, fmt::format("entry '{}' does not exist", text)});
            return std::nullopt;
        }
        return id;
    }

    // The stored entry named by the path, or nullopt once a 404 was sent.
    std::optional<StoredEntry> path_entry(const httplib::Request& req, httplib::Response& res) {
        const auto id = entry_id(req, res);
        if (!id) {
            return std::nullopt;
        }
        auto stored = planner.entry(*id);
        if (!stored) {
            reply_error(res, {404, fmt::format("entry {} does not exist", *id)});
        }
        return stored;
    }

    // The entry's author as a user (nullopt: made before users existed, or by the system).
    std::optional<User> author_of(const StoredEntry& stored) {
        if (stored.created_by.empty()) {
            return std::nullopt;
        }
        std::lock_guard lock{store_mutex};
        return auth_store.find_user(stored.created_by);
    }

    // May `user` approve `entry`: the author's approver, or, without a known author, one who may
    // plan the entry.
    static Status can_approve(const Authorizer& a, const User& user, const ScheduleEntry& entry,
                              const std::optional<User>& author) {
        return author ? a.can_approve_entry(user, entry, *author)
                      : a.can_edit_entry(user, entry, entry);
    }

    void edit_entry(const httplib::Request& req, httplib::Response& res, const User& user) {
        if (!allowed(user, Capability::plan, res)) {
            return;
        }
        auto stored = path_entry(req, res);
        if (!stored) {
            return;
        }
        auto body = parse_object(req.body, kEntryFields);
        if (auto* f = std::get_if<Failure>(&body)) {
            return reply_error(res, *f);
        }
        const ScheduleEntry before = stored->entry;
        ScheduleEntry e = stored->entry;
        if (auto f = read_entry_fields(std::get<json>(body), e, false)) {
            return reply_error(res, *f);
        }
        if (needs_approval(user.role) && e.state == EntryState::approved) {
            e.state = EntryState::draft;
        }
        const auto author = author_of(*stored);
        std::optional<Status> denial;
        auto g = entry_guard(
            denial,
            [&user, &before, &author, probe = e](const Authorizer& a) -> Status {
                if (auto s = a.can_edit_entry(user, before, probe); !s) {
                    return s;
                }
                if (probe.state == EntryState::approved && before.state != EntryState::approved) {
                    return can_approve(a, user, probe, author);
                }
                if (probe.state == EntryState::retired && before.state != EntryState::retired) {
                    return a.can_retire_entry(user, before);
                }
                return Status::success();
            },
            user, req, "update", entry_json(*stored));
        validate_targets_first(g, e);
        reply_guarded(res, planner.edit_entry(std::move(e), g), 200, denial);
    }

    void approve_entry(const httplib::Request& req, httplib::Response& res, const User& user) {
        if (!allowed(user, Capability::plan, res)) {
            return;
        }
        auto stored = path_entry(req, res);
        if (!stored) {
            return;
        }
        const auto author = author_of(*stored);
        std::optional<Status> denial;
        const auto g = entry_guard(
            denial,
            [&user, &author, entry = stored->entry](const Authorizer& a) {
                return can_approve(a, user, entry, author);
            },
            user, req, "approve", entry_json(*stored));
        reply_guarded(res, planner.set_state(stored->entry.id, EntryState::approved, g), 200,
                      denial);
    }

    void retire_entry(const httplib::Request& req, httplib::Response& res, const User& user) {
        if (!allowed(user, Capability::plan, res)) {
            return;
        }
        auto stored = path_entry(req, res);
        if (!stored) {
            return;
        }
        std::optional<Status> denial;
        const auto g = entry_guard(
            denial,
            [&user, entry = stored->entry](const Authorizer& a) {
                return a.can_retire_entry(user, entry);
            },
            user, req, "retire", entry_json(*stored));
        reply_guarded(res, planner.set_state(stored->entry.id, EntryState::retired, g), 200,
                      denial);
    }

    // Which entries the user may see, made once per request.
    std::function<bool(const ScheduleEntry&)> entry_filter(const User& user) {
        if (user.has_global_scope()) {
            return [](const ScheduleEntry&) { return true; };
        }
        // The network is copied: an Authorizer refers to it after the lock is released.
        auto units = std::make_shared<AdminUnitTree>();
        auto stations = std::make_shared<std::vector<Station>>();
        planner.with_network([&](const PlanNetwork& n) {
            *units = n.units;
            stations->assign(n.stations.begin(), n.stations.end());
        });
        auto authorizer = std::make_shared<Authorizer>(*units, *stations, options.auth_policy);
        return [units, stations, authorizer, user](const ScheduleEntry& e) {
            return authorizer->sees_entry(user, e);
        };
    }

    void list_entries(const httplib::Request&, httplib::Response& res, const User& user) {
        const auto visible = entry_filter(user);
        json out = json::array();
        for (const auto& e : planner.entries()) {
            if (visible(e.entry)) {
                out.push_back(entry_json(e));
            }
        }
        reply(res, 200, out);
    }

    void check_schedule(const httplib::Request& req, httplib::Response& res, const User& user) {
        const std::string station = req.has_param("station") ? req.get_param_value("station") : "";
        const std::string unit = req.has_param("unit") ? req.get_param_value("unit") : "";
        if (!unit.empty() && !planner.units(unit)) {
            return reply_error(res, {404, fmt::format("unit: '{}' is not a known unit", unit)});
        }
        if (!station.empty()) {
            std::lock_guard lock{store_mutex};
            if (!store.find_station(station)) {
                return reply_error(res,
                                   {404, fmt::format("station: '{}' is not registered", station)});
            }
        }
        const auto visible = station_filter(user);
        json out = json::array();
        for (const auto& c : planner.conflicts(station, unit)) {
            if (visible(c.station_id)) {
                out.push_back(conflict_json(c));
            }
        }
        reply(res, 200, out);
    }

    void readiness(const httplib::Request& req, httplib::Response& res, const User& user) {
        int hours = 24;
        if (req.has_param("hours")) {
            const std::string text = req.get_param_value("hours");
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), hours);
            if (ec != std::errc{} || end != text.data() + text.size() || hours < 1 || hours > 744) {
                return reply_error(
                    res, {400, fmt::format("hours: '{}' is not a number from 1 to 744", text)});
            }
        }
        const auto visible = entry_filter(user);
        std::set<std::int64_t> seen;
        for (const auto& e : planner.entries()) {
            if (visible(e.entry)) {
                seen.insert(e.entry.id);
            }
        }
        json out = json::array();
        for (const auto& r : planner.readiness(std::chrono::hours{hours})) {
            if (seen.count(r.entry_id) == 0) {
                continue;
            }
            out.push_back(json{{"entry_id", r.entry_id},
                               {"occurrence", format_utc(r.occurrence)},
                               {"start", format_utc(r.start)},
                               {"title", r.title},
                               {"priority", priority_class_name(r.priority)},
                               {"stations", r.stations},
                               {"ready", r.ready},
                               {"not_ready", r.not_ready}});
        }
        reply(res, 200, out);
    }

    // --- bulletins (TT 39/2020)

    void bulletin_routes() {
        server.Post("/api/v1/bulletins", authed(&Impl::send_bulletin));
        server.Get("/api/v1/bulletins", authed(&Impl::list_bulletins));
        server.Get(R"(/api/v1/bulletins/([0-9]+))", authed(&Impl::get_bulletin));
        server.Get(R"(/api/v1/stations/([^/]+)/inbox)", authed(&Impl::station_inbox));
        server.Post(R"(/api/v1/bulletins/([0-9]+)/deliveries/([^/]+)/schedule)",
                    authed(&Impl::schedule_delivery));
        server.Post(R"(/api/v1/bulletins/([0-9]+)/deliveries/([^/]+)/decline)",
                    authed(&Impl::decline_delivery));
    }

    static json delivery_json(const Delivery& d) {
        return json{{"bulletin_id", d.bulletin_id},
                    {"station", d.station_id},
                    {"state", delivery_state_name(d.state)},
                    {"air_at", d.air_at ? json(format_utc(*d.air_at)) : json(nullptr)},
                    {"entry_id", d.entry_id != 0 ? json(d.entry_id) : json(nullptr)},
                    {"decided_by", d.decided_by.empty() ? json(nullptr) : json(d.decided_by)},
                    {"decided_at", d.decided_at ? json(format_utc(*d.decided_at)) : json(nullptr)},
                    {"note", d.note}};
    }

    static json bulletin_json(const Bulletin& b) {
        return json{{"id", b.id},
                    {"kind", bulletin_kind_name(b.kind)},
                    {"title", b.title},
                    {"asset_id", b.asset_id},
                    {"duration_ms",
                     std::chrono::duration_cast<std::chrono::milliseconds>(b.duration).count()},
                    {"from_unit", b.from_unit},
                    {"priority", priority_class_name(b.priority)},
                    {"created_by", b.created_by},
                    {"created_at", format_utc(b.created_at)}};
    }

    // The bulletin with the count of its deliveries per state and, when asked, the deliveries
    // the user may see.
    static json bulletin_view_json(const BulletinView& v,
                                   const std::function<bool(const std::string&)>& visible,
                                   bool with_deliveries) {
        json j = bulletin_json(v.bulletin);
        json counts{{"pending", 0}, {"scheduled", 0}, {"declined", 0}};
        json deliveries = json::array();
        for (const auto& d : v.deliveries) {
            if (!visible(d.station_id)) {
                continue;
            }
            auto& n = counts[std::string{delivery_state_name(d.state)}];
            n = n.get<int>() + 1;
            if (with_deliveries) {
                deliveries.push_back(delivery_json(d));
            }
        }
        j["counts"] = counts;
        if (with_deliveries) {
            j["deliveries"] = deliveries;
        }
        return j;
    }

    // A bulletin is visible to those in whose scope it was sent or who see one of its stations.
    bool sees_bulletin(const User& user, const BulletinView& v,
                       const std::function<bool(const std::string&)>& visible) {
        if (user.has_global_scope()) {
            return true;
        }
        if (std::any_of(v.deliveries.begin(), v.deliveries.end(),
                        [&](const Delivery& d) { return visible(d.station_id); })) {
            return true;
        }
        bool within = false;
        planner.with_network(
            [&](const PlanNetwork& n) { within = in_scope(user, n.units, v.bulletin.from_unit); });
        return within;
    }

    void send_bulletin(const httplib::Request& req, httplib::Response& res, const User& user) {
        if (user.role != Role::admin && user.role != Role::district_operator) {
            return send(res, RequestAuth::forbidden(Error{fmt::format(
                                 "{} cannot send bulletins: only an admin or a district "
                                 "operator sends bulletins down to the communes",
                                 who(user))}));
        }
        auto body = parse_object(req.body, {"kind", "title", "asset_id", "units"});
        if (auto* f = std::get_if<Failure>(&body)) {
            return reply_error(res, *f);
        }
        const json& j = std::get<json>(body);
        auto kind = string_field(j, "kind");
        auto title = string_field(j, "title");
        auto asset = string_field(j, "asset_id");
        auto units = string_list(j, "units");
        for (auto* field : {&kind, &title, &asset}) {
            if (auto* f = std::get_if<Failure>(field)) {
                return reply_error(res, *f);
            }
        }
        if (auto* f = std::get_if<Failure>(&units)) {
            return reply_error(res, *f);
        }
        const auto parsed_kind = parse_bulletin_kind(std::get<0>(kind).value_or("normal"));
        if (!parsed_kind) {
            return reply_error(res, {400, fmt::format("kind: '{}' is not normal, priority or "
                                                      "emergency",
                                                      *std::get<0>(kind))});
        }
        const auto& title_value = std::get<0>(title);
        if (!title_value || !valid_name(*title_value)) {
            return reply_error(res, {400, fmt::format("title: required, 1-{} characters without "
                                                      "control characters",
                                                      kMaxNameLength)});
        }
        if (!std::get<0>(asset)) {
            return reply_error(res, {400, "asset_id: required (what airs)"});
        }
        const auto& unit_codes = std::get<0>(units);
        if (unit_codes.empty()) {
            return reply_error(res, {400, "units: required, the units whose communes receive it"});
        }
        if (*parsed_kind == BulletinKind::emergency && user.role != Role::admin) {
            return send(res, RequestAuth::forbidden(Error{fmt::format(
                                 "{} cannot send an emergency bulletin: the emergency class is "
                                 "the province's (admin)",
                                 who(user))}));
        }
        NewBulletin b;
        b.kind = *parsed_kind;
        b.title = *title_value;
        b.asset_id = *std::get<0>(asset);
        b.created_by = user.name;
        b.priority = user.role == Role::admin ? wire::PROVINCE : wire::DISTRICT;
        b.from_unit = user.scope;
        if (b.from_unit.empty()) {
            planner.with_network([&](const PlanNetwork& n) {
                for (const auto& u : n.units.units()) {
                    if (u.parent_code.empty()) {
                        b.from_unit = u.code;
                        break;
                    }
                }
            });
        }
        std::optional<Status> denial;
        const auto g = guard(
            denial,
            [&](const Authorizer& a, const PlanNetwork& n) -> Status {
                if (auto s = a.can(user, Capability::plan); !s) {
                    return s;
                }
                for (const auto& u : unit_codes) {
                    if (n.units.find(u) != nullptr && !in_scope(user, n.units, u)) {
                        return Error{
                            fmt::format("{} cannot send a bulletin to unit {}, which is "
                                        "outside its scope",
                                        who(user), u)};
                    }
                }
                return Status::success();
            },
            user, req,
            [this](SchedulerStore& st, const PlanChange&) -> std::optional<AuditRecord> {
                BulletinInbox inbox{st.database(), clock};
                const auto sent = inbox.list(1);
                if (sent.empty()) {
                    return std::nullopt;
                }
                json after = bulletin_json(sent.front());
                json deliveries = json::array();
                for (const auto& d : inbox.deliveries_of(sent.front().id)) {
                    deliveries.push_back(delivery_json(d));
                }
                after["deliveries"] = deliveries;
                return AuditRecord{{},           "create",
                                   "bulletin",   std::to_string(sent.front().id),
                                   std::nullopt, dump(after)};
            });
        auto sent = planner.send_bulletin(std::move(b), unit_codes, options.emergency_delay, g);
        if (denial) {
            return send(res, RequestAuth::forbidden(*denial));
        }
        if (!sent) {
            return reply_error(res, {400, sent.error().message});
        }
        spdlog::info("api: {} bulletin {} '{}' sent by {} to {} station(s)",
                     bulletin_kind_name(sent->bulletin.kind), sent->bulletin.id,
                     sent->bulletin.title, user.name, sent->deliveries.size());
        json answer = bulletin_view_json(
            BulletinView{sent->bulletin, sent->deliveries}, [](const std::string&) { return true; },
            true);
        answer["changed_stations"] = sent->changed_stations;
        reply(res, 201, answer);
    }

    void list_bulletins(const httplib::Request&, httplib::Response& res, const User& user) {
        const auto visible = station_filter(user);
        json out = json::array();
        for (const auto& v : planner.bulletins(1000)) {
            if (sees_bulletin(user, v, visible)) {
                out.push_back(bulletin_view_json(v, visible, false));
            }
        }
        reply(res, 200, out);
    }

    void get_bulletin(const httplib::Request& req, httplib::Response& res, const User& user) {
        const std::string text = req.matches[1];
        const auto v = planner.bulletin(std::stoll(text));
        if (!v) {
            return reply_error(res, {404, fmt::format("bulletin {} does not exist", text)});
        }
        const auto visible = station_filter(user);
        if (!sees_bulletin(user, *v, visible)) {
            return send(res, RequestAuth::forbidden(Error{fmt::format(
                                 "{} cannot see bulletin {}: none of its stations is within its "
                                 "scope",
                                 who(user), text)}));
        }
        reply(res, 200, bulletin_view_json(*v, visible, true));
    }

    void station_inbox(const httplib::Request& req, httplib::Response& res, const User& user) {
        const std::string id = req.matches[1];
        {
            std::lock_guard lock{store_mutex};
            if (!store.find_station(id)) {
                return reply_error(res, {404, fmt::format("station '{}' is not registered", id)});
            }
        }
        if (auto seen = can_see_station(user, id); !seen) {
            return send(res, RequestAuth::forbidden(seen));
        }
        const bool pending = req.has_param("pending") && req.get_param_value("pending") != "0";
        json out = json::array();
        for (const auto& d : planner.inbox(id, pending)) {
            json j = delivery_json(d);
            if (const auto v = planner.bulletin(d.bulletin_id)) {
                j["bulletin"] = bulletin_json(v->bulletin);
            }
            out.push_back(j);
        }
        reply(res, 200, out);
    }

    // A guard for a decision on one delivery: the user plans, and the station lies in its scope
    // (its commune's operator, or a wider scope); the audit row holds the delivery before and
    // after.
    ChangeGuard delivery_guard(std::optional<Status>& denial, const User& user,
                               const httplib::Request& req, const char* action,
                               std::int64_t bulletin_id, const std::string& station_id) {
        std::optional<json> before;
        if (const auto d = planner.delivery(bulletin_id, station_id)) {
            before = delivery_json(*d);
        }
        return guard(
            denial,
            [&user, station_id](const Authorizer& a, const PlanNetwork& n) -> Status {
                if (auto s = a.can(user, Capability::plan); !s) {
                    return s;
                }
                const auto it =
                    std::find_if(n.stations.begin(), n.stations.end(),
                                 [&](const Station& st) { return st.id == station_id; });
                if (it == n.stations.end() || !in_scope(user, n.units, it->unit_code)) {
                    return Error{
                        fmt::format("{} cannot decide for station {}, which is outside "
                                    "its scope",
                                    who(user), station_id)};
                }
                return Status::success();
            },
            user, req,
            [this, action, before, bulletin_id, station_id](
                SchedulerStore& st, const PlanChange&) -> std::optional<AuditRecord> {
                BulletinInbox inbox{st.database(), clock};
                const auto after = inbox.delivery(bulletin_id, station_id);
                return AuditRecord{
                    {},
                    action,
                    "delivery",
                    fmt::format("{}/{}", bulletin_id, station_id),
                    before ? std::optional<std::string>{dump(*before)} : std::nullopt,
                    after ? json_text(delivery_json(*after)) : std::nullopt};
            });
    }

    void reply_delivery(httplib::Response& res, const Result<PlanChange>& change,
                        const std::optional<Status>& denial, std::int64_t bulletin_id,
                        const std::string& station_id) {
        if (denial) {
            return send(res, RequestAuth::forbidden(*denial));
        }
        if (!change) {
            const auto& m = change.error().message;
            const bool unknown = m.find("does not exist") != std::string::npos ||
                                 m.find("was not sent") != std::string::npos;
            const bool declined = m.find("declined") != std::string::npos;
            return reply_error(res, {unknown ? 404 : declined ? 409 : 400, m});
        }
        json j = json::object();
        if (const auto d = planner.delivery(bulletin_id, station_id)) {
            j = delivery_json(*d);
        }
        j["changed_stations"] = change->changed_stations;
        reply(res, 200, j);
    }

    void schedule_delivery(const httplib::Request& req, httplib::Response& res, const User& user) {
        const std::int64_t bulletin_id = std::stoll(std::string{req.matches[1]});
        const std::string station_id = req.matches[2];
        auto body = parse_object(req.body, {"at"});
        if (auto* f = std::get_if<Failure>(&body)) {
            return reply_error(res, *f);
        }
        auto at = time_field(std::get<json>(body), "at", options.time_zone);
        if (auto* f = std::get_if<Failure>(&at)) {
            return reply_error(res, *f);
        }
        const auto& when = std::get<0>(at);
        if (!when) {
            return reply_error(res, {400, "at: required (when the bulletin airs at this station)"});
        }
        const auto now = clock.now();
        if (*when < now - kPastTolerance) {
            return reply_error(res, {400, fmt::format("at: {} is in the past (now is {})",
                                                      format_utc(*when), format_utc(now))});
        }
        std::optional<Status> denial;
        const auto g = delivery_guard(denial, user, req, "schedule", bulletin_id, station_id);
        const auto change = planner.schedule_delivery(bulletin_id, station_id, *when, user.name, g);
        reply_delivery(res, change, denial, bulletin_id, station_id);
    }

    void decline_delivery(const httplib::Request& req, httplib::Response& res, const User& user) {
        const std::int64_t bulletin_id = std::stoll(std::string{req.matches[1]});
        const std::string station_id = req.matches[2];
        auto body = parse_object(req.body, {"note"});
        if (auto* f = std::get_if<Failure>(&body)) {
            return reply_error(res, *f);
        }
        auto note = string_field(std::get<json>(body), "note");
        if (auto* f = std::get_if<Failure>(&note)) {
            return reply_error(res, *f);
        }
        const auto& text = std::get<0>(note);
        if (!text || !valid_name(*text)) {
            return reply_error(res, {400, fmt::format("note: required, why it will not air (1-{} "
                                                      "characters without control characters)",
                                                      kMaxNameLength)});
        }
        std::optional<Status> denial;
        const auto g = delivery_guard(denial, user, req, "decline", bulletin_id, station_id);
        const auto change = planner.decline_delivery(bulletin_id, station_id, user.name, *text, g);
        reply_delivery(res, change, denial, bulletin_id, station_id);
    }

    void list_as_run(const httplib::Request& req, httplib::Response& res, const User& user) {
        std::size_t limit = kDefaultAsRunLimit;
        if (req.has_param("limit")) {
            const std::string text = req.get_param_value("limit");
            std::size_t value = 0;
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
            if (text.empty() || ec != std::errc{} || end != text.data() + text.size() ||
                value == 0 || value > kMaxAsRunLimit) {
                return reply_error(res, {400, fmt::format("limit: '{}' is not a number from 1 "
                                                          "to {}",
                                                          text, kMaxAsRunLimit)});
            }
            limit = value;
        }
        const std::string station = req.has_param("station") ? req.get_param_value("station") : "";
        const auto visible = station_filter(user);
        json out = json::array();
        std::lock_guard lock{store_mutex};
        if (!station.empty() && !store.find_station(station)) {
            return reply_error(res, {404, fmt::format("station: '{}' is not registered", station)});
        }
        if (!station.empty() && !visible(station)) {
            return send(
                res,
                RequestAuth::forbidden(Error{fmt::format(
                    "{} cannot see station {}, which is outside its scope", who(user), station)}));
        }
        // Newest first over every visible station: read more when some are filtered out.
        const std::size_t wanted =
            station.empty() && !user.has_global_scope() ? kMaxAsRunLimit : limit;
        for (const auto& r : store.list_as_run(station, wanted)) {
            if (out.size() < limit && visible(r.station_id)) {
                out.push_back(record_json(r));
            }
        }
        reply(res, 200, out);
    }
};

HttpApi::HttpApi(HttpApiOptions options, const SchedulerKeys& keys, const AssetLibrary& assets,
                 ILinkEvents& link, Planner& planner, const IClock& clock)
    : impl_{std::make_unique<Impl>(std::move(options), keys, assets, link, planner, clock)} {}

HttpApi::~HttpApi() {
    stop();
}

int HttpApi::port() const {
    return impl_->address.port;
}

std::string HttpApi::url() const {
    return "http://" + impl_->address.to_string();
}

void HttpApi::start() {
    if (impl_->thread.joinable()) {
        return;
    }
    impl_->thread = std::thread{[impl = impl_.get()] {
        pthread_setname_np(pthread_self(), "loa-api");
        if (!impl->server.listen_after_bind()) {
            spdlog::debug("api: listening loop ended");
        }
        std::lock_guard lock{impl->listen_mutex};
        impl->listen_done = true;
        impl->listen_done_cv.notify_all();
    }};
}

void HttpApi::stop() {
    if (!impl_->thread.joinable()) {
        return;
    }
    {
        // httplib's stop() does nothing until its loop has started: repeat until it ended.
        std::unique_lock lock{impl_->listen_mutex};
        while (!impl_->listen_done) {
            impl_->server.stop();
            impl_->listen_done_cv.wait_for(lock, std::chrono::milliseconds{20});
        }
    }
    impl_->thread.join();
}

}  // namespace loa::scheduler
