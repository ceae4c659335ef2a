#include "http_monitoring_routes.hpp"

#include "loa/common/time_format.hpp"
#include "loa/monitoring/compliance_csv.hpp"
#include "loa/scheduler/authorizer.hpp"
#include "loa/scheduler/link_server.hpp"
#include "loa/scheduler/planner.hpp"
#include "loa/scheduler/request_auth.hpp"

#include <httplib.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <charconv>
#include <memory>
#include <set>

namespace loa::scheduler {

using nlohmann::json;

namespace {

constexpr std::size_t kDefaultEventLimit = 200;
constexpr std::size_t kMaxEventLimit = 10000;
constexpr auto kMaxCompliancePeriod = std::chrono::hours{24 * 366};

void reply(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void reply_error(httplib::Response& res, int status, const std::string& message) {
    reply(res, status, json{{"error", message}});
}

void send(httplib::Response& res, const HttpAnswer& answer) {
    res.status = answer.status;
    res.set_content(answer.body, "application/json");
}

std::string param(const httplib::Request& req, const char* key) {
    return req.has_param(key) ? req.get_param_value(key) : std::string{};
}

bool flag(const httplib::Request& req, const char* key) {
    const auto v = param(req, key);
    return v == "1" || v == "true" || v == "yes";
}

// "2026-11-27" (a local date) as YYYY-MM-DD, or nullopt.
bool is_date(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
        return false;
    }
    for (const std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
        if (text[i] < '0' || text[i] > '9') {
            return false;
        }
    }
    return true;
}

}  // namespace

// What one request may see: a predicate over stations and one over units.
struct HttpMonitoringRoutes::Scope {
    User user;
    MonitoringService::StationFilter station;
    MonitoringService::UnitFilter unit;
};

HttpMonitoringRoutes::HttpMonitoringRoutes(httplib::Server& server, MonitoringRouteContext context)
    : context_{std::move(context)},
      service_{context_.options.database,
               context_.options.monitoring,
               context_.options.heartbeat_interval,
               context_.options.time_zone,
               context_.planner,
               context_.clock} {
    server.Get("/api/v1/status", [this](const auto& req, auto& res) { status(req, res); });
    server.Get(R"(/api/v1/stations/([^/]+)/events)",
               [this](const auto& req, auto& res) { events(req, res); });
    server.Post("/api/v1/coverage/clusters",
                [this](const auto& req, auto& res) { import(req, res, true); });
    server.Post("/api/v1/coverage/hamlets",
                [this](const auto& req, auto& res) { import(req, res, false); });
    server.Post("/api/v1/coverage/snapshot",
                [this](const auto& req, auto& res) { snapshot(req, res); });
    server.Get("/api/v1/coverage", [this](const auto& req, auto& res) { coverage(req, res); });
    server.Get("/api/v1/compliance", [this](const auto& req, auto& res) { compliance(req, res); });
    server.Get("/api/v1/alarms", [this](const auto& req, auto& res) { alarms(req, res); });
    server.Get("/metrics", [this](const auto& req, auto& res) { metrics(req, res); });
    service_.start();
}

HttpMonitoringRoutes::~HttpMonitoringRoutes() {
    service_.stop();
}

std::optional<HttpMonitoringRoutes::Scope> HttpMonitoringRoutes::scope(const httplib::Request& req,
                                                                       httplib::Response& res,
                                                                       Capability capability) {
    auto user = context_.authenticate(req, res);
    if (!user) {
        return std::nullopt;
    }
    Scope s{*user, {}, {}};
    std::optional<Status> denied;
    auto stations = std::make_shared<std::set<std::string>>();
    auto units = std::make_shared<std::set<std::string>>();
    context_.planner.with_network([&](const PlanNetwork& n) {
        const Authorizer authorizer{n.units, n.stations, context_.options.auth_policy};
        if (auto ok = authorizer.can(*user, capability); !ok) {
            denied = ok;
            return;
        }
        if (user->has_global_scope()) {
            return;
        }
        for (const auto& st : n.stations) {
            if (authorizer.can_see_station(*user, st.id)) {
                stations->insert(st.id);
            }
        }
        for (const auto& u : n.units.units()) {
            if (authorizer.can_see_unit(*user, u.code)) {
                units->insert(u.code);
            }
        }
    });
    if (denied) {
        send(res, RequestAuth::forbidden(*denied));
        return std::nullopt;
    }
    if (user->has_global_scope()) {
        s.station = [](const std::string&) { return true; };
        s.unit = [](const std::string&) { return true; };
    } else {
        s.station = [stations](const std::string& id) { return stations->count(id) != 0; };
        s.unit = [units](const std::string& code) { return units->count(code) != 0; };
    }
    return s;
}

// Checks ?unit=CODE: known and visible. False once the error was sent.
static bool check_unit(MonitoringService& service, const std::string& unit,
                       const MonitoringService::UnitFilter& visible, httplib::Response& res) {
    if (unit.empty()) {
        return true;
    }
    bool known = false;
    for (const auto& u : service.units()) {
        known = known || u.code == unit;
    }
    if (!known) {
        reply_error(res, 404, fmt::format("unit: '{}' is not a known unit", unit));
        return false;
    }
    if (!visible(unit)) {
        reply_error(res, 403, fmt::format("unit {} is outside your scope", unit));
        return false;
    }
    return true;
}

void HttpMonitoringRoutes::status(const httplib::Request& req, httplib::Response& res) {
    const auto s = scope(req, res, Capability::read);
    if (!s) {
        return;
    }
    const auto unit = param(req, "unit");
    if (!check_unit(service_, unit, s->unit, res)) {
        return;
    }
    reply(res, 200, service_.status(s->station, s->unit, unit));
}

void HttpMonitoringRoutes::events(const httplib::Request& req, httplib::Response& res) {
    const auto s = scope(req, res, Capability::read);
    if (!s) {
        return;
    }
    const std::string id = req.matches[1];
    if (!service_.station_exists(id)) {
        return reply_error(res, 404, fmt::format("station '{}' is not registered", id));
    }
    if (!s->station(id)) {
        return reply_error(res, 403, fmt::format("station {} is outside your scope", id));
    }
    const auto now = context_.clock.now();
    TimePoint from = now - std::chrono::hours{24 * 7};
    TimePoint to = now + std::chrono::hours{1};
    for (const auto& [key, target] : {std::pair{"from", &from}, std::pair{"to", &to}}) {
        if (const auto text = param(req, key); !text.empty()) {
            auto t = parse_time(text, context_.options.time_zone);
            if (!t) {
                return reply_error(
                    res, 400,
                    fmt::format("{}: '{}' is not a time ({})", key, text, t.error().message));
            }
            *target = *t;
        }
    }
    std::size_t limit = kDefaultEventLimit;
    if (const auto text = param(req, "limit"); !text.empty()) {
        std::size_t value = 0;
        const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc{} || p != text.data() + text.size() || value == 0 ||
            value > kMaxEventLimit) {
            return reply_error(
                res, 400,
                fmt::format("limit: '{}' is not a number from 1 to {}", text, kMaxEventLimit));
        }
        limit = value;
    }
    reply(res, 200, service_.events(id, from, to, limit));
}

