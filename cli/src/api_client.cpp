#include "loa/cli/api_client.hpp"

#include "messages.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

namespace loa::cli {
namespace {

constexpr time_t kConnectTimeoutS = 5;
// An upload is decoded and normalised before the answer: a 3-hour file takes about 2 minutes.
constexpr time_t kTransferTimeoutS = 600;

struct ParsedUrl {
    std::string scheme_host_port;
    std::string host;
    std::string port;
    std::string prefix;  // path under which /api/v1 lives, without a trailing '/'
};

std::optional<ParsedUrl> parse_url(std::string_view url) {
    std::string_view rest;
    if (url.starts_with("http://")) {
        rest = url.substr(7);
    } else if (url.starts_with("https://")) {
        rest = url.substr(8);
    } else {
        return std::nullopt;
    }
    const auto slash = rest.find('/');
    const auto authority = rest.substr(0, slash);
    if (authority.empty() || authority.find_first_of(" ?#@") != std::string_view::npos) {
        return std::nullopt;
    }
    std::string prefix{slash == std::string_view::npos ? std::string_view{} : rest.substr(slash)};
    while (!prefix.empty() && prefix.back() == '/') {
        prefix.pop_back();
    }
    if (prefix.find_first_of(" ?#") != std::string::npos) {
        return std::nullopt;
    }
    const auto scheme_len = url.size() - rest.size();
    std::string_view host = authority;
    std::string_view port = scheme_len == 7 ? "80" : "443";
    const auto bracket = authority.rfind(']');
    const auto colon = authority.rfind(':');
    if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    return ParsedUrl{std::string{url.substr(0, scheme_len + authority.size())}, std::string{host},
                     std::string{port}, prefix};
}

// httplib says only "Connection" when a connection fails; connecting once more, by hand, finds
// the reason an operator can act on ("Connection refused", "Name or service not known").
std::string connect_failure_reason(const std::string& host, const std::string& port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
        return ::gai_strerror(rc);
    }
    const std::unique_ptr<addrinfo, void (*)(addrinfo*)> addresses{found, &::freeaddrinfo};
    int error = ETIMEDOUT;
    for (const addrinfo* a = addresses.get(); a != nullptr; a = a->ai_next) {
        const int fd =
            ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            error = errno;
            continue;
        }
        if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
            ::close(fd);
            return std::string{text::kConnectsNow};
        }
        error = errno;
        if (error == EINPROGRESS) {
            pollfd p{fd, POLLOUT, 0};
            error = ETIMEDOUT;
            if (::poll(&p, 1, static_cast<int>(kConnectTimeoutS * 1000)) == 1) {
                socklen_t len = sizeof(error);
                ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
            }
        }
        ::close(fd);
        if (error == 0) {
            return std::string{text::kConnectsNow};
        }
    }
    return std::generic_category().message(error);
}

// Words for httplib's other failures.
std::string_view describe(httplib::Error error) {
    switch (error) {
        case httplib::Error::Read:
            return text::kReadFailed;
        case httplib::Error::Write:
            return text::kWriteFailed;
        case httplib::Error::ConnectionTimeout:
            return text::kTimedOut;
        case httplib::Error::SSLConnection:
        case httplib::Error::SSLLoadingCerts:
        case httplib::Error::SSLServerVerification:
            return text::kTlsFailed;
        default:
            return text::kOtherFailure;
    }
}

// The operator-facing error for a response that is not 2xx.
Error http_error(const httplib::Response& response) {
    const auto body = nlohmann::json::parse(response.body, nullptr, false);
    if (body.is_object() && body.contains("error") && body["error"].is_string()) {
        return Error{body["error"].get<std::string>()};
    }
    return Error{fmt::format(text::kHttpStatus, response.status)};
}

}  // namespace

std::string url_encode(std::string_view text) {
    std::string out;
    for (const char c : text) {
        const auto b = static_cast<unsigned char>(c);
        if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            out += c;
        } else {
            out += fmt::format("%{:02X}", b);
        }
    }
    return out;
}

std::optional<std::string> ApiClient::check_url(std::string_view base_url) {
    auto parsed = parse_url(base_url);
    if (!parsed || !httplib::Client{parsed->scheme_host_port}.is_valid()) {
        return fmt::format(text::kBadServerUrl, base_url);
    }
    return std::nullopt;
}

