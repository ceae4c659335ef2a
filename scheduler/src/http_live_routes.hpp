#pragma once

#include "live_session_manager.hpp"
#include "loa/common/clock.hpp"
#include "loa/scheduler/audit_log.hpp"
#include "loa/scheduler/authorizer.hpp"
#include "loa/scheduler/link_events.hpp"
#include "loa/scheduler/planner.hpp"
#include "loa/scheduler/scheduler_store.hpp"
#include "loa/scheduler/users.hpp"

#include <httplib.h>

#include <functional>
#include <mutex>
#include <optional>

namespace loa::scheduler {

// What the live endpoints use of the HTTP API (HttpApi::Impl owns all of it).
struct LiveRoutesContext {
    httplib::Server& server;
    std::mutex& store_mutex;  // guards `store`
    SchedulerStore& store;    // the API's connection, for the audit rows
    const AuditLog& audit;
    Planner& planner;
    ILinkEvents& link;
    const IClock& clock;
    AuthPolicy policy;
    // The user the request comes from, or nullopt once a 401 was sent.
    std::function<std::optional<User>(const httplib::Request&, httplib::Response&)> authenticate;
};

// The endpoints of live sessions (docs/api.md): POST /api/v1/live, GET /api/v1/live,
// GET /api/v1/live/{id}, POST /api/v1/live/{id}/stop. Starting or stopping needs the right to
// schedule the session's class on every target (Authorizer::can_create_entry), and is audited
// (object kind "live").
//
// Threads: constructed by the HttpApi's owning thread before the server listens (it registers
// its routes); the handlers run on httplib's worker threads. It must outlive the server's
// listening loop; its destructor stops the sessions still running.
class LiveRoutes {
public:
    explicit LiveRoutes(LiveRoutesContext context);
    LiveRoutes(const LiveRoutes&) = delete;
    LiveRoutes& operator=(const LiveRoutes&) = delete;

private:
    using Handler = void (LiveRoutes::*)(const httplib::Request&, httplib::Response&, const User&);
    std::function<void(const httplib::Request&, httplib::Response&)> authed(Handler handler);

    void start(const httplib::Request& req, httplib::Response& res, const User& user);
    void stop(const httplib::Request& req, httplib::Response& res, const User& user);
    void list(const httplib::Request& req, httplib::Response& res, const User& user);
    void get(const httplib::Request& req, httplib::Response& res, const User& user);
    // May `user` schedule `priority` on these targets? Resolves them into `stations`.
    Status check(const User& user, wire::PriorityClass priority,
                 const std::vector<std::string>& units, const std::vector<std::string>& station_ids,
                 std::vector<std::string>& stations);
    void audit(const User& user, const httplib::Request& req, const std::string& action,
               const LiveSessionInfo& info);

    LiveRoutesContext ctx_;
    LiveSessionManager sessions_;
};

}  // namespace loa::scheduler