void HttpMonitoringRoutes::import(const httplib::Request& req, httplib::Response& res,
                                  bool clusters) {
    const auto s = scope(req, res, Capability::manage_stations);
    if (!s) {
        return;
    }
    if (req.body.empty()) {
        return reply_error(res, 400,
                           clusters ? "body: empty (send the cluster CSV or GeoJSON)"
                                    : "body: empty (send the hamlet CSV or GeoJSON)");
    }
    auto outcome =
        clusters ? service_.import_clusters(req.body) : service_.import_hamlets(req.body);
    if (auto* failure = std::get_if<MonitoringService::ImportFailure>(&outcome)) {
        std::string message = failure->message + ":";
        for (const auto& line : failure->errors) {
            message += "\n" + line;
        }
        return reply(res, 400, json{{"error", message}, {"errors", failure->errors}});
    }
    reply(res, 200, std::get<json>(outcome));
}

void HttpMonitoringRoutes::coverage(const httplib::Request& req, httplib::Response& res) {
    const auto s = scope(req, res, Capability::read);
    if (!s) {
        return;
    }
    const auto unit = param(req, "unit");
    if (!check_unit(service_, unit, s->unit, res)) {
        return;
    }
    auto answer = service_.coverage(s->unit, unit, flag(req, "history"));
    if (!answer) {
        return reply_error(res, 409, answer.error().message);
    }
    reply(res, 200, *answer);
}

void HttpMonitoringRoutes::snapshot(const httplib::Request& req, httplib::Response& res) {
    const auto s = scope(req, res, Capability::manage_stations);
    if (!s) {
        return;
    }
    auto taken = service_.take_snapshot();
    if (!taken) {
        return reply_error(res, 409, taken.error().message);
    }
    reply(res, 200, json{{"units", *taken}});
}

