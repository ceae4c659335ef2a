#include "loa/agent/link_client.hpp"

#include "loa/agent/agent_store.hpp"
#include "loa/agent/asset_cache.hpp"
#include "loa/agent/log_context.hpp"
#include "loa/agent/signed_timeline.hpp"
#include "loa/agent/station_telemetry.hpp"
#include "loa/common/clock_offset.hpp"
#include "loa/common/time_format.hpp"
#include "loa/protocol/envelope.hpp"
#include "loa/protocol/timeline_delta.hpp"
#include "loa/transport/sockets.hpp"

#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <zmq.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <span>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace loa::agent {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kMaxRequestsInFlight = 4;
constexpr std::uint32_t kRequestBytes = 64 * 1024;
constexpr std::size_t kAsRunBatch = 50;
constexpr std::size_t kMaxReportsInFlight = 4;
constexpr std::uint64_t kMaxAssetBytes = std::uint64_t{2} << 30;
constexpr auto kPollInterval = 100ms;
constexpr std::size_t kEventBatch = 50;
constexpr auto kTelemetryPoll = 1s;
// Time requests whose answer is still awaited; older ones are forgotten.
constexpr std::size_t kMaxTimeRequests = 16;
// Each client's monitor needs its own inproc name: clients may share one ZeroMQ context.
std::atomic<std::uint64_t> monitor_count{0};

struct ChunkRequest {
    std::string asset_id;
    std::uint64_t offset = 0;
    std::uint32_t length = 0;
    TimePoint sent_at{};
};

struct Download {
    std::string asset_id;
    std::uint64_t total = 0;  // 0 while unknown
    TimePoint retry_at{};
};

}  // namespace

// Everything the link thread owns.
struct LinkClient::Session {
    explicit Session(LinkClient& owner) : self{owner} {}

    LinkClient& self;
    std::shared_ptr<zmq::context_t> ctx;
    std::optional<zmq::socket_t> socket;
    std::optional<zmq::socket_t> monitor;
    std::uint64_t seq = 0;

    bool welcomed = false;
    bool hello_due = true;
    bool hello_since_connect = false;  // a Hello went out on the current connection
    bool connected_once = false;
    std::string station_id;
    Duration heartbeat{};
    TimePoint last_heard{};
    TimePoint last_hello{};
    TimePoint next_heartbeat{};

    std::optional<wire::Timeline> timeline;
    std::vector<Download> downloads;
    std::vector<ChunkRequest> chunk_requests;
    std::map<std::string, TimePoint> reports_in_flight;  // record id -> sent at
    bool outbox_dirty = true;
    bool events_dirty = true;
    std::map<std::string, TimePoint> events_in_flight;  // event id -> sent at

    // Clock exchanges.
    std::deque<std::int64_t> time_requests;  // t1 of requests awaiting an answer, oldest first
    TimePoint next_time_request{};
    std::size_t burst_left = 0;
    TimePoint next_telemetry_poll{};

    mutable std::mutex stats_mu;
    LinkStats stats;

    // --- sending ---

    bool send(const wire::Envelope& env) {
        const std::string bytes = protocol::encode(env);
        try {
            const auto sent = socket->send(zmq::buffer(bytes), zmq::send_flags::dontwait);
            if (!sent) {
                spdlog::debug("link: {} not sent: no connection to the scheduler",
                              protocol::body_name(env));
                return false;
            }
        } catch (const zmq::error_t& e) {
            spdlog::warn("link: sending {} failed: {}", protocol::body_name(env), e.what());
            return false;
        }
        return true;
    }

    wire::Envelope envelope() { return protocol::make_envelope(++seq, self.clock_.now()); }

    void refuse(const std::string& reason) {
        auto env = envelope();
        env.mutable_refusal()->set_reason(reason);
        send(env);
    }

    std::uint64_t revision() const { return timeline ? timeline->revision() : 0; }

    void send_hello(TimePoint now) {
        auto env = envelope();
        auto* hello = env.mutable_hello();
        hello->set_software_version(self.options_.software_version);
        hello->set_timeline_revision(revision());
        hello->set_outbox_depth(static_cast<std::uint32_t>(outbox_depth()));
        hello->set_accepts_deltas(true);
        last_hello = now;
        if (send(env)) {
            hello_due = false;
            hello_since_connect = true;
            std::lock_guard lock{stats_mu};
            ++stats.hellos_sent;
        }
    }

