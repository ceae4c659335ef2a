#pragma once

#include "loa/common/clock.hpp"
#include "loa/scheduler/link_events.hpp"
#include "loa/scheduler/scheduler_keys.hpp"
#include "loa/scheduler/scheduler_store.hpp"
#include "loa/transport/zap_authenticator.hpp"
#include "loa/wire/loa.pb.h"

#include <zmq.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace loa::scheduler {

struct LinkServerOptions {
    std::string listen = "tcp://0.0.0.0:8641";  // ZeroMQ endpoint to bind (port 0 / * allowed)
    std::string database;                       // the store's file (the link opens its own)
    std::filesystem::path assets_dir;           // where <sha256>.opus files are served from
    std::chrono::seconds heartbeat_interval{10};
    Duration horizon = std::chrono::hours{24 * 7};
    // How often every timeline is recompiled, so entries that enter the horizon are sent and
    // items older than an hour leave it. Measured on the injected clock.
    Duration recompile_interval = std::chrono::minutes{1};
};

// The scheduler's end of the link (docs/protocol.md): the ROUTER socket, the ZAP allow-list of
// station keys, and the thread "loa-link" that answers agents, pushes signed timelines, serves
// asset chunks and stores as-run records.
//
// Threads: the constructor, start(), stop() and the destructor are called from one owning
// thread. station_registered(), timelines_changed(), recompile_all(), endpoint() and the
// counters are thread-safe. Everything else runs on "loa-link", which alone uses the socket and
// the link's own SchedulerStore connection (opened by the constructor). ZAP lookups run on
// "loa-zap" against a map guarded by a mutex.
class LinkServer final : public ILinkEvents {
public:
    // Opens the store, loads the registered keys and binds the socket. Start-up: throws
    // StoreError, or zmq::error_t when the endpoint cannot be bound.
    LinkServer(LinkServerOptions options, const SchedulerKeys& keys, const IClock& clock);
    ~LinkServer() override;
    LinkServer(const LinkServer&) = delete;
    LinkServer& operator=(const LinkServer&) = delete;

    // The endpoint actually bound, with the real port ("tcp://127.0.0.1:40123").
    const std::string& endpoint() const { return endpoint_; }

    void start();
    // Stops the thread; idempotent.
    void stop();

    void station_registered(const std::string& station_id, const std::string& public_key) override;
    void timelines_changed(const std::vector<std::string>& station_ids) override;
    // Recompiles every timeline now, as the periodic pass does, and pushes what changed.
    void recompile_all();

    // Liveness for the systemd watchdog: ping() wakes the link thread and answers a number that
    // answered() reports once the thread has gone round its loop after the ping.
    std::uint64_t ping();
    bool answered(std::uint64_t ping) const { return pongs_.load() >= ping; }

    // Messages answered with a Refusal so far.
    std::uint64_t refusals() const { return refusals_.load(); }
    std::uint64_t connections_refused() const { return zap_.refused(); }

private:
    struct Session {
        std::string routing_id;
        std::uint64_t sent_revision = 0;  // newest revision the agent holds or was sent
        TimePoint last_timeline_sent{};
    };

    void run();
    void handle_wakeup();
    void receive_all();
    void handle_message(const std::string& routing_id, const std::string& station_id,
                        const zmq::message_t& payload);
    void on_hello(const std::string& station_id, Session& session, const wire::Hello& hello);
    void on_heartbeat(const std::string& station_id, Session& session,
                      const wire::Heartbeat& heartbeat);
    void on_timeline_ack(const std::string& routing_id, const std::string& station_id,
                         const wire::TimelineAck& ack);
    void on_asset_request(const std::string& routing_id, const std::string& station_id,
                          const wire::AssetRequest& request);
    void on_as_run_report(const std::string& routing_id, const std::string& station_id,
                          const wire::AsRunReport& report);
    void push_timelines(const std::vector<std::string>& station_ids, bool force);
    void send_timeline(const std::string& station_id, Session& session,
                       const StationTimeline& timeline);
    void refuse(const std::string& routing_id, const std::string& reason);
    bool send(const std::string& routing_id, wire::Envelope& envelope);
    wire::Envelope envelope();
    void wake();

    LinkServerOptions options_;
    SchedulerKeys keys_;
    const IClock& clock_;
    SchedulerStore store_;

    mutable std::mutex keys_mutex_;
    std::unordered_map<std::string, std::string> station_by_key_;

    zmq::context_t ctx_;
    transport::ZapAuthenticator zap_;
    zmq::socket_t socket_;
    std::string endpoint_;
    int wake_fd_ = -1;

    std::mutex pending_mutex_;
    std::set<std::string> pending_stations_;
    bool pending_all_ = false;

    std::map<std::string, Session> sessions_;  // by station id; link thread only
    std::uint64_t seq_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<std::uint64_t> refusals_{0};
    std::atomic<std::uint64_t> pings_{0};
    std::atomic<std::uint64_t> pongs_{0};
    std::thread thread_;
};

}  // namespace loa::scheduler
