#include "loa/scheduler/listen_address.hpp"

#include <fmt/format.h>

#include <charconv>

namespace loa::scheduler {

Result<ListenAddress> ListenAddress::parse(std::string_view text, std::string_view what) {
    const auto bad = [&](std::string_view why) {
        return Error{
            fmt::format("{}: '{}' {} (expected host:port, e.g. 127.0.0.1:8640)", what, text, why)};
    };
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
        return bad("has no port");
    }
    std::string_view host = text.substr(0, colon);
    const std::string_view port_text = text.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != std::string_view::npos) {
        return bad("has an IPv6 host without [brackets]");
    }
    if (host.empty()) {
        return bad("has no host");
    }
    int port = -1;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() ||
        port < 0 || port > 65535) {
        return bad("has no valid port (0-65535)");
    }
    return ListenAddress{std::string{host}, port};
}

std::string ListenAddress::to_string() const {
    if (host.find(':') != std::string::npos) {
        return fmt::format("[{}]:{}", host, port);
    }
    return fmt::format("{}:{}", host, port);
}

}  // namespace loa::scheduler