    std::size_t outbox_depth() const {
        try {
            return self.store_.outbox_depth();
        } catch (const StoreError& e) {
            spdlog::error("link: {}", e.what());
            return 0;
        }
    }

    void send_heartbeat() {
        auto env = envelope();
        auto* hb = env.mutable_heartbeat();
        hb->set_timeline_revision(revision());
        hb->set_outbox_depth(static_cast<std::uint32_t>(outbox_depth()));
        hb->set_assets_missing(static_cast<std::uint32_t>(assets_missing()));
        hb->set_underruns(self.underruns_ ? self.underruns_() : 0);
        if (self.telemetry_ != nullptr) {
            self.telemetry_->fill_heartbeat(*hb);
        }
        if (self.estimator_ != nullptr) {
            const auto& e = *self.estimator_;
            hb->set_telemetry(true);
            hb->set_clock_offset_us(
                std::chrono::duration_cast<std::chrono::microseconds>(e.offset()).count());
            hb->set_clock_jitter_us(
                std::chrono::duration_cast<std::chrono::microseconds>(e.jitter()).count());
            hb->set_clock_synced(e.synchronized() && e.consistent());
        }
        send(env);
        std::lock_guard lock{stats_mu};
        ++stats.heartbeats_sent;
    }

    // --- clock exchanges ---

    void send_time_request(TimePoint now) {
        auto env = envelope();
        const std::int64_t t1 = to_unix_us(self.local_clock_->now());
        env.mutable_time_request()->set_t1_us(t1);
        const bool bursting = burst_left > 0;
        if (bursting) {
            --burst_left;
        }
        const Duration every = self.options_.time_sync_interval > Duration::zero()
                                   ? self.options_.time_sync_interval
                                   : heartbeat;
        next_time_request = now + (bursting ? self.options_.time_sync_burst_interval : every);
        if (!send(env)) {
            return;
        }
        time_requests.push_back(t1);
        while (time_requests.size() > kMaxTimeRequests) {
            time_requests.pop_front();
        }
        std::lock_guard lock{stats_mu};
        ++stats.time_requests_sent;
    }

    // t4 was stamped on the local clock when the message was read off the socket.
    void on_time_response(const wire::TimeResponse& response, TimePoint t4) {
        if (self.estimator_ == nullptr) {
            return;
        }
        const auto it = std::find(time_requests.begin(), time_requests.end(), response.t1_us());
        if (it == time_requests.end()) {
            spdlog::debug("link: time response for a request not sent (or answered) ignored");
            std::lock_guard lock{stats_mu};
            ++stats.time_exchanges_refused;
            return;
        }
        time_requests.erase(it);
        auto sample = self.estimator_->add_exchange(from_unix_us(response.t1_us()),
                                                    from_unix_us(response.t2_us()),
                                                    from_unix_us(response.t3_us()), t4);
        std::lock_guard lock{stats_mu};
        if (!sample) {
            spdlog::debug("link: clock exchange refused: {}", sample.error().message);
            ++stats.time_exchanges_refused;
            return;
        }
        ++stats.time_exchanges;
        spdlog::debug(
            "link: clock exchange: offset {:+.3f} ms, delay {:.3f} ms; applied {:+.3f} ms",
            std::chrono::duration<double, std::milli>(sample->offset).count(),
            std::chrono::duration<double, std::milli>(sample->delay).count(),
            std::chrono::duration<double, std::milli>(self.estimator_->offset()).count());
    }

    // --- station events ---

    void send_events(TimePoint now) {
        if (!welcomed) {
            return;
        }
        std::vector<wire::StationEvent> pending;
        try {
            pending = self.store_.pending_events(events_in_flight.size() + kEventBatch);
        } catch (const StoreError& e) {
            spdlog::error("link: event outbox not readable: {}", e.what());
            return;
        }
        auto env = envelope();
        auto* report = env.mutable_station_events();
        for (auto& event : pending) {
            if (events_in_flight.count(event.event_id()) == 0 &&
                report->events_size() < static_cast<int>(kEventBatch)) {
                *report->add_events() = std::move(event);
            }
        }
        if (report->events_size() == 0 || !send(env)) {
            return;
        }
        for (const auto& event : report->events()) {
            events_in_flight[event.event_id()] = now;
        }
        std::lock_guard lock{stats_mu};
        stats.events_sent += static_cast<std::uint64_t>(report->events_size());
    }

