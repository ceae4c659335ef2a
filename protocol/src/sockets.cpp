#include "loa/transport/sockets.hpp"

namespace loa::transport {

zmq::socket_t make_scheduler_socket(zmq::context_t& ctx, const CurveKeyPair& server,
                                    const std::string& bind_endpoint) {
    zmq::socket_t socket{ctx, zmq::socket_type::router};
    socket.set(zmq::sockopt::curve_server, 1);
    socket.set(zmq::sockopt::curve_secretkey, server.secret_key);
    socket.set(zmq::sockopt::zap_domain, std::string{kZapDomain});
    // A reconnecting agent takes over its old routing id instead of being dropped.
    socket.set(zmq::sockopt::router_handover, 1);
    // Sending to a peer that is gone fails instead of vanishing silently.
    socket.set(zmq::sockopt::router_mandatory, 1);
    socket.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(1) << 20);
    // No ZMTP heartbeats on this side: libzmq cancels a connection's heartbeat timer on every
    // message it receives by a linear search of the I/O thread's timers, which grows with the
    // square of the connections (10,000 agents saturated the I/O thread). Agents ping; the
    // application's own rule (3 missed heartbeats) says offline, and TCP keepalive reaps
    // connections whose peer vanished without a FIN.
    socket.set(zmq::sockopt::tcp_keepalive, 1);
    socket.set(zmq::sockopt::tcp_keepalive_idle, 60);
    socket.set(zmq::sockopt::tcp_keepalive_intvl, 10);
    socket.set(zmq::sockopt::tcp_keepalive_cnt, 3);
    socket.set(zmq::sockopt::handshake_ivl, 30000);
    socket.set(zmq::sockopt::sndhwm, 10000);
    socket.set(zmq::sockopt::linger, 0);
    socket.bind(bind_endpoint);
    return socket;
}

zmq::socket_t make_agent_socket(zmq::context_t& ctx, const CurveKeyPair& client,
                                const std::string& server_public_key, const std::string& endpoint) {
    zmq::socket_t socket{ctx, zmq::socket_type::dealer};
    socket.set(zmq::sockopt::curve_serverkey, server_public_key);
    socket.set(zmq::sockopt::curve_publickey, client.public_key);
    socket.set(zmq::sockopt::curve_secretkey, client.secret_key);
    socket.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(1) << 20);
    // 3G/4G links drop: reconnect quickly at first, then back off to 30 s.
    socket.set(zmq::sockopt::reconnect_ivl, 500);
    socket.set(zmq::sockopt::reconnect_ivl_max, 30000);
    // The agent pings every 5 s and drops a link silent for 20 s, then reconnects. No TTL is
    // asked of the scheduler (see make_scheduler_socket: it keeps no timer per connection).
    socket.set(zmq::sockopt::heartbeat_ivl, 5000);
    socket.set(zmq::sockopt::heartbeat_timeout, 20000);
    // Queue nothing for a link that is down: the outbox and requests are resent after Welcome.
    socket.set(zmq::sockopt::immediate, 1);
    socket.set(zmq::sockopt::linger, 0);
    socket.connect(endpoint);
    return socket;
}

std::string last_endpoint(zmq::socket_t& socket) {
    return socket.get(zmq::sockopt::last_endpoint);
}

std::optional<std::string> user_id(const zmq::message_t& message) {
    const char* id = zmq_msg_gets(message.handle(), "User-Id");
    if (id == nullptr || *id == '\0') {
        return std::nullopt;
    }
    return std::string{id};
}

}  // namespace loa::transport
