#include "http_live_routes.hpp"

#include "loa/common/time_format.hpp"
#include "loa/protocol/envelope.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

namespace loa::scheduler {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxTitleBytes = 200;
constexpr std::size_t kMaxSourceBytes = 4096;

void reply(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void reply_error(httplib::Response& res, int status, const std::string& message) {
    reply(res, status, json{{"error", message}});
}

std::optional<std::vector<std::string>> strings_of(const json& j, const char* key) {
    std::vector<std::string> out;
    if (!j.contains(key)) {
        return out;
    }
    if (!j[key].is_array()) {
        return std::nullopt;
    }
    for (const auto& v : j[key]) {
        if (!v.is_string()) {
            return std::nullopt;
        }
        out.push_back(v.get<std::string>());
    }
    return out;
}

json info_json(const LiveSessionInfo& s) {
    json j{{"id", s.id},
           {"state", s.state},
           {"title", s.title},
           {"source", s.source},
           {"stations", s.stations},
           {"delay_ms", s.delay.count()},
           {"class", protocol::priority_name(s.priority)},
           {"started_by", s.started_by},
           {"first_capture_us", s.first_capture_us},
           {"first_capture", format_utc(from_unix_us(s.first_capture_us))},
           {"frames_sent", s.frames_sent},
           {"total_frames", s.total_frames}};
    if (s.ended_at_us != 0) {
        j["ended_at"] = format_utc(from_unix_us(s.ended_at_us));
        j["stop_reason"] = s.stop_reason;
    }
    return j;
}

}  // namespace

LiveRoutes::LiveRoutes(LiveRoutesContext context)
    : ctx_{std::move(context)}, sessions_{ctx_.link, ctx_.clock} {
    auto& server = ctx_.server;
    server.Post("/api/v1/live", authed(&LiveRoutes::start));
    server.Get("/api/v1/live", authed(&LiveRoutes::list));
    server.Get(R"(/api/v1/live/([^/]+))", authed(&LiveRoutes::get));
    server.Post(R"(/api/v1/live/([^/]+)/stop)", authed(&LiveRoutes::stop));
}

std::function<void(const httplib::Request&, httplib::Response&)> LiveRoutes::authed(
    Handler handler) {
    return [this, handler](const httplib::Request& req, httplib::Response& res) {
        if (auto user = ctx_.authenticate(req, res)) {
            (this->*handler)(req, res, *user);
        }
    };
}

Status LiveRoutes::check(const User& user, wire::PriorityClass priority,
                         const std::vector<std::string>& units,
                         const std::vector<std::string>& station_ids,
                         std::vector<std::string>& stations) {
    Status result;
    ctx_.planner.with_network([&](const PlanNetwork& network) {
        std::set<std::string> out;
        for (const auto& code : units) {
            if (network.units.find(code) == nullptr) {
                result = Error{fmt::format("units: '{}' is not a known unit", code)};
                return;
            }
            for (const auto& s : network.stations) {
                if (network.units.is_within(s.unit_code, code)) {
                    out.insert(s.id);
                }
            }
        }
        for (const auto& id : station_ids) {
            if (std::none_of(network.stations.begin(), network.stations.end(),
                             [&](const Station& s) { return s.id == id; })) {
                result = Error{fmt::format("stations: '{}' is not a known station", id)};
                return;
            }
            out.insert(id);
        }
        if (out.empty()) {
            result = Error{"targets: no station lies in the units and stations given"};
            return;
        }
        ScheduleEntry entry;
        entry.title = "live";
        entry.priority = priority;
        entry.where.units = units;
        entry.where.stations = station_ids;
        const Authorizer authorizer{network.units, network.stations, ctx_.policy};
        if (auto s = authorizer.can_create_entry(user, entry); !s) {
            result = Error{"forbidden: " + s.message()};
            return;
        }
        stations.assign(out.begin(), out.end());
    });
    return result;
}

void LiveRoutes::audit(const User& user, const httplib::Request& req, const std::string& action,
                       const LiveSessionInfo& info) {
    const Actor who{user.name, req.remote_addr.empty() ? std::string{"unknown"} : req.remote_addr};
    std::lock_guard lock{ctx_.store_mutex};
    SchedulerStore::Transaction tx{ctx_.store};
    ctx_.audit.record(
        ctx_.store.database(),
        AuditRecord{who, action, "live", info.id, std::nullopt,
                    info_json(info).dump(-1, ' ', false, json::error_handler_t::replace)});
    tx.commit();
}

void LiveRoutes::start(const httplib::Request& req, httplib::Response& res, const User& user) {
    const json j = json::parse(req.body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return reply_error(res, 400, "request body must be a JSON object");
    }
    static const std::set<std::string> kFields{"source",   "units", "stations",
                                               "delay_ms", "class", "title"};
    for (const auto& [key, value] : j.items()) {
        if (kFields.count(key) == 0) {
            return reply_error(res, 400,
                               fmt::format("unknown field '{}' (expected source, units, "
                                           "stations, delay_ms, class, title)",
                                           key));
        }
    }
    if (!j.contains("source") || !j["source"].is_string() ||
        j["source"].get<std::string>().empty() ||
        j["source"].get<std::string>().size() > kMaxSourceBytes) {
        return reply_error(res, 400, "source: a FILE path or URL is required");
    }
    const auto units = strings_of(j, "units");
    const auto station_ids = strings_of(j, "stations");
    if (!units || !station_ids) {
        return reply_error(
            res, 400,
            fmt::format("{}: must be an array of strings", !units ? "units" : "stations"));
    }
    if (units->empty() && station_ids->empty()) {
        return reply_error(res, 400, "targets: give units and/or stations to broadcast on");
    }
    LiveSessionRequest request;
    request.source = j["source"].get<std::string>();
    if (j.contains("delay_ms")) {
        if (!j["delay_ms"].is_number_integer()) {
            return reply_error(res, 400, "delay_ms: must be an integer");
        }
        const auto ms = j["delay_ms"].get<std::int64_t>();
        if (ms < kLiveMinDelay.count() || ms > kLiveMaxDelay.count()) {
            return reply_error(res, 400,
                               fmt::format("delay_ms: {} is outside {}..{}", ms,
                                           kLiveMinDelay.count(), kLiveMaxDelay.count()));
        }
        request.delay = std::chrono::milliseconds{ms};
    }
    if (j.contains("class")) {
        if (!j["class"].is_string()) {
            return reply_error(res, 400, "class: must be a string");
        }
        auto priority = protocol::parse_priority(j["class"].get<std::string>());
        if (!priority) {
            return reply_error(res, 400, "class: " + priority.error().message);
        }
        request.priority = *priority;
    }
    if (j.contains("title")) {
        if (!j["title"].is_string() || j["title"].get<std::string>().size() > kMaxTitleBytes) {
            return reply_error(res, 400,
                               fmt::format("title: a string of at most {} bytes", kMaxTitleBytes));
        }
        request.title = j["title"].get<std::string>();
    }
    if (auto s = check(user, request.priority, *units, *station_ids, request.stations); !s) {
        const bool forbidden = s.message().starts_with("forbidden: ");
        return reply_error(res, forbidden ? 403 : 400,
                           forbidden ? s.message().substr(11) : s.message());
    }
    request.started_by = user.name;
    auto started = sessions_.start(std::move(request));
    if (!started) {
        return reply_error(res, 400, started.error().message);
    }
    audit(user, req, "start", *started);
    reply(res, 201, info_json(*started));
}

void LiveRoutes::stop(const httplib::Request& req, httplib::Response& res, const User& user) {
    const std::string id = req.matches[1];
    const auto found = sessions_.find(id);
    if (!found) {
        return reply_error(res, 404, fmt::format("live session '{}' does not exist", id));
    }
    std::vector<std::string> stations;
    if (auto s = check(user, found->priority, {}, found->stations, stations); !s) {
        const bool forbidden = s.message().starts_with("forbidden: ");
        return reply_error(res, forbidden ? 403 : 400,
                           forbidden ? s.message().substr(11) : s.message());
    }
    auto stopped = sessions_.stop(id, "stopped by " + user.name);
    if (!stopped) {
        return reply_error(res, 404, stopped.error().message);
    }
    audit(user, req, "stop", *stopped);
    reply(res, 200, info_json(*stopped));
}

void LiveRoutes::list(const httplib::Request&, httplib::Response& res, const User&) {
    json out = json::array();
    for (const auto& s : sessions_.list()) {
        out.push_back(info_json(s));
    }
    reply(res, 200, out);
}

void LiveRoutes::get(const httplib::Request& req, httplib::Response& res, const User&) {
    const std::string id = req.matches[1];
    const auto found = sessions_.find(id);
    if (!found) {
        return reply_error(res, 404, fmt::format("live session '{}' does not exist", id));
    }
    reply(res, 200, info_json(*found));
}

}  // namespace loa::scheduler