    void on_event_ack(const wire::StationEventAck& ack, TimePoint now) {
        std::vector<std::string> ids{ack.event_ids().begin(), ack.event_ids().end()};
        std::size_t removed = 0;
        try {
            removed = self.store_.acknowledge_events(ids);
        } catch (const StoreError& e) {
            spdlog::error("link: acknowledged events not removed from the outbox: {}", e.what());
            return;
        }
        for (const auto& id : ids) {
            events_in_flight.erase(id);
        }
        {
            std::lock_guard lock{stats_mu};
            stats.events_acknowledged += removed;
        }
        send_events(now);
    }

    std::size_t assets_missing() const {
        return static_cast<std::size_t>(
            std::count_if(downloads.begin(), downloads.end(),
                          [this](const Download& d) { return !self.cache_.has(d.asset_id); }));
    }

    // --- timeline ---

    void adopt(wire::Timeline t) {
        timeline = std::move(t);
        // The assets in the order they are first needed.
        std::vector<const wire::TimelineItem*> items;
        for (const auto& item : timeline->items()) {
            items.push_back(&item);
        }
        std::stable_sort(items.begin(), items.end(), [](const auto* a, const auto* b) {
            return a->start_at_us() < b->start_at_us();
        });
        std::vector<Download> next;
        std::set<std::string> seen;
        for (const auto* item : items) {
            if (!seen.insert(item->asset_id()).second || self.cache_.has(item->asset_id())) {
                continue;
            }
            Download d;
            d.asset_id = item->asset_id();
            d.total = item->asset_size() <= kMaxAssetBytes ? item->asset_size() : 0;
            // Keep what we learnt of a download that is still wanted.
            for (const auto& old : downloads) {
                if (old.asset_id == d.asset_id) {
                    d = old;
                }
            }
            next.push_back(std::move(d));
        }
        downloads = std::move(next);
        std::erase_if(chunk_requests,
                      [&](const ChunkRequest& r) { return seen.count(r.asset_id) == 0; });
        std::lock_guard lock{stats_mu};
        stats.timeline_revision = timeline->revision();
    }

    void on_timeline_update(const wire::TimelineUpdate& update) {
        auto opened =
            open_signed_timeline(update.timeline(), update.signature(), self.options_.signing_key);
        if (!opened) {
            return refuse_timeline(opened.error().message);
        }
        accept(std::move(opened).value(), update.timeline(), update.signature(), {});
    }

    // A delta applies to the timeline held, and only to that revision: anything else is
    // discarded, and the next Heartbeat (still the old revision) brings the whole timeline.
    void on_timeline_delta(const wire::TimelineDeltaUpdate& update) {
        const bool held = timeline && !station_id.empty() && timeline->station_id() == station_id;
        if (!held) {
            return refuse_timeline(
                "a timeline delta arrived but no timeline of this station is "
                "held to apply it to");
        }
        auto opened = open_signed_delta_timeline(*timeline, update.delta(), update.signature(),
                                                 self.options_.signing_key);
        if (!opened) {
            return refuse_timeline("delta discarded: " + opened.error().message);
        }
        std::string bytes = protocol::serialize_timeline(*opened);
        accept(std::move(opened).value(), bytes, update.signature(), update.delta());
    }

