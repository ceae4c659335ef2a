#pragma once

#include "loa/common/clock.hpp"
#include "loa/transport/curve_keys.hpp"
#include "loa/wire/loa.pb.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace loa::agent {

class AgentStore;
class AssetCache;

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
};

// Numbers about the link, for logs and tests. Any thread.
struct LinkStats {
    bool welcomed = false;
    std::uint64_t timeline_revision = 0;
    std::uint64_t hellos_sent = 0;
    std::uint64_t timelines_refused = 0;
    std::uint64_t assets_verified = 0;
    std::uint64_t asset_failures = 0;  // error chunks and hash mismatches
    std::int64_t clock_offset_us = 0;  // scheduler clock minus ours, at the last Welcome
};

// The agent's side of the link (docs/protocol.md): a DEALER socket with CurveZMQ on its own
// thread "loa-link". Says Hello (at start, on every reconnect, and after three heartbeat
// intervals without hearing the scheduler), sends heartbeats, verifies, stores and acknowledges
// signed timelines, downloads the assets they name (4 requests of 64 KiB in flight at most,
// resuming from the partial file), and sends the as-run outbox until each record is
// acknowledged. Malformed or unexpected input is logged and refused; it changes nothing.
//
// Threads: the constructor, set_*(), start() and stop() from the control thread; wake() and
// stats() from any thread. The timeline handler runs on "loa-link".
class LinkClient {
public:
    using TimelineHandler = std::function<void(const wire::Timeline&)>;
    using UnderrunCounter = std::function<std::uint64_t()>;

    LinkClient(LinkOptions options, AgentStore& store, AssetCache& cache, const IClock& clock);
    ~LinkClient();
    LinkClient(const LinkClient&) = delete;
    LinkClient& operator=(const LinkClient&) = delete;

    // Called with every new timeline once it is stored and acknowledged (before start()).
    void set_timeline_handler(TimelineHandler handler);
    // Where heartbeats read the audio underrun count (before start()).
    void set_underrun_counter(UnderrunCounter counter);

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
    int wake_fd_ = -1;
    std::atomic<bool> stop_{false};
    std::atomic<std::uint64_t> loops_{0};
    std::unique_ptr<Session> session_;
    std::thread thread_;
};

}  // namespace loa::agent