void HttpMonitoringRoutes::compliance(const httplib::Request& req, httplib::Response& res) {
    const auto s = scope(req, res, Capability::read);
    if (!s) {
        return;
    }
    const auto from_text = param(req, "from");
    const auto to_text = param(req, "to");
    if (!is_date(from_text)) {
        return reply_error(res, 400,
                           fmt::format("from: '{}' is not a date (YYYY-MM-DD, local)", from_text));
    }
    if (!is_date(to_text)) {
        return reply_error(res, 400,
                           fmt::format("to: '{}' is not a date (YYYY-MM-DD, local)", to_text));
    }
    const auto& zone = context_.options.time_zone;
    auto from = parse_time(from_text + "T00:00:00", zone);
    auto to_day = parse_time(to_text + "T00:00:00", zone);
    if (!from || !to_day) {
        return reply_error(
            res, 400, fmt::format("from/to: not a calendar date ({} .. {})", from_text, to_text));
    }
    // The end of the `to` day: midnight after it (a day is 24 h in Vietnam, no DST).
    const auto to = *to_day + std::chrono::hours{24};
    if (*from >= to) {
        return reply_error(res, 400, fmt::format("to: {} is before from: {}", to_text, from_text));
    }
    if (to - *from > kMaxCompliancePeriod) {
        return reply_error(res, 400, "from/to: the period is longer than 366 days");
    }
    const auto unit = param(req, "unit");
    if (!check_unit(service_, unit, s->unit, res)) {
        return;
    }
    const auto format = param(req, "format");
    if (!format.empty() && format != "json" && format != "csv" && format != "html") {
        return reply_error(res, 400, fmt::format("format: '{}' is not json, csv or html", format));
    }
    auto result = service_.compliance(s->station, unit, *from, to);
    if (format == "csv") {
        res.status = 200;
        res.set_header(
            "Content-Disposition",
            fmt::format("attachment; filename=\"compliance-{}-{}.csv\"", from_text, to_text));
        res.set_content(monitoring::compliance_csv(result.items, monitoring::Language::vi, zone),
                        "text/csv; charset=utf-8");
        return;
    }
    if (format == "html") {
        const int year = std::stoi(from_text.substr(0, 4));
        const int month = std::stoi(from_text.substr(5, 2));
        res.status = 200;
        res.set_content(service_.monthly_html(result.items, s->unit, year, month),
                        "text/html; charset=utf-8");
        return;
    }
    reply(res, 200, result.json);
}

void HttpMonitoringRoutes::alarms(const httplib::Request& req, httplib::Response& res) {
    const auto s = scope(req, res, Capability::read);
    if (!s) {
        return;
    }
    reply(res, 200, service_.alarms(s->station, s->unit));
}

void HttpMonitoringRoutes::metrics(const httplib::Request& req, httplib::Response& res) {
    if (context_.options.monitoring.metrics_require_token && !scope(req, res, Capability::read)) {
        return;
    }
    std::string link;
    if (const auto* server = dynamic_cast<const LinkServer*>(&context_.link)) {
        const auto counter = [&](const char* name, const char* help, std::uint64_t value) {
            link += fmt::format("# HELP {} {}\n# TYPE {} counter\n{} {}\n", name, help, name, name,
                                value);
        };
        counter("loa_link_timelines_sent_total", "Whole timelines sent to agents.",
                server->timelines_sent());
        counter("loa_link_deltas_sent_total", "Timeline deltas sent to agents.",
                server->deltas_sent());
        counter("loa_link_refusals_total", "Messages answered with a Refusal.", server->refusals());
        counter("loa_link_connections_refused_total", "Connections refused by ZAP.",
                server->connections_refused());
        counter("loa_link_time_requests_total", "Clock exchanges answered.",
                server->time_requests_answered());
        counter("loa_link_station_events_total", "Station events stored.",
                server->station_events_stored());
        link +=
            "# HELP loa_link_bytes_sent_total Bytes of the messages sent to agents, by kind.\n"
            "# TYPE loa_link_bytes_sent_total counter\n";
        for (std::size_t i = 0; i < kLinkTrafficKinds; ++i) {
            const auto kind = static_cast<LinkTraffic>(i);
            link += fmt::format("loa_link_bytes_sent_total{{kind=\"{}\"}} {}\n",
                                link_traffic_name(kind), server->bytes_sent(kind));
        }
        counter("loa_link_bytes_received_total", "Bytes of the messages received from agents.",
                server->bytes_received());
    }
    res.status = 200;
    res.set_content(service_.metrics(link), "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace loa::scheduler