    // Stores a verified timeline with its proof, acknowledges it and hands it to playout.
    void accept(wire::Timeline t, const std::string& bytes, const std::string& signature,
                const std::string& delta) {
        if (station_id.empty()) {
            refuse_timeline(
                fmt::format("timeline revision {} arrived before Welcome", t.revision()));
            return;
        }
        if (t.station_id() != station_id) {
            refuse_timeline(fmt::format("timeline is for station '{}', this is '{}'",
                                        t.station_id(), station_id));
            return;
        }
        const bool same_station = timeline && timeline->station_id() == station_id;
        const std::uint64_t held = same_station ? timeline->revision() : 0;
        if (t.revision() < held) {
            refuse_timeline(fmt::format("timeline revision {} is older than revision {} held",
                                        t.revision(), held));
            return;
        }
        if (t.revision() == held) {
            spdlog::debug("link: timeline revision {} already held", held);
            send_timeline_ack(held);
            return;
        }
        try {
            self.store_.save_timeline(
                StoredTimeline{t.revision(), t.station_id(), bytes, signature, delta});
        } catch (const StoreError& e) {
            spdlog::error("link: timeline revision {} not stored, not acknowledged: {}",
                          t.revision(), e.what());
            return;
        }
        if (!delta.empty()) {
            std::lock_guard lock{stats_mu};
            ++stats.deltas_applied;
        }
        send_timeline_ack(t.revision());
        if (delta.empty()) {
            spdlog::info("link: timeline revision {} stored ({} items)", t.revision(),
                         t.items_size());
        } else {
            spdlog::info(
                "link: timeline revision {} stored ({} items), made from revision {} "
                "and a delta of {} bytes",
                t.revision(), t.items_size(), held, delta.size());
        }
        adopt(std::move(t));
        if (self.on_timeline_) {
            self.on_timeline_(*timeline);
        }
    }

    void refuse_timeline(const std::string& reason) {
        spdlog::warn("link: timeline refused, the old one stays: {}", reason);
        {
            std::lock_guard lock{stats_mu};
            ++stats.timelines_refused;
        }
        refuse("timeline refused: " + reason);
    }

    void send_timeline_ack(std::uint64_t rev) {
        auto env = envelope();
        env.mutable_timeline_ack()->set_revision(rev);
        send(env);
    }

    // --- assets ---

    Download* find_download(const std::string& id) {
        for (auto& d : downloads) {
            if (d.asset_id == id) {
                return &d;
            }
        }
        return nullptr;
    }

    void forget_requests(const std::string& asset_id) {
        std::erase_if(chunk_requests,
                      [&](const ChunkRequest& r) { return r.asset_id == asset_id; });
    }

    void asset_failed(Download& d, TimePoint now) {
        forget_requests(d.asset_id);
        d.retry_at = now + self.options_.retry_delay;
        std::lock_guard lock{stats_mu};
        ++stats.asset_failures;
    }

    void complete(Download& d, TimePoint now) {
        const std::string id = d.asset_id;
        forget_requests(id);
        if (auto st = self.cache_.finish(id); !st) {
            spdlog::warn("link: {}", st.message());
            asset_failed(d, now);
            return;
        }
        spdlog::info("link: asset {} downloaded and verified ({} bytes)", id, d.total);
        std::erase_if(downloads, [&](const Download& x) { return x.asset_id == id; });
        std::lock_guard lock{stats_mu};
        ++stats.assets_verified;
    }

    void pump_downloads(TimePoint now) {
        if (!welcomed) {
            return;
        }
        const auto timeout = 3 * heartbeat;
        std::erase_if(chunk_requests, [&](const ChunkRequest& r) {
            if (now - r.sent_at < timeout) {
                return false;
            }
            spdlog::debug("link: asset {} chunk at {} not answered, asking again", r.asset_id,
                          r.offset);
            return true;
        });
        for (std::size_t i = 0; i < downloads.size();) {
            if (chunk_requests.size() >= kMaxRequestsInFlight) {
                return;
            }
            auto& d = downloads[i];
            if (self.cache_.has(d.asset_id)) {
                downloads.erase(downloads.begin() + static_cast<std::ptrdiff_t>(i));
                continue;
            }
            ++i;
            if (d.retry_at > now) {
                continue;
            }
            auto part = self.cache_.partial_size(d.asset_id);
            if (!part) {
                spdlog::warn("link: asset {}: {}", d.asset_id, part.error().message);
                d.retry_at = now + self.options_.retry_delay;
                continue;
            }
            std::uint64_t next = *part;
            if (d.total != 0 && next >= d.total) {
                if (next > d.total) {
                    self.cache_.discard_partial(d.asset_id);
                    next = 0;
                } else {
                    complete(d, now);
                    return;  // `downloads` may have changed; continue on the next pass
                }
            }
            bool requested_unknown = false;
            for (const auto& r : chunk_requests) {
                if (r.asset_id == d.asset_id) {
                    next = std::max(next, r.offset + r.length);
                    requested_unknown = true;
                }
            }
            while (chunk_requests.size() < kMaxRequestsInFlight) {
                std::uint32_t length = kRequestBytes;
                if (d.total == 0) {
                    if (requested_unknown) {
                        break;  // learn the size from the first chunk
                    }
                } else {
                    if (next >= d.total) {
                        break;
                    }
                    length = static_cast<std::uint32_t>(
                        std::min<std::uint64_t>(kRequestBytes, d.total - next));
                }
                auto env = envelope();
                auto* req = env.mutable_asset_request();
                req->set_asset_id(d.asset_id);
                req->set_offset(next);
                req->set_length(length);
                if (!send(env)) {
                    return;
                }
                chunk_requests.push_back(ChunkRequest{d.asset_id, next, length, now});
                next += length;
                requested_unknown = true;
            }
        }
    }

