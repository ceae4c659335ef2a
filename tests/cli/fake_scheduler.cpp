#include "fake_scheduler.hpp"

#include <stdexcept>

namespace loa::cli::test {
namespace {
constexpr const char* kReadyPath = "/fake-scheduler-ready";
}

FakeScheduler::FakeScheduler() {
    const auto handler = [this](const httplib::Request& request, httplib::Response& response) {
        handle(request, response);
    };
    server_.Get(".*", handler);
    server_.Post(".*", handler);
    server_.Put(".*", handler);
    server_.Patch(".*", handler);
    server_.Delete(".*", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) {
        throw std::runtime_error("fake scheduler: cannot bind 127.0.0.1");
    }
    thread_ = std::thread{[this] { server_.listen_after_bind(); }};
    // The answer to one request proves the accept loop runs (so stop() will end it).
    httplib::Client client{"127.0.0.1", port_};
    if (!client.Get(kReadyPath)) {
        server_.stop();
        thread_.join();
        throw std::runtime_error("fake scheduler: not answering");
    }
}

FakeScheduler::~FakeScheduler() {
    server_.stop();
    thread_.join();
}

void FakeScheduler::answer(const std::string& method, const std::string& path, int status,
                           std::string body) {
    const std::lock_guard lock{mutex_};
    answers_[method + " " + path].emplace_back(status, std::move(body));
}

std::vector<RecordedRequest> FakeScheduler::requests() const {
    const std::lock_guard lock{mutex_};
    return requests_;
}

void FakeScheduler::handle(const httplib::Request& request, httplib::Response& response) {
    if (request.path == kReadyPath) {
        response.set_content("{}", "application/json");
        return;
    }
    const std::lock_guard lock{mutex_};
    requests_.push_back(RecordedRequest{
        request.method, request.path,
        std::multimap<std::string, std::string>{request.params.begin(), request.params.end()},
        request.get_header_value("Content-Type"), request.body,
        request.get_header_value("Authorization")});
    auto it = answers_.find(request.method + " " + request.path);
    if (it == answers_.end() || it->second.empty()) {
        response.status = 404;
        response.set_content(R"({"error":"no such path"})", "application/json");
        return;
    }
    auto [status, body] = it->second.front();
    if (it->second.size() > 1) {
        it->second.erase(it->second.begin());
    }
    response.status = status;
    response.set_content(body, "application/json");
}

}  // namespace loa::cli::test
