#include "loa/protocol/envelope.hpp"
#include "loa/transport/sockets.hpp"
#include "loa/transport/zap_authenticator.hpp"

#include <gtest/gtest.h>

#include <map>
#include <mutex>

using namespace loa::transport;
using namespace std::chrono_literals;

namespace {

// A scheduler socket on an ephemeral port with a ZAP allow-list of one station.
struct Server {
    zmq::context_t ctx;
    CurveKeyPair keys = CurveKeyPair::generate();
    std::map<std::string, std::string> allowed;
    std::mutex mu;
    ZapAuthenticator zap{ctx, [this](const std::string& key) -> std::optional<std::string> {
                             std::lock_guard lock{mu};
                             auto it = allowed.find(key);
                             if (it == allowed.end()) {
                                 return std::nullopt;
                             }
                             return it->second;
                         }};
    zmq::socket_t socket = make_scheduler_socket(ctx, keys, "tcp://127.0.0.1:*");
    std::string endpoint = last_endpoint(socket);
};

bool poll_in(zmq::socket_t& s, std::chrono::milliseconds timeout) {
    std::array<zmq::pollitem_t, 1> items{{{s.handle(), 0, ZMQ_POLLIN, 0}}};
    zmq::poll(items, timeout);
    return (items[0].revents & ZMQ_POLLIN) != 0;
}

}  // namespace

TEST(Transport, RegisteredAgentIsAdmittedWithItsStationId) {
    Server server;
    const auto agent_keys = CurveKeyPair::generate();
    {
        std::lock_guard lock{server.mu};
        server.allowed[agent_keys.public_key] = "30280";
    }
    zmq::context_t ctx;
    auto agent = make_agent_socket(ctx, agent_keys, server.keys.public_key, server.endpoint);
    agent.send(zmq::str_buffer("hello"), zmq::send_flags::none);

    ASSERT_TRUE(poll_in(server.socket, 5s));
    zmq::message_t routing;
    zmq::message_t payload;
    ASSERT_TRUE(server.socket.recv(routing));
    ASSERT_TRUE(server.socket.recv(payload));
    EXPECT_EQ(payload.to_string(), "hello");
    EXPECT_EQ(user_id(payload), std::optional<std::string>{"30280"});
    EXPECT_EQ(server.zap.admitted(), 1U);

    server.socket.send(routing, zmq::send_flags::sndmore);
    server.socket.send(zmq::str_buffer("welcome"), zmq::send_flags::none);
    ASSERT_TRUE(poll_in(agent, 5s));
    zmq::message_t reply;
    ASSERT_TRUE(agent.recv(reply));
    EXPECT_EQ(reply.to_string(), "welcome");
}

TEST(Transport, UnknownKeyIsRefusedAndNothingArrives) {
    Server server;
    zmq::context_t ctx;
    auto agent =
        make_agent_socket(ctx, CurveKeyPair::generate(), server.keys.public_key, server.endpoint);
    // The DEALER does not queue before a handshake completes (ZMQ_IMMEDIATE), so the send may
    // block; send without waiting and watch the refusal counter instead.
    (void)agent.send(zmq::str_buffer("hello"), zmq::send_flags::dontwait);
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (server.zap.refused() == 0 && std::chrono::steady_clock::now() < deadline) {
        ASSERT_FALSE(poll_in(server.socket, 50ms));
    }
    EXPECT_GE(server.zap.refused(), 1U);
    EXPECT_EQ(server.zap.admitted(), 0U);
    EXPECT_FALSE(poll_in(server.socket, 200ms));
}