    void on_asset_chunk(const wire::AssetChunk& chunk, TimePoint now) {
        const auto it =
            std::find_if(chunk_requests.begin(), chunk_requests.end(), [&](const ChunkRequest& r) {
                return r.asset_id == chunk.asset_id() && r.offset == chunk.offset();
            });
        if (it == chunk_requests.end()) {
            spdlog::debug("link: dropped a chunk not asked for (asset '{}', offset {})",
                          chunk.asset_id().substr(0, 80), chunk.offset());
            return;
        }
        const auto request = *it;
        chunk_requests.erase(it);
        auto* d = find_download(request.asset_id);
        if (d == nullptr) {
            return;
        }
        if (!chunk.error().empty()) {
            spdlog::warn("link: the scheduler cannot serve asset {}: {}; asking again later",
                         d->asset_id, chunk.error());
            asset_failed(*d, now);
            return;
        }
        const std::uint64_t size = chunk.data().size();
        if (chunk.total_size() == 0 || chunk.total_size() > kMaxAssetBytes ||
            size > request.length || chunk.offset() + size > chunk.total_size() ||
            (size == 0 && chunk.offset() < chunk.total_size())) {
            spdlog::warn(
                "link: asset {}: malformed chunk (offset {}, {} bytes, total {}, asked {}); "
                "asking again later",
                d->asset_id, chunk.offset(), size, chunk.total_size(), request.length);
            asset_failed(*d, now);
            return;
        }
        if (d->total != chunk.total_size()) {
            if (d->total != 0) {
                spdlog::warn("link: asset {} is {} bytes, the timeline said {}", d->asset_id,
                             chunk.total_size(), d->total);
            }
            d->total = chunk.total_size();
        }
        const auto* bytes = reinterpret_cast<const std::uint8_t*>(chunk.data().data());
        if (auto st = self.cache_.append(d->asset_id, chunk.offset(), {bytes, size}); !st) {
            // Usually a chunk after one that was lost: ask again from what the part holds.
            spdlog::debug("link: {}", st.message());
            forget_requests(d->asset_id);
            return;
        }
        auto held = self.cache_.partial_size(d->asset_id);
        if (held && *held == d->total) {
            complete(*d, now);
        }
    }

    // --- outbox ---

    void send_outbox(TimePoint now) {
        if (!welcomed) {
            return;
        }
        outbox_dirty = false;
        while (reports_in_flight.size() < kMaxReportsInFlight * kAsRunBatch) {
            std::vector<wire::AsRunRecord> pending;
            try {
                pending = self.store_.pending_as_run(reports_in_flight.size() + kAsRunBatch);
            } catch (const StoreError& e) {
                spdlog::error("link: outbox not readable: {}", e.what());
                return;
            }
            auto env = envelope();
            auto* report = env.mutable_as_run_report();
            for (auto& record : pending) {
                if (reports_in_flight.count(record.record_id()) == 0 &&
                    report->records_size() < static_cast<int>(kAsRunBatch)) {
                    *report->add_records() = std::move(record);
                }
            }
            if (report->records_size() == 0 || !send(env)) {
                return;
            }
            for (const auto& record : report->records()) {
                reports_in_flight[record.record_id()] = now;
            }
            spdlog::debug("link: sent {} as-run records", report->records_size());
        }
    }

