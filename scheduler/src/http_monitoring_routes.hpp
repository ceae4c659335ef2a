#pragma once

#include "loa/common/clock.hpp"
#include "loa/scheduler/http_api.hpp"
#include "loa/scheduler/users.hpp"
#include "monitoring_service.hpp"

#include <functional>
#include <optional>

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace loa::scheduler {

class Planner;

// What the monitoring routes borrow from the HttpApi that registers them (all outlive them).
struct MonitoringRouteContext {
    const HttpApiOptions& options;
    Planner& planner;
    ILinkEvents& link;
    const IClock& clock;
    // The request's user, or nullopt once a 401 was sent (HttpApi's own authentication).
    std::function<std::optional<User>(const httplib::Request&, httplib::Response&)> authenticate;
};

// Every monitoring endpoint of docs/api.md (Monitoring): GET /api/v1/status,
// GET /api/v1/stations/{id}/events, POST /api/v1/coverage/clusters and /hamlets,
// POST /api/v1/coverage/snapshot, GET /api/v1/coverage, GET /api/v1/compliance,
// GET /api/v1/alarms and GET /metrics. Each needs a token (but /metrics unless
// [metrics] require_token) and shows only what lies in the user's scope.
//
// Threads: constructed and destroyed on the API's owning thread (the constructor registers the
// routes and starts "loa-monitor"; the destructor stops it); handlers run on httplib's workers.
class HttpMonitoringRoutes {
public:
    HttpMonitoringRoutes(httplib::Server& server, MonitoringRouteContext context);
    ~HttpMonitoringRoutes();
    HttpMonitoringRoutes(const HttpMonitoringRoutes&) = delete;
    HttpMonitoringRoutes& operator=(const HttpMonitoringRoutes&) = delete;

    MonitoringService& service() { return service_; }

private:
    struct Scope;
    std::optional<Scope> scope(const httplib::Request& req, httplib::Response& res,
                               Capability capability);

    void status(const httplib::Request& req, httplib::Response& res);
    void events(const httplib::Request& req, httplib::Response& res);
    void import(const httplib::Request& req, httplib::Response& res, bool clusters);
    void coverage(const httplib::Request& req, httplib::Response& res);
    void snapshot(const httplib::Request& req, httplib::Response& res);
    void compliance(const httplib::Request& req, httplib::Response& res);
    void alarms(const httplib::Request& req, httplib::Response& res);
    void metrics(const httplib::Request& req, httplib::Response& res);

    MonitoringRouteContext context_;
    MonitoringService service_;
};

}  // namespace loa::scheduler
