#pragma once

#include "loa/common/result.hpp"

#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace loa::agent {

// The agent's own Prometheus endpoint: an HTTP server (cpp-httplib) accepting on thread
// "loa-metrics" and answering on one worker, "loa-metrics-w": GET /metrics gets the text `render`
// returns (text/plain; version=0.0.4), anything else 404. It only reads: no request changes the
// agent.
//
// Threads: the constructor, start(), stop() and the destructor from the control thread;
// `render` runs on "loa-metrics-w" (and must be safe there); port() and address() from any
// thread after start().
class MetricsServer {
public:
    using Render = std::function<std::string()>;

    // `listen` is "host:port" (an IPv6 host in brackets; port 0: any free port).
    MetricsServer(std::string listen, Render render);
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    // Binds and starts the thread. Fails, naming the address, when it cannot bind.
    Status start();
    // Stops the thread; idempotent.
    void stop();

    // The port bound (the real one when `listen` asked for port 0); 0 before start().
    int port() const { return port_; }
    // "host:port" as bound.
    std::string address() const;

private:
    std::string host_;
    int requested_port_ = 0;
    std::string listen_;
    Render render_;
    std::unique_ptr<httplib::Server> server_;
    int port_ = 0;
    std::thread thread_;
};

}  // namespace loa::agent