    void on_as_run_ack(const wire::AsRunAck& ack, TimePoint now) {
        std::vector<std::string> ids{ack.record_ids().begin(), ack.record_ids().end()};
        try {
            const auto removed = self.store_.acknowledge_as_run(ids);
            spdlog::debug("link: {} as-run records acknowledged", removed);
        } catch (const StoreError& e) {
            spdlog::error("link: acknowledged records not removed from the outbox: {}", e.what());
            return;
        }
        for (const auto& id : ids) {
            reports_in_flight.erase(id);
        }
        send_outbox(now);
    }

    // --- receiving ---

    void on_welcome(const wire::Welcome& welcome, TimePoint now) {
        if (welcome.station_id().empty()) {
            spdlog::warn("link: Welcome without a station id ignored");
            return;
        }
        if (!self.options_.expected_station_id.empty() &&
            welcome.station_id() != self.options_.expected_station_id) {
            spdlog::warn(
                "link: the scheduler knows this agent as station '{}', the config says "
                "'{}'",
                welcome.station_id(), self.options_.expected_station_id);
        }
        station_id = welcome.station_id();
        if (welcome.heartbeat_interval_s() > 0) {
            heartbeat = std::chrono::seconds{welcome.heartbeat_interval_s()};
        }
        const std::int64_t offset = welcome.server_time_us() - to_unix_us(now);
        // A quiet link re-joins every three heartbeat intervals: only a new session is news.
        spdlog::log(
            welcomed ? spdlog::level::debug : spdlog::level::info,
            "link: welcomed as station {} (clock offset {:+} ms, heartbeat {} s, scheduler has "
            "revision {}, we hold {})",
            station_id, offset / 1000,
            std::chrono::duration_cast<std::chrono::seconds>(heartbeat).count(),
            welcome.timeline_revision(), revision());
        {
            std::lock_guard lock{stats_mu};
            stats.welcomed = true;
            stats.clock_offset_us = offset;
        }
        welcomed = true;
        next_heartbeat = now + heartbeat;
        if (self.estimator_ != nullptr) {
            burst_left = self.options_.time_sync_burst;
            next_time_request = now;
        }
        send_outbox(now);
        send_events(now);
        pump_downloads(now);
    }

    void on_message(std::span<const std::uint8_t> bytes, TimePoint now, TimePoint received) {
        auto decoded = protocol::decode(bytes);
        if (!decoded) {
            spdlog::warn("link: message from the scheduler refused: {}", decoded.error().message);
            refuse(decoded.error().message);
            return;
        }
        const auto& env = decoded.value();
        last_heard = now;
        {
            std::lock_guard lock{stats_mu};
            stats.last_heard_us = to_unix_us(now);
        }
        switch (env.body_case()) {
            case wire::Envelope::kWelcome:
                return on_welcome(env.welcome(), now);
            case wire::Envelope::kTimelineUpdate:
                return on_timeline_update(env.timeline_update());
            case wire::Envelope::kTimelineDelta:
                return on_timeline_delta(env.timeline_delta());
            case wire::Envelope::kAssetChunk:
                on_asset_chunk(env.asset_chunk(), now);
                return pump_downloads(now);
            case wire::Envelope::kAsRunAck:
                return on_as_run_ack(env.as_run_ack(), now);
            case wire::Envelope::kTimeResponse:
                return on_time_response(env.time_response(), received);
            case wire::Envelope::kStationEventAck:
                return on_event_ack(env.station_event_ack(), now);
            case wire::Envelope::kLiveStart:
            case wire::Envelope::kLiveFrame:
            case wire::Envelope::kLiveStop:
                if (self.on_live_) {
                    self.on_live_(env);
                }
                return;
            case wire::Envelope::kRefusal:
                spdlog::warn("link: the scheduler refused a message: {}", env.refusal().reason());
                return;
            default:
                spdlog::warn("link: unexpected {} from the scheduler ignored",
                             protocol::body_name(env));
                refuse("unexpected message " + protocol::body_name(env));
                return;
        }
    }

    void on_disconnect() {
        if (welcomed) {
            spdlog::warn("link: connection to the scheduler lost; reconnecting");
        }
        welcomed = false;
        hello_since_connect = false;
        chunk_requests.clear();
        reports_in_flight.clear();
        events_in_flight.clear();
        time_requests.clear();
        std::lock_guard lock{stats_mu};
        stats.welcomed = false;
    }

