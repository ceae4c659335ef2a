#include "loa/transport/zap_authenticator.hpp"

#include "loa/common/logging.hpp"
#include "loa/transport/curve_keys.hpp"
#include "loa/transport/sockets.hpp"

#include <array>
#include <span>
#include <vector>

namespace loa::transport {
namespace {

constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";

std::string frame_text(const zmq::message_t& m) {
    return std::string{static_cast<const char*>(m.data()), m.size()};
}

}  // namespace

ZapAuthenticator::ZapAuthenticator(zmq::context_t& ctx, Lookup lookup)
    : ctx_{ctx}, lookup_{std::move(lookup)}, socket_{ctx, zmq::socket_type::rep} {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.bind(kZapEndpoint);
    thread_ = std::thread{[this] { run(); }};
}

ZapAuthenticator::~ZapAuthenticator() {
    stop_.store(true);
    if (thread_.joinable()) {
        thread_.join();
    }
}

void ZapAuthenticator::run() {
    pthread_setname_np(pthread_self(), "loa-zap");
    while (!stop_.load()) {
        std::array<zmq::pollitem_t, 1> items{{{socket_.handle(), 0, ZMQ_POLLIN, 0}}};
        try {
            zmq::poll(items, std::chrono::milliseconds{200});
        } catch (const zmq::error_t& e) {
            if (e.num() == ETERM) {
                return;
            }
            continue;
        }
        if ((items[0].revents & ZMQ_POLLIN) == 0) {
            continue;
        }
        // A ZAP request: version, request id, domain, address, identity, mechanism, credentials.
        std::vector<zmq::message_t> frames;
        do {
            zmq::message_t m;
            if (!socket_.recv(m, zmq::recv_flags::none)) {
                break;
            }
            frames.push_back(std::move(m));
        } while (frames.back().more());
        if (frames.size() < 6) {
            continue;  // not a ZAP request; REP needs no reply to a malformed one we cannot parse
        }
        const std::string version = frame_text(frames[0]);
        const std::string request_id = frame_text(frames[1]);
        const std::string domain = frame_text(frames[2]);
        const std::string address = frame_text(frames[3]);
        const std::string mechanism = frame_text(frames[5]);

        std::string status = "400";
        std::string text = "refused";
        std::string user;
        std::string key_text = "-";
        if (version != "1.0") {
            text = "unsupported ZAP version";
        } else if (domain != kZapDomain) {
            text = "unknown ZAP domain";
        } else if (mechanism != "CURVE" || frames.size() < 7 || frames[6].size() != 32) {
            text = "only CURVE is accepted";
        } else {
            key_text = encode_curve_key(
                std::span<const std::uint8_t, 32>{frames[6].data<std::uint8_t>(), 32});
            if (auto station = lookup_(key_text)) {
                status = "200";
                text = "OK";
                user = *station;
            } else {
                text = "key is not registered to any station";
            }
        }
        if (status == "200") {
            admitted_.fetch_add(1);
            spdlog::debug("link: admitted station {} from {}", user, address);
        } else {
            refused_.fetch_add(1);
            spdlog::warn("link: refused connection from {} (key {}, mechanism {}): {}", address,
                         key_text, mechanism, text);
        }
        socket_.send(zmq::buffer(version), zmq::send_flags::sndmore);
        socket_.send(zmq::buffer(request_id), zmq::send_flags::sndmore);
        socket_.send(zmq::buffer(status), zmq::send_flags::sndmore);
        socket_.send(zmq::buffer(text), zmq::send_flags::sndmore);
        socket_.send(zmq::buffer(user), zmq::send_flags::sndmore);
        socket_.send(zmq::str_buffer(""), zmq::send_flags::none);
    }
}

}  // namespace loa::transport
