#include "loa/agent/metrics_server.hpp"

#include <httplib.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <fmt/format.h>

namespace loa::agent {

MetricsServer::MetricsServer(std::string listen, Render render)
    : listen_{std::move(listen)}, render_{std::move(render)} {
    // The config checked the form (host:port); strip IPv6 brackets for the bind.
    const auto colon = listen_.rfind(':');
    host_ = listen_.substr(0, colon);
    if (host_.size() >= 2 && host_.front() == '[' && host_.back() == ']') {
        host_ = host_.substr(1, host_.size() - 2);
    }
    requested_port_ = colon == std::string::npos ? 0 : std::stoi(listen_.substr(colon + 1));
}

MetricsServer::~MetricsServer() {
    stop();
}

Status MetricsServer::start() {
    if (server_) {
        return Status::success();
    }
    server_ = std::make_unique<httplib::Server>();
    // One worker is plenty for a scraper; httplib owns (and deletes) the queue it is handed.
    server_->new_task_queue = [] { return std::make_unique<httplib::ThreadPool>(1).release(); };
    server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
        pthread_setname_np(pthread_self(), "loa-metrics-w");
        try {
            res.set_content(render_(), "text/plain; version=0.0.4; charset=utf-8");
        } catch (const std::exception& e) {
            spdlog::error("metrics: {}", e.what());
            res.status = 500;
            res.set_content(fmt::format("metrics unavailable: {}\n", e.what()), "text/plain");
        }
    });
    // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, which would let a second agent
    // share the port silently instead of failing.
    server_->set_socket_options([](socket_t sock) {
        int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    int port = 0;
    if (requested_port_ == 0) {
        port = server_->bind_to_any_port(host_);
    } else if (server_->bind_to_port(host_, requested_port_)) {
        port = requested_port_;
    } else {
        port = -1;
    }
    if (port <= 0) {
        server_.reset();
        return Error{fmt::format("metrics.listen: cannot listen on {}", listen_)};
    }
    port_ = port;
    thread_ = std::thread{[this] {
        pthread_setname_np(pthread_self(), "loa-metrics");
        server_->listen_after_bind();
    }};
    spdlog::info("metrics: Prometheus text at http://{}/metrics", address());
    return Status::success();
}

void MetricsServer::stop() {
    if (!server_) {
        return;
    }
    server_->stop();
    if (thread_.joinable()) {
        thread_.join();
    }
    server_.reset();
}

std::string MetricsServer::address() const {
    const bool v6 = host_.find(':') != std::string::npos;
    return v6 ? fmt::format("[{}]:{}", host_, port_) : fmt::format("{}:{}", host_, port_);
}

}  // namespace loa::agent
