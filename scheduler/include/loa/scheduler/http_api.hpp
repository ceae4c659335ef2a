#pragma once

#include "loa/common/clock.hpp"
#include "loa/scheduler/asset_library.hpp"
#include "loa/scheduler/auth_store.hpp"
#include "loa/scheduler/authorizer.hpp"
#include "loa/scheduler/link_events.hpp"
#include "loa/scheduler/monitoring_options.hpp"
#include "loa/scheduler/scheduler_keys.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace loa::scheduler {

class Planner;

// Emergency broadcasts and CAP alerts ([emergency], [alerts]; docs/api.md, docs/alerts.md).
struct EmergencyOptions {
    // A session's first item starts this long after the request ([emergency] lead_s).
    Duration lead = std::chrono::seconds{3};
    // The first airing also goes out at once as a live session of class emergency, played this
    // long after capture ([emergency] live_delay_ms, 150 to 2000).
    std::chrono::milliseconds live_delay{200};
    // A district operator may start and stop sessions on stations of its scope
    // ([emergency] allow_operators); otherwise only an admin may.
    bool allow_operators = false;
    // Where CAP alerts of status Exercise or Test air ([alerts] test_stations).
    std::vector<std::string> test_stations;
};

struct HttpApiOptions {
    std::string listen = "127.0.0.1:8640";  // host:port; port 0 picks a free port
    std::string database;                   // the store's file (the API opens its own)
    std::string link_public_endpoint = "tcp://127.0.0.1:8641";  // written into agent configs
    std::chrono::seconds heartbeat_interval{10};
    Duration horizon = std::chrono::hours{24 * 7};
    std::string time_zone = "Asia/Ho_Chi_Minh";  // for times written without an offset
    AuthPolicy auth_policy;                      // [auth] approval_required_for
    AuthOptions auth;                            // token lifetimes, argon2 cost
    // An emergency bulletin airs this long after it is sent ([bulletins] emergency_delay_s).
    Duration emergency_delay = std::chrono::seconds{5};
    MonitoringOptions monitoring;  // status, coverage, compliance, alarms, /metrics
    EmergencyOptions emergency;
};

// The HTTP API of docs/api.md (JSON under /api/v1), served by cpp-httplib. Every request but
// GET /api/v1/health and POST /api/v1/login is authenticated (bearer token, RequestAuth) and
// authorised (Authorizer, checked under the Planner's lock before anything is written); every
// change writes an audit row in the transaction of the change (docs/security.md).
//
// Threads: the constructor, start(), stop() and the destructor are called from one owning
// thread; url() and port() from any. Requests run on httplib's worker threads, which share the
// API's own SchedulerStore connection (with the AuthStore on it) behind one mutex (transcoding an
// upload runs outside it); logins run argon2 on a second connection behind their own mutex, so
// they do not hold up the other requests.
// The listening loop runs on the thread "loa-api".
class HttpApi {
public:
    // Opens the store and binds the listen address. Start-up: throws StoreError, or
    // std::runtime_error naming the address when it is malformed or cannot be bound.
    // Changes to the plan (stations, units, programmes, entries) go through `planner`.
    HttpApi(HttpApiOptions options, const SchedulerKeys& keys, const AssetLibrary& assets,
            ILinkEvents& link, Planner& planner, const IClock& clock);
    ~HttpApi();
    HttpApi(const HttpApi&) = delete;
    HttpApi& operator=(const HttpApi&) = delete;

    // The bound port (the real one when asked for port 0) and "http://host:port".
    int port() const;
    std::string url() const;

    void start();
    // Stops listening and waits for requests in progress; idempotent.
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace loa::scheduler
