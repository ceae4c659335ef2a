#pragma once

#include "loa/common/result.hpp"
#include "loa/transport/curve_keys.hpp"

#include <zmq.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace loa::transport {

// ZAP domain the scheduler's link socket authenticates in.
inline constexpr std::string_view kZapDomain = "loa";

// The scheduler's link socket: ROUTER, CURVE server, authenticated by the ZAP handler that must
// already run in `ctx` (ZapAuthenticator). Throws zmq::error_t when the endpoint cannot be bound.
zmq::socket_t make_scheduler_socket(zmq::context_t& ctx, const CurveKeyPair& server,
                                    const std::string& bind_endpoint);

// An agent's link socket: DEALER, CURVE client, reconnecting on its own with back-off, with
// ZMTP heartbeats so a dead link is noticed, connected to `endpoint`.
zmq::socket_t make_agent_socket(zmq::context_t& ctx, const CurveKeyPair& client,
                                const std::string& server_public_key, const std::string& endpoint);

// The endpoint a socket is bound to, with the real port when bound to port 0.
std::string last_endpoint(zmq::socket_t& socket);

// The station id the ZAP handler attached to a received message ("User-Id"), if any.
std::optional<std::string> user_id(const zmq::message_t& message);

}  // namespace loa::transport
