#pragma once

#include "loa/common/clock.hpp"
#include "loa/transport/curve_keys.hpp"
#include "loa/wire/loa.pb.h"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace zmq {
class context_t;
}

namespace loa {
class ClockOffsetEstimator;
}

namespace loa::agent {

class AgentStore;
class AssetCache;
class StationTelemetry;

struct LinkOptions {
    std::string endpoint;              // the scheduler's link endpoint, "tcp://host:8641"
    std::string scheduler_public_key;  // CURVE, Z85
    std::string signing_key;           // the scheduler's Ed25519 signing key, hex
    transport::CurveKeyPair agent_keys;
    std::string software_version;
    // Until the scheduler's Welcome says otherwise.
    std::chrono::seconds heartbeat_interval{10};
    // Wait before asking again for an asset the scheduler could not serve or whose download did
    // not hash to its id.
    Duration retry_delay = std::chrono::seconds{5};
    // The station this agent is meant to be ([station] id); only compared for a log line.
    std::string expected_station_id;
    // Clock exchanges: one every `time_sync_interval` (0: every heartbeat interval), and one a
    // second for the first `time_sync_burst` after each Welcome.
    Duration time_sync_interval{};
    std::size_t time_sync_burst = 8;
    Duration time_sync_burst_interval = std::chrono::seconds{1};
};

// Numbers about the link, for logs and tests. Any thread.
struct LinkStats {
    bool welcomed = false;
    std::uint64_t timeline_revision = 0;
    std::uint64_t hellos_sent = 0;
    std::uint64_t timelines_refused = 0;
    std::uint64_t deltas_applied = 0;  // revisions made from a signed delta
    std::uint64_t assets_verified = 0;
    std::uint64_t asset_failures = 0;  // error chunks and hash mismatches
    std::int64_t clock_offset_us = 0;  // scheduler clock minus ours, at the last Welcome
    // Clock synchronisation (when set_clock_sync() was called).
    std::uint64_t time_requests_sent = 0;
    std::uint64_t time_exchanges = 0;          // answers the estimator accepted
    std::uint64_t time_exchanges_refused = 0;  // answers refused (unknown t1, absurd delay, ...)
    std::uint64_t events_sent = 0;             // station events sent (repeats included)
    std::uint64_t events_acknowledged = 0;
    std::uint64_t heartbeats_sent = 0;
    std::int64_t last_heard_us = 0;  // when the scheduler was last heard (any message); 0: never
};

// The agent's side of the link (docs/protocol.md): a DEALER socket with CurveZMQ on its own
// thread "loa-link". Says Hello (at start, on every reconnect, and after three heartbeat
// intervals without hearing the scheduler), sends heartbeats, verifies, stores and acknowledges
// signed timelines, downloads the assets they name (4 requests of 64 KiB in flight at most,
// resuming from the partial file), sends the as-run and station-event outboxes until each
// record is acknowledged, and (with set_clock_sync()) keeps the agent's clock estimate in step
// with the scheduler's. Malformed or unexpected input is logged and refused; it changes nothing.
//
// Threads: the constructor, set_*(), start() and stop() from the control thread; wake() and
// stats() from any thread. The timeline handler runs on "loa-link".
class LinkClient {
public:
    using TimelineHandler = std::function<void(const wire::Timeline&)>;
    using UnderrunCounter = std::function<std::uint64_t()>;
    // Receives LiveStart, LiveFrame and LiveStop envelopes, on "loa-link".
    using LiveHandler = std::function<void(const wire::Envelope&)>;

    LinkClient(LinkOptions options, AgentStore& store, AssetCache& cache, const IClock& clock);
    ~LinkClient();
    LinkClient(const LinkClient&) = delete;
    LinkClient& operator=(const LinkClient&) = delete;

    // Called with every new timeline once it is stored and acknowledged (before start()).
    void set_timeline_handler(TimelineHandler handler);
    // Shares a ZeroMQ context with other clients (many agents in one process) instead of making
    // its own (before start()).
    void set_context(std::shared_ptr<zmq::context_t> context);
    // Where heartbeats read the audio underrun count (before start()).
    void set_underrun_counter(UnderrunCounter counter);
    // Where live messages go (before start()); without one they are ignored.
    void set_live_handler(LiveHandler handler);
    // Synchronises `estimator` to the scheduler's clock with four-timestamp exchanges
    // (TimeRequest/TimeResponse); `local` is the clock the estimator corrects, which stamps t1
    // and t4. Heartbeats then report the offset (before start()).
    void set_clock_sync(ClockOffsetEstimator& estimator, const IClock& local);
    // Heartbeats carry this telemetry, it is polled once a second on the link thread, and the
    // station events it queues are sent at once (before start()).
    void set_telemetry(StationTelemetry& telemetry);

    // Connects and starts the link thread. Throws zmq::error_t on a malformed endpoint.
    void start();
    // Stops the thread and closes the socket. Idempotent.
    void stop();

    // New as-run records are in the outbox: send them now. Any thread.
    void wake();

    LinkStats stats() const;
    // Passes of the link loop so far (a watchdog sees it move). Any thread.
    std::uint64_t loops() const { return loops_.load(); }

    struct Session;

private:
    void run();

    LinkOptions options_;
    AgentStore& store_;
    AssetCache& cache_;
    const IClock& clock_;
    TimelineHandler on_timeline_;
    UnderrunCounter underruns_;
    LiveHandler on_live_;
    ClockOffsetEstimator* estimator_ = nullptr;
    const IClock* local_clock_ = nullptr;
    StationTelemetry* telemetry_ = nullptr;
    std::shared_ptr<zmq::context_t> shared_context_;
    int wake_fd_ = -1;
    std::atomic<bool> stop_{false};
    std::atomic<std::uint64_t> loops_{0};
    std::unique_ptr<Session> session_;
    std::thread thread_;
};

}  // namespace loa::agent
