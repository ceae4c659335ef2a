#include "loa/monitoring/http_webhook_sender.hpp"

#include <httplib.h>

#include <stdexcept>
#include <utility>

namespace loa::monitoring {

HttpWebhookSender::HttpWebhookSender(std::string url, std::chrono::milliseconds timeout)
    : timeout_{timeout} {
    const auto scheme_end = url.find("://");
    const std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
    if (scheme != "http" && scheme != "https") {
        throw std::invalid_argument("webhook URL '" + url +
                                    "' must start with http:// or https://");
    }
    const auto path_start = url.find('/', scheme_end + 3);
    origin_ = url.substr(0, path_start);
    path_ = path_start == std::string::npos ? "/" : url.substr(path_start);
    if (origin_.size() <= scheme_end + 3) {
        throw std::invalid_argument("webhook URL '" + url + "' has no host");
    }
}

Status HttpWebhookSender::post(const std::string& body) {
    httplib::Client client{origin_};
    client.set_connection_timeout(timeout_);
    client.set_read_timeout(timeout_);
    client.set_write_timeout(timeout_);
    const auto res = client.Post(path_, body, "application/json");
    if (!res) {
        return Error{"webhook " + origin_ + path_ + ": " + httplib::to_string(res.error())};
    }
    if (res->status < 200 || res->status >= 300) {
        return Error{"webhook " + origin_ + path_ + " answered HTTP " +
                     std::to_string(res->status)};
    }
    return Status::success();
}

}  // namespace loa::monitoring
