#pragma once

#include "loa/common/clock.hpp"
#include "loa/scheduler/link_events.hpp"
#include "loa/scheduler/scheduler_keys.hpp"
#include "loa/scheduler/scheduler_store.hpp"
#include "loa/transport/zap_authenticator.hpp"
#include "loa/wire/loa.pb.h"

#include <zmq.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace loa::scheduler {

class LiveFanout;

// What the link's bytes carried, for its traffic counters (/metrics).
enum class LinkTraffic : std::uint8_t {
    timeline,     // whole timelines (TimelineUpdate)
    delta,        // timeline deltas (TimelineDeltaUpdate)
    asset_chunk,  // asset data (AssetChunk)
    live,         // live audio frames and live session messages
    other,        // everything else: Welcome, acknowledgements, clock answers, refusals
};
inline constexpr std::size_t kLinkTrafficKinds = 5;
// "timeline", "delta", "asset_chunk", "live", "other".
const char* link_traffic_name(LinkTraffic kind);

struct LinkServerOptions {
    std::string listen = "tcp://0.0.0.0:8641";  // ZeroMQ endpoint to bind (port 0 / * allowed)
    std::string database;                       // the store's file (the link opens its own)
    std::filesystem::path assets_dir;           // where <sha256>.opus files are served from
    std::chrono::seconds heartbeat_interval{10};
    // Not used by the link any more: the Planner compiles timelines over its horizon and the
    // link sends the revisions it stored.
    Duration horizon = std::chrono::hours{24 * 7};
};

// The scheduler's end of the link (docs/protocol.md): the ROUTER socket, the ZAP allow-list of
// station keys, and the thread "loa-link" that answers agents, pushes signed timelines, serves
// asset chunks and stores as-run records.
//
// The link compiles nothing: it sends the revisions the Planner stored
// (SchedulerStore::latest_timeline). To an agent that accepts deltas and holds (or was just
// sent) a revision still kept (timeline_at), it sends a signed TimelineDeltaUpdate; otherwise,
// and always when a Heartbeat shows an agent still on an older revision after an update was
// sent (a delta refused or lost), the whole signed timeline.
//
// It answers clock exchanges (TimeRequest: t2 stamped when the message is read off the socket,
// t3 just before the answer is sent), stores each heartbeat's telemetry and each StationEvent
// once (acknowledging them), and marks a station offline once nothing was heard from it for 3
// heartbeat intervals, online again when it is heard (docs/protocol.md, Telemetry).
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
    // Pushes the newest stored revision to every connected station that does not hold it (the
    // name is older than the Planner, which now does the compiling).
    void recompile_all();
    // Queues a live message on the live fan-out (any thread); the link thread sends it.
    void send_live(const std::vector<std::string>& station_ids,
                   const wire::Envelope& envelope) override;
    // Live messages sent to agents, and dropped (a station's queue overflowed or its socket
    // pipe was full, or it was not connected).
    std::uint64_t live_sent() const;
    std::uint64_t live_dropped() const;

    // Liveness for the systemd watchdog: ping() wakes the link thread and answers a number that
    // answered() reports once the thread has gone round its loop after the ping.
    std::uint64_t ping();
    bool answered(std::uint64_t ping) const { return pongs_.load() >= ping; }

    // Messages answered with a Refusal so far.
    std::uint64_t refusals() const { return refusals_.load(); }
    std::uint64_t connections_refused() const { return zap_.refused(); }
    // Timelines sent so far, whole and as deltas.
    std::uint64_t timelines_sent() const { return timelines_sent_.load(); }
    std::uint64_t deltas_sent() const { return deltas_sent_.load(); }
    // Clock exchanges answered, station events stored (new ones), stations online now.
    std::uint64_t time_requests_answered() const { return time_answers_.load(); }
    std::uint64_t station_events_stored() const { return events_stored_.load(); }
    std::size_t stations_online() const { return stations_online_.load(); }
    // Bytes of the messages (serialized Envelopes, without the routing frame and CURVE's own
    // overhead) handed to the socket, by kind, and read from it.
    std::uint64_t bytes_sent(LinkTraffic kind) const {
        return bytes_sent_[static_cast<std::size_t>(kind)].load();
    }
    std::uint64_t bytes_received() const { return bytes_received_.load(); }

