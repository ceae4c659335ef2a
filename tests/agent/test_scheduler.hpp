#pragma once

#include "loa/protocol/envelope.hpp"
#include "loa/transport/sockets.hpp"
#include "loa/transport/zap_authenticator.hpp"

#include <gtest/gtest.h>
#include <zmq.hpp>

#include <array>
#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <thread>

namespace loa::agent::test {

// The scheduler's end of the link, by hand: a CURVE ROUTER on an ephemeral port of 127.0.0.1
// that admits one agent key as station "30280".
class TestScheduler {
public:
    explicit TestScheduler(std::string agent_public_key, std::string station = "30280")
        : agent_key_{std::move(agent_public_key)},
          station_{std::move(station)},
          zap_{ctx_, [this](const std::string& key) -> std::optional<std::string> {
                   if (key == agent_key_) {
                       return station_;
                   }
                   return std::nullopt;
               }} {
        socket_.emplace(transport::make_scheduler_socket(ctx_, keys_, "tcp://127.0.0.1:*"));
        endpoint_ = transport::last_endpoint(*socket_);
    }

    const std::string& endpoint() const { return endpoint_; }
    const transport::CurveKeyPair& keys() const { return keys_; }

    // Drops every connection (as a crashed scheduler or a lost 3G link would) and listens again
    // on the same endpoint.
    void restart() {
        socket_.reset();
        routing_.reset();
        // ZeroMQ closes the old listener on its I/O thread: retry until the port is free.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{5};
        for (;;) {
            try {
                socket_.emplace(transport::make_scheduler_socket(ctx_, keys_, endpoint_));
                return;
            } catch (const zmq::error_t& e) {
                if (e.num() != EADDRINUSE || std::chrono::steady_clock::now() > deadline) {
                    throw;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds{10});
            }
        }
    }

    // The next message from the agent, waiting up to `timeout`.
    std::optional<wire::Envelope> receive(std::chrono::milliseconds timeout = std::chrono::seconds{
                                              5}) {
        std::array<zmq::pollitem_t, 1> items{{{socket_->handle(), 0, ZMQ_POLLIN, 0}}};
        zmq::poll(items, timeout);
        if ((items[0].revents & ZMQ_POLLIN) == 0) {
            return std::nullopt;
        }
        zmq::message_t routing;
        zmq::message_t payload;
        EXPECT_TRUE(socket_->recv(routing));
        EXPECT_TRUE(socket_->recv(payload));
        EXPECT_EQ(transport::user_id(payload), std::optional<std::string>{station_});
        routing_ = routing.to_string();
        auto env = protocol::decode({payload.data<std::uint8_t>(), payload.size()});
        EXPECT_TRUE(env.ok()) << (env ? "" : env.error().message);
        if (!env) {
            return std::nullopt;
        }
        return std::move(env).value();
    }

    // The next message with body `body`, waiting up to `timeout`. Messages of other kinds that
    // arrive meanwhile are kept, in order, for later calls.
    std::optional<wire::Envelope> expect(wire::Envelope::BodyCase body,
                                         std::chrono::milliseconds timeout = std::chrono::seconds{
                                             5}) {
        for (auto it = backlog_.begin(); it != backlog_.end(); ++it) {
            if (it->body_case() == body) {
                auto env = std::move(*it);
                backlog_.erase(it);
                return env;
            }
        }
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                return std::nullopt;
            }
            auto env = receive(left);
            if (!env) {
                return std::nullopt;
            }
            if (env->body_case() == body) {
                return env;
            }
            backlog_.push_back(std::move(*env));
        }
    }

    // Forgets the kept messages of kind `body`.
    void discard(wire::Envelope::BodyCase body) {
        std::erase_if(backlog_, [&](const wire::Envelope& e) { return e.body_case() == body; });
    }

    void send(wire::Envelope env) {
        env.set_version(protocol::kProtocolVersion);
        env.set_seq(++seq_);
        send_raw(protocol::encode(env));
    }

    void send_raw(const std::string& bytes) {
        ASSERT_TRUE(routing_.has_value()) << "the agent has not spoken yet";
        socket_->send(zmq::buffer(*routing_), zmq::send_flags::sndmore);
        socket_->send(zmq::buffer(bytes), zmq::send_flags::none);
    }

    void welcome(std::int64_t server_time_us, std::uint32_t heartbeat_s = 1,
                 std::uint64_t revision = 0) {
        wire::Envelope env;
        auto* w = env.mutable_welcome();
        w->set_station_id(station_);
        w->set_server_time_us(server_time_us);
        w->set_heartbeat_interval_s(heartbeat_s);
        w->set_timeline_revision(revision);
        send(std::move(env));
    }

private:
    zmq::context_t ctx_;
    std::string agent_key_;
    std::string station_;
    transport::CurveKeyPair keys_ = transport::CurveKeyPair::generate();
    transport::ZapAuthenticator zap_;
    std::optional<zmq::socket_t> socket_;
    std::string endpoint_;
    std::optional<std::string> routing_;
    std::deque<wire::Envelope> backlog_;
    std::uint64_t seq_ = 0;
};

}  // namespace loa::agent::test