    void on_monitor_events() {
        for (;;) {
            zmq::message_t event;
            zmq::message_t address;
            if (!monitor->recv(event, zmq::recv_flags::dontwait)) {
                return;
            }
            if (event.more()) {
                (void)monitor->recv(address, zmq::recv_flags::dontwait);
            }
            if (event.size() >= 6) {
                on_monitor_event(event);
            }
        }
    }

    void on_monitor_event(const zmq::message_t& event) {
        std::uint16_t id = 0;
        std::memcpy(&id, event.data(), sizeof id);
        switch (id) {
            case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
                if (!connected_once) {
                    spdlog::info("link: connected to the scheduler at {}", self.options_.endpoint);
                    connected_once = true;
                } else {
                    spdlog::info("link: reconnected to the scheduler");
                }
                // The first Hello may already have gone out on this connection.
                hello_due = hello_due || !hello_since_connect;
                break;
            case ZMQ_EVENT_DISCONNECTED:
                on_disconnect();
                break;
            case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
                spdlog::error(
                    "link: the scheduler at {} refused this agent's key {}; register it with: "
                    "loa station add ID --public-key {}",
                    self.options_.endpoint, self.options_.agent_keys.public_key,
                    self.options_.agent_keys.public_key);
                break;
            case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
            case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
                spdlog::error(
                    "link: CURVE handshake with {} failed (is [scheduler] public_key "
                    "the scheduler's key?)",
                    self.options_.endpoint);
                break;
            default:
                break;
        }
    }

    void receive_all(TimePoint now) {
        for (;;) {
            zmq::message_t msg;
            if (!socket->recv(msg, zmq::recv_flags::dontwait)) {
                return;
            }
            // t4 of a clock exchange: as close to the socket as the loop gets.
            const TimePoint received =
                self.local_clock_ != nullptr ? self.local_clock_->now() : now;
            if (msg.more()) {
                // One frame per message; drop the rest of a multi-part one.
                zmq::message_t rest;
                while (msg.more() && socket->recv(rest, zmq::recv_flags::dontwait)) {
                    if (!rest.more()) {
                        break;
                    }
                }
                spdlog::warn("link: multi-part message from the scheduler dropped");
                continue;
            }
            on_message({msg.data<std::uint8_t>(), msg.size()}, now, received);
        }
    }

    void tick(TimePoint now) {
        const auto silence = 3 * heartbeat;
        if (!hello_due && now - last_heard >= silence && now - last_hello >= silence) {
            spdlog::debug("link: nothing heard from the scheduler for {} s; saying Hello again",
                          std::chrono::duration_cast<std::chrono::seconds>(silence).count());
            hello_due = true;
        }
        if (hello_due) {
            send_hello(now);
        }
        if (self.telemetry_ != nullptr && now >= next_telemetry_poll) {
            next_telemetry_poll = now + kTelemetryPoll;
            self.telemetry_->poll();
        }
        if (!welcomed) {
            return;
        }
        if (self.estimator_ != nullptr && now >= next_time_request) {
            send_time_request(now);
        }
        if (now >= next_heartbeat) {
            send_heartbeat();
            next_heartbeat = now + heartbeat;
        }
        bool expired = false;
        for (auto it = reports_in_flight.begin(); it != reports_in_flight.end();) {
            if (now - it->second >= silence) {
                it = reports_in_flight.erase(it);
                expired = true;
            } else {
                ++it;
            }
        }
        if (expired || outbox_dirty) {
            send_outbox(now);
        }
        bool events_expired = false;
        for (auto it = events_in_flight.begin(); it != events_in_flight.end();) {
            if (now - it->second >= silence) {
                it = events_in_flight.erase(it);
                events_expired = true;
            } else {
                ++it;
            }
        }
        if (events_expired || events_dirty) {
            events_dirty = false;
            send_events(now);
        }
        pump_downloads(now);
    }
};

LinkClient::LinkClient(LinkOptions options, AgentStore& store, AssetCache& cache,
                       const IClock& clock)
    : options_{std::move(options)}, store_{store}, cache_{cache}, clock_{clock} {
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) {
        throw std::system_error(errno, std::generic_category(), "eventfd");
    }
}

LinkClient::~LinkClient() {
    stop();
    ::close(wake_fd_);
}