Result<std::unique_ptr<ApiClient>> ApiClient::create(const std::string& base_url) {
    if (auto what = check_url(base_url)) {
        return Error{*what};
    }
    auto parsed = parse_url(base_url);
    auto http = std::make_unique<httplib::Client>(parsed->scheme_host_port);
    http->set_connection_timeout(kConnectTimeoutS);
    http->set_read_timeout(kTransferTimeoutS);
    http->set_write_timeout(kTransferTimeoutS);
    // One connection for a run of requests (provisioning 168 stations is 170 of them).
    http->set_keep_alive(true);
    // A request's headers and body go in two writes: without this, Nagle's algorithm and the
    // peer's delayed ACK hold every request with a body for 40 ms.
    http->set_tcp_nodelay(true);
    return std::unique_ptr<ApiClient>{new ApiClient{
        // NOLINT: the constructor is private
        base_url, std::move(parsed->host), std::move(parsed->port), std::move(parsed->prefix),
        std::move(http)}};
}

ApiClient::ApiClient(std::string base_url, std::string host, std::string port, std::string prefix,
                     std::unique_ptr<httplib::Client> http)
    : base_url_{std::move(base_url)},
      host_{std::move(host)},
      port_{std::move(port)},
      prefix_{std::move(prefix)},
      http_{std::move(http)} {}

ApiClient::~ApiClient() = default;

std::string ApiClient::target(std::string_view path, const Query& query) const {
    std::string out = prefix_ + std::string{path};
    char separator = '?';
    for (const auto& [key, value] : query) {
        out += separator;
        out += url_encode(key);
        out += '=';
        out += url_encode(value);
        separator = '&';
    }
    return out;
}

Result<ApiAnswer> ApiClient::answer_of(const httplib::Result& result) const {
    if (!result) {
        if (result.error() == httplib::Error::Connection) {
            return Error{
                fmt::format(text::kCannotReach, base_url_, connect_failure_reason(host_, port_))};
        }
        return Error{fmt::format(text::kNoAnswer, base_url_, describe(result.error()))};
    }
    if (result->status == 401 && login_hint_) {
        auto why = http_error(*result).message;
        return why.find("loa login") == std::string::npos ? Error{fmt::format(text::kRunLogin, why)}
                                                          : Error{std::move(why)};
    }
    if (result->status < 200 || result->status >= 300) {
        return http_error(*result);
    }
    if (result->body.empty()) {
        return ApiAnswer{result->status, nullptr};
    }
    auto body = nlohmann::json::parse(result->body, nullptr, false);
    if (body.is_discarded()) {
        return Error{fmt::format(text::kNotJson, result->body.substr(0, 200))};
    }
    return ApiAnswer{result->status, std::move(body)};
}

Result<ApiAnswer> ApiClient::get(std::string_view path, const Query& query) {
    return answer_of(http_->Get(target(path, query)));
}

Result<ApiAnswer> ApiClient::post_json(std::string_view path, const nlohmann::json& body) {
    return answer_of(http_->Post(target(path, {}), body.dump(), "application/json"));
}

Result<ApiAnswer> ApiClient::post_bytes(std::string_view path, const Query& query,
                                        const std::string& bytes, const std::string& content_type) {
    return answer_of(http_->Post(target(path, query), bytes, content_type));
}

Result<ApiAnswer> ApiClient::put_json(std::string_view path, const nlohmann::json& body) {
    return answer_of(http_->Put(target(path, {}), body.dump(), "application/json"));
}

Result<ApiAnswer> ApiClient::patch_json(std::string_view path, const nlohmann::json& body) {
    return answer_of(http_->Patch(target(path, {}), body.dump(), "application/json"));
}

Result<ApiAnswer> ApiClient::remove(std::string_view path) {
    return answer_of(http_->Delete(target(path, {})));
}

void ApiClient::set_token(const std::string& token) {
    if (!token.empty()) {
        http_->set_bearer_token_auth(token);
    }
}

Result<std::string> ApiClient::get_bytes(std::string_view path) {
    const auto result = http_->Get(target(path, {}));
    if (!result || result->status < 200 || result->status >= 300) {
        auto failure = answer_of(result);
        return failure ? Error{fmt::format(text::kUnexpectedAnswer, result->body.substr(0, 200))}
                       : failure.error();
    }
    return result->body;
}

}  // namespace loa::cli
