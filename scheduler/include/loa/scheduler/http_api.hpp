#pragma once

#include "loa/common/clock.hpp"
#include "loa/scheduler/asset_library.hpp"
#include "loa/scheduler/link_events.hpp"
#include "loa/scheduler/scheduler_keys.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace loa::scheduler {

struct HttpApiOptions {
    std::string listen = "127.0.0.1:8640";  // host:port; port 0 picks a free port
    std::string database;                   // the store's file (the API opens its own)
    std::string link_public_endpoint = "tcp://127.0.0.1:8641";  // written into agent configs
    std::chrono::seconds heartbeat_interval{10};
    Duration horizon = std::chrono::hours{24 * 7};
    std::string time_zone = "Asia/Ho_Chi_Minh";  // for times written without an offset
};

// The HTTP API of docs/api.md (JSON under /api/v1), served by cpp-httplib.
//
// Threads: the constructor, start(), stop() and the destructor are called from one owning
// thread; url() and port() from any. Requests run on httplib's worker threads, which share the
// API's own SchedulerStore connection behind one mutex (transcoding an upload runs outside it).
// The listening loop runs on the thread "loa-api".
class HttpApi {
public:
    // Opens the store and binds the listen address. Start-up: throws StoreError, or
    // std::runtime_error naming the address when it is malformed or cannot be bound.
    HttpApi(HttpApiOptions options, const SchedulerKeys& keys, const AssetLibrary& assets,
            ILinkEvents& link, const IClock& clock);
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
