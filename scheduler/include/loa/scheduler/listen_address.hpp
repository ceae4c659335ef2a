#pragma once

#include "loa/common/result.hpp"

#include <string>
#include <string_view>

namespace loa::scheduler {

// "host:port" as the API's listen address ("127.0.0.1:8640", "[::1]:0", "localhost:8640").
// Port 0 means any free port.
struct ListenAddress {
    std::string host;  // without brackets
    int port = 0;

    // Fails, naming `what`, on a missing host, a missing or non-numeric port, or one > 65535.
    static Result<ListenAddress> parse(std::string_view text, std::string_view what);
    // "host:port", with brackets around an IPv6 host.
    std::string to_string() const;
};

}  // namespace loa::scheduler
