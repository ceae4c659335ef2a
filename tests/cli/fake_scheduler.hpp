#pragma once

#include <httplib.h>

#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace loa::cli::test {

// A request as the fake scheduler received it.
struct RecordedRequest {
    std::string method;
    std::string path;
    std::multimap<std::string, std::string> query;
    std::string content_type;
    std::string body;
    std::string authorization;  // the Authorization header, empty when absent
};

// A tiny HTTP server on 127.0.0.1 (ephemeral port) standing in for loa-scheduler: it records
// every request and answers each "METHOD path" with the canned status and body set for it
// (404 {"error"} otherwise). Thread-safe: the server thread records, the test reads.
class FakeScheduler {
public:
    FakeScheduler();
    ~FakeScheduler();
    FakeScheduler(const FakeScheduler&) = delete;
    FakeScheduler& operator=(const FakeScheduler&) = delete;

    // Answers to "METHOD path" are taken in order; the last one repeats.
    void answer(const std::string& method, const std::string& path, int status, std::string body);

    std::vector<RecordedRequest> requests() const;
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

private:
    void handle(const httplib::Request& request, httplib::Response& response);

    httplib::Server server_;
    int port_ = 0;
    std::thread thread_;
    mutable std::mutex mutex_;
    std::map<std::string, std::vector<std::pair<int, std::string>>> answers_;
    std::vector<RecordedRequest> requests_;
};

}  // namespace loa::cli::test
