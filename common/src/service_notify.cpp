#include "loa/common/service_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string>

namespace loa::service {

namespace {

// The value of the environment variable `name` as a non-negative integer, or -1.
long long env_number(const char* name) {
    const char* text = std::getenv(name);
    if (text == nullptr || *text == '\0') {
        return -1;
    }
    long long value = 0;
    const char* end = text + std::strlen(text);
    const auto [ptr, ec] = std::from_chars(text, end, value);
    return ec == std::errc{} && ptr == end && value >= 0 ? value : -1;
}

}  // namespace

bool notify(std::string_view state) {
    const char* socket_name = std::getenv("NOTIFY_SOCKET");
    if (socket_name == nullptr || state.empty()) {
        return false;
    }
    const std::size_t length = std::strlen(socket_name);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (length < 2 || length >= sizeof address.sun_path ||
        (socket_name[0] != '/' && socket_name[0] != '@')) {
        return false;
    }
    std::memcpy(address.sun_path, socket_name, length);
    if (socket_name[0] == '@') {
        address.sun_path[0] = '\0';  // an abstract socket
    }
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return false;
    }
    const auto address_length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length);
    const ssize_t sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                                  reinterpret_cast<const sockaddr*>(&address), address_length);
    ::close(fd);
    return sent == static_cast<ssize_t>(state.size());
}

std::chrono::microseconds watchdog_interval() {
    const long long usec = env_number("WATCHDOG_USEC");
    if (usec <= 0) {
        return std::chrono::microseconds{0};
    }
    const long long pid = env_number("WATCHDOG_PID");
    if (std::getenv("WATCHDOG_PID") != nullptr && pid != static_cast<long long>(::getpid())) {
        return std::chrono::microseconds{0};
    }
    return std::chrono::microseconds{usec};
}

}  // namespace loa::service
