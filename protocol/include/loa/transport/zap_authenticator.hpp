#pragma once

#include <zmq.hpp>

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <thread>

namespace loa::transport {

// Answers ZeroMQ's ZAP requests for the CURVE mechanism in a context: a client key that `lookup`
// maps to a station id is admitted with that id as its User-Id; anything else (unknown key,
// another mechanism or domain) is refused, and every refusal is logged with the peer address and
// key. Runs its own thread ("loa-zap"); `lookup` is called on that thread and must be
// thread-safe. Create it before binding any CURVE server socket in the same context.
class ZapAuthenticator {
public:
    using Lookup = std::function<std::optional<std::string>(const std::string& public_key_z85)>;

    ZapAuthenticator(zmq::context_t& ctx, Lookup lookup);
    ~ZapAuthenticator();
    ZapAuthenticator(const ZapAuthenticator&) = delete;
    ZapAuthenticator& operator=(const ZapAuthenticator&) = delete;

    std::uint64_t refused() const { return refused_.load(); }
    std::uint64_t admitted() const { return admitted_.load(); }

private:
    void run();

    zmq::context_t& ctx_;
    Lookup lookup_;
    zmq::socket_t socket_;
    std::atomic<bool> stop_{false};
    std::atomic<std::uint64_t> refused_{0};
    std::atomic<std::uint64_t> admitted_{0};
    std::thread thread_;
};

}  // namespace loa::transport