private:
    struct Session {
        std::string routing_id;
        bool accepts_deltas = false;      // its Hello said so
        std::uint64_t held_revision = 0;  // as it last said (Hello, Heartbeat, TimelineAck)
        std::uint64_t sent_revision = 0;  // newest revision the agent holds or was sent
        bool whole_next = false;          // it refused a timeline: the next one goes whole
        TimePoint last_timeline_sent{};
    };
    // Liveness of a station heard from since start (or marked online in the store at start): it
    // is offline once nothing was heard for 3 heartbeat intervals.
    struct Liveness {
        TimePoint last_heard{};
        bool online = false;
    };
    // The asset ids one revision of a station's timeline names.
    struct NamedAssets {
        std::uint64_t revision = 0;
        std::set<std::string> ids;
    };

    void run();
    void handle_wakeup();
    void send_live_queued();
    void receive_all();
    // Stores the heartbeats of one receive_all in one transaction: with thousands of agents a
    // commit per heartbeat would cost more than the rest together. Only heartbeats wait for it:
    // any other message stores the waiting ones first, and whatever is acknowledged (as-run,
    // events, timeline acks) is committed before its answer.
    void store_heartbeats();
    // `received` is the scheduler's clock when the message was read off the socket (t2).
    void handle_message(const std::string& routing_id, const std::string& station_id,
                        const zmq::message_t& payload, TimePoint received);
    void heard_from(const std::string& station_id, TimePoint now);
    void check_liveness(TimePoint now);
    void on_time_request(const std::string& routing_id, const wire::TimeRequest& request,
                         TimePoint received);
    void on_station_events(const std::string& routing_id, const std::string& station_id,
                           const wire::StationEventReport& report);
    void on_hello(const std::string& station_id, Session& session, const wire::Hello& hello);
    void on_heartbeat(const std::string& station_id, Session& session,
                      const wire::Heartbeat& heartbeat);
    void on_timeline_ack(const std::string& routing_id, const std::string& station_id,
                         const wire::TimelineAck& ack);
    void on_asset_request(const std::string& routing_id, const std::string& station_id,
                          const wire::AssetRequest& request);
    void on_as_run_report(const std::string& routing_id, const std::string& station_id,
                          const wire::AsRunReport& report);
    void push_timelines(const std::vector<std::string>& station_ids);
    // Sends the newest revision: a delta when allowed and possible, else whole.
    void send_timeline(const std::string& station_id, Session& session,
                       const SchedulerStore::StoredTimeline& latest, bool whole);
    bool send_delta(const std::string& station_id, Session& session,
                    const SchedulerStore::StoredTimeline& latest, const wire::Timeline& target);
    bool asset_named(const std::string& station_id, const Session& session,
                     const std::string& asset_id);
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
    std::unique_ptr<LiveFanout> live_;  // live messages, apart from the rest

    std::mutex pending_mutex_;
    std::set<std::string> pending_stations_;
    bool pending_all_ = false;

    std::map<std::string, Session> sessions_;  // by station id; link thread only
    struct PendingBeat {
        std::string station_id;
        StationStatus status;
        TimePoint at{};
        std::optional<StationHealth> health;  // when the heartbeat carried telemetry
    };
    std::vector<PendingBeat> pending_beats_;  // link thread only; stored by store_heartbeats()
    std::map<std::string, NamedAssets> named_assets_;  // by station id; link thread only
    std::map<std::string, Liveness> liveness_;         // by station id; link thread only
    std::uint64_t seq_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<std::uint64_t> refusals_{0};
    std::atomic<std::uint64_t> pings_{0};
    std::atomic<std::uint64_t> pongs_{0};
    std::atomic<std::uint64_t> timelines_sent_{0};
    std::atomic<std::uint64_t> deltas_sent_{0};
    std::atomic<std::uint64_t> time_answers_{0};
    std::atomic<std::uint64_t> events_stored_{0};
    std::atomic<std::size_t> stations_online_{0};
    std::array<std::atomic<std::uint64_t>, kLinkTrafficKinds> bytes_sent_{};
    std::atomic<std::uint64_t> bytes_received_{0};
    std::thread thread_;
};

}  // namespace loa::scheduler