void LinkClient::set_live_handler(LiveHandler handler) {
    on_live_ = std::move(handler);
}

void LinkClient::set_timeline_handler(TimelineHandler handler) {
    on_timeline_ = std::move(handler);
}

void LinkClient::set_context(std::shared_ptr<zmq::context_t> context) {
    shared_context_ = std::move(context);
}

void LinkClient::set_underrun_counter(UnderrunCounter counter) {
    underruns_ = std::move(counter);
}

void LinkClient::set_clock_sync(ClockOffsetEstimator& estimator, const IClock& local) {
    estimator_ = &estimator;
    local_clock_ = &local;
}

void LinkClient::set_telemetry(StationTelemetry& telemetry) {
    telemetry_ = &telemetry;
}

void LinkClient::start() {
    if (thread_.joinable()) {
        return;
    }
    stop_.store(false);
    session_ = std::make_unique<Session>(*this);
    auto& s = *session_;
    s.heartbeat = options_.heartbeat_interval;
    s.ctx = shared_context_ ? shared_context_ : std::make_shared<zmq::context_t>();
    s.socket = transport::make_agent_socket(*s.ctx, options_.agent_keys,
                                            options_.scheduler_public_key, options_.endpoint);
    const int events = ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
                       ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                       ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
    const auto monitor_endpoint = fmt::format("inproc://loa-link-monitor-{}", ++monitor_count);
    if (zmq_socket_monitor(s.socket->handle(), monitor_endpoint.c_str(), events) != 0) {
        throw zmq::error_t{};
    }
    s.monitor.emplace(*s.ctx, zmq::socket_type::pair);
    s.monitor->set(zmq::sockopt::linger, 0);
    s.monitor->connect(monitor_endpoint);
    if (auto stored = load_stored_timeline(store_, options_.signing_key)) {
        s.adopt(std::move(*stored));
    }
    const auto now = clock_.now();
    s.last_heard = now;
    s.last_hello = now;
    spdlog::info("link: connecting to {} (scheduler key {}), this agent's key {}",
                 options_.endpoint, options_.scheduler_public_key, options_.agent_keys.public_key);
    thread_ = std::thread{for_this_station([this] { run(); })};
}

void LinkClient::stop() {
    if (!thread_.joinable()) {
        return;
    }
    stop_.store(true);
    wake();
    thread_.join();
    auto& s = *session_;
    zmq_socket_monitor(s.socket->handle(), nullptr, 0);
    s.monitor.reset();
    s.socket.reset();
}

void LinkClient::wake() {
    const std::uint64_t one = 1;
    // A full counter already wakes the thread; nothing to do on failure.
    [[maybe_unused]] const auto n = ::write(wake_fd_, &one, sizeof one);
}

LinkStats LinkClient::stats() const {
    if (!session_) {
        return {};
    }
    std::lock_guard lock{session_->stats_mu};
    return session_->stats;
}

void LinkClient::run() {
    pthread_setname_np(pthread_self(), "loa-link");
    auto& s = *session_;
    while (!stop_.load()) {
        std::array<zmq::pollitem_t, 3> items{{
            {s.socket->handle(), 0, ZMQ_POLLIN, 0},
            {s.monitor->handle(), 0, ZMQ_POLLIN, 0},
            {nullptr, wake_fd_, ZMQ_POLLIN, 0},
        }};
        try {
            zmq::poll(items, kPollInterval);
            loops_.fetch_add(1);
            const auto now = clock_.now();
            if ((items[1].revents & ZMQ_POLLIN) != 0) {
                s.on_monitor_events();
            }
            if ((items[2].revents & ZMQ_POLLIN) != 0) {
                std::uint64_t count = 0;
                [[maybe_unused]] const auto n = ::read(wake_fd_, &count, sizeof count);
                s.outbox_dirty = true;
                s.events_dirty = true;
            }
            if ((items[0].revents & ZMQ_POLLIN) != 0) {
                s.receive_all(now);
            }
            s.tick(now);
        } catch (const zmq::error_t& e) {
            if (e.num() == ETERM) {
                return;
            }
            spdlog::error("link: {}", e.what());
        } catch (const std::exception& e) {
            // Never let one bad message or a failing disk take the link down.
            spdlog::error("link: {}", e.what());
        }
    }
}

}  // namespace loa::agent
