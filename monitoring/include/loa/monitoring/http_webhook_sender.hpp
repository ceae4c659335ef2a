#pragma once

#include "loa/common/result.hpp"
#include "loa/monitoring/webhook_sender.hpp"

#include <chrono>
#include <string>

namespace loa::monitoring {

// Sends webhook bodies by HTTP POST (cpp-httplib) to a URL such as
// "http://127.0.0.1:8080/hooks/loa" (http or https), with Content-Type application/json.
// Threads: post() from one thread at a time (the notifier's).
class HttpWebhookSender final : public IWebhookSender {
public:
    // Throws std::invalid_argument when the URL is not http(s)://host[:port][/path].
    explicit HttpWebhookSender(std::string url,
                               std::chrono::milliseconds timeout = std::chrono::seconds{5});
    Status post(const std::string& body) override;

private:
    std::string origin_;  // scheme://host:port
    std::string path_;
    std::chrono::milliseconds timeout_;
};

}  // namespace loa::monitoring
