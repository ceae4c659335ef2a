#include "loa/scheduler/link_server.hpp"

#include "live_fanout.hpp"

#include "loa/common/digest.hpp"
#include "loa/common/logging.hpp"
#include "loa/protocol/envelope.hpp"
#include "loa/protocol/signing.hpp"
#include "loa/protocol/timeline_delta.hpp"
#include "loa/transport/sockets.hpp"

#include <nlohmann/json.hpp>

#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <fstream>
#include <span>
#include <system_error>

namespace loa::scheduler {
namespace {

// Messages handled per wake-up before the loop looks at its other duties again.
constexpr int kMaxMessagesPerWake = 256;
// The loop wakes at least this often (the watchdog's ping wakes it at once anyway).
constexpr auto kIdlePoll = std::chrono::seconds{1};

bool valid_record_id(std::string_view id) {
    if (id.empty() || id.size() > 64) {
        return false;
    }
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               c == '-' || c == '_';
    });
}

std::string printable(std::string_view s) {
    std::string out;
    for (const char c : s.substr(0, 80)) {
        out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return out;
}

// The telemetry of a heartbeat as stored in station_status.status_json.
std::string status_json(const wire::Heartbeat& hb) {
    nlohmann::json zones = nlohmann::json::array();
    for (const auto& z : hb.zones()) {
        nlohmann::json zone{
            {"zone", z.zone()},           {"amplifier", wire::AmplifierPower_Name(z.amplifier())},
            {"fault", z.fault()},         {"rms_dbfs", z.rms_dbfs()},
            {"peak_dbfs", z.peak_dbfs()}, {"dead_air", z.dead_air()},
            {"playing", z.playing()}};
        if (z.has_power_status()) {
            zone["mains_ok"] = z.mains_ok();
            zone["battery_percent"] = z.battery_percent();
        }
        if (z.has_temperature()) {
            zone["temperature_c"] = z.temperature_c();
        }
        zones.push_back(std::move(zone));
    }
    const nlohmann::json j{{"timeline_revision", hb.timeline_revision()},
                           {"outbox_depth", hb.outbox_depth()},
                           {"assets_missing", hb.assets_missing()},
                           {"underruns", hb.underruns()},
                           {"clock_offset_us", hb.clock_offset_us()},
                           {"clock_jitter_us", hb.clock_jitter_us()},
                           {"clock_synced", hb.clock_synced()},
                           {"disk_free_bytes", hb.disk_free_bytes()},
                           {"software_version", hb.software_version()},
                           {"config_sha256", hb.config_sha256()},
                           {"zones", zones}};
    // Text from an agent may be any bytes: never let it stop the store.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

LinkTraffic traffic_of(const wire::Envelope& envelope) {
    switch (envelope.body_case()) {
        case wire::Envelope::kTimelineUpdate:
            return LinkTraffic::timeline;
        case wire::Envelope::kTimelineDelta:
            return LinkTraffic::delta;
        case wire::Envelope::kAssetChunk:
            return LinkTraffic::asset_chunk;
        case wire::Envelope::kLiveStart:
        case wire::Envelope::kLiveFrame:
        case wire::Envelope::kLiveStop:
            return LinkTraffic::live;
        default:
            return LinkTraffic::other;
    }
}

}  // namespace

const char* link_traffic_name(LinkTraffic kind) {
    switch (kind) {
        case LinkTraffic::timeline:
            return "timeline";
        case LinkTraffic::delta:
            return "delta";
        case LinkTraffic::asset_chunk:
            return "asset_chunk";
        case LinkTraffic::live:
            return "live";
        case LinkTraffic::other:
            break;
    }
    return "other";
}

LinkServer::LinkServer(LinkServerOptions options, const SchedulerKeys& keys, const IClock& clock)
    : options_{std::move(options)},
      keys_{keys},
      clock_{clock},
      store_{options_.database},
      station_by_key_{},
      ctx_{},
      zap_{ctx_,
           [this](const std::string& key) -> std::optional<std::string> {
               std::lock_guard lock{keys_mutex_};
               const auto it = station_by_key_.find(key);
               if (it == station_by_key_.end()) {
                   return std::nullopt;
               }
               return it->second;
           }},
      socket_{transport::make_scheduler_socket(ctx_, keys_.curve, options_.listen)},
      endpoint_{transport::last_endpoint(socket_)} {
    {
        std::lock_guard lock{keys_mutex_};
        for (auto& [key, id] : store_.station_keys()) {
            station_by_key_[key] = id;
        }
    }
    live_ = std::make_unique<LiveFanout>();
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) {
        throw std::system_error{errno, std::generic_category(), "eventfd for the link thread"};
    }
    // Stations online when the scheduler stopped: offline unless heard from within 3 intervals.
    const auto now = clock_.now();
    for (const auto& health : store_.list_station_health()) {
        if (health.online) {
            liveness_[health.station_id] = Liveness{now, true};
        }
    }
    stations_online_.store(liveness_.size());
}

LinkServer::~LinkServer() {
    stop();
    if (wake_fd_ >= 0) {
        ::close(wake_fd_);
    }
}

void LinkServer::start() {
    if (thread_.joinable()) {
        return;
    }
    stop_.store(false);
    thread_ = std::thread{[this] { run(); }};
}

void LinkServer::stop() {
    stop_.store(true);
    wake();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void LinkServer::wake() {
    const std::uint64_t one = 1;
    // A full counter (never in practice) still leaves the fd readable: the wake-up is not lost.
    [[maybe_unused]] const auto n = ::write(wake_fd_, &one, sizeof one);
}

void LinkServer::station_registered(const std::string& station_id, const std::string& public_key) {
    std::lock_guard lock{keys_mutex_};
    station_by_key_[public_key] = station_id;
}

void LinkServer::timelines_changed(const std::vector<std::string>& station_ids) {
    {
        std::lock_guard lock{pending_mutex_};
        pending_stations_.insert(station_ids.begin(), station_ids.end());
    }
    wake();
}

void LinkServer::recompile_all() {
    {
        std::lock_guard lock{pending_mutex_};
        pending_all_ = true;
    }
    wake();
}

std::uint64_t LinkServer::ping() {
    const auto n = pings_.fetch_add(1) + 1;
    wake();
    return n;
}

void LinkServer::run() {
    pthread_setname_np(pthread_self(), "loa-link");
    spdlog::info("link: serving on {}", endpoint_);
    while (!stop_.load()) {
        pongs_.store(pings_.load());
        std::array<zmq::pollitem_t, 3> items{{{socket_.handle(), 0, ZMQ_POLLIN, 0},
                                              {nullptr, wake_fd_, ZMQ_POLLIN, 0},
                                              {nullptr, live_->fd(), ZMQ_POLLIN, 0}}};
        try {
            zmq::poll(items, std::chrono::duration_cast<std::chrono::milliseconds>(kIdlePoll));
        } catch (const zmq::error_t& e) {
            if (e.num() == ETERM) {
                return;
            }
            continue;  // EINTR
        }
        if ((items[2].revents & ZMQ_POLLIN) != 0) {
            send_live_queued();
        }
        if ((items[1].revents & ZMQ_POLLIN) != 0) {
            handle_wakeup();
        }
        if ((items[0].revents & ZMQ_POLLIN) != 0) {
            receive_all();
            try {
                store_heartbeats();
            } catch (const std::exception& e) {
                pending_beats_.clear();
                spdlog::error("link: storing heartbeats failed: {}", e.what());
            }
        }
        try {
            check_liveness(clock_.now());
        } catch (const std::exception& e) {
            spdlog::error("link: marking stations offline failed: {}", e.what());
        }
    }
    spdlog::info("link: stopped");
}

void LinkServer::send_live(const std::vector<std::string>& station_ids,
                           const wire::Envelope& envelope) {
    live_->publish(station_ids, protocol::encode(envelope));
}

std::uint64_t LinkServer::live_sent() const {
    return live_->sent();
}

std::uint64_t LinkServer::live_dropped() const {
    return live_->dropped();
}

void LinkServer::send_live_queued() {
    live_->drain([this](const std::string& station_id, const std::string& bytes) {
        const auto it = sessions_.find(station_id);
        if (it == sessions_.end()) {
            return false;  // not connected: live audio is not kept for later
        }
        try {
            // Never blocks: a full pipe to a slow agent drops the frame, not the link.
            const bool sent = socket_.send(zmq::buffer(it->second.routing_id),
                                           zmq::send_flags::sndmore | zmq::send_flags::dontwait) &&
                              socket_.send(zmq::buffer(bytes), zmq::send_flags::dontwait);
            if (sent) {
                bytes_sent_[static_cast<std::size_t>(LinkTraffic::live)].fetch_add(
                    bytes.size(), std::memory_order_relaxed);
            }
            return sent;
        } catch (const zmq::error_t&) {
            return false;  // EHOSTUNREACH: gone; its Hello brings it back
        }
    });
}

void LinkServer::handle_wakeup() {
    std::uint64_t count = 0;
    [[maybe_unused]] const auto n = ::read(wake_fd_, &count, sizeof count);
    std::vector<std::string> stations;
    bool all = false;
    {
        std::lock_guard lock{pending_mutex_};
        stations.assign(pending_stations_.begin(), pending_stations_.end());
        pending_stations_.clear();
        all = std::exchange(pending_all_, false);
    }
    if (all) {
        stations.clear();
        for (const auto& [id, session] : sessions_) {
            stations.push_back(id);
        }
    }
    try {
        push_timelines(stations);
    } catch (const std::exception& e) {
        spdlog::error("link: pushing timelines failed: {}", e.what());
    }
}

void LinkServer::push_timelines(const std::vector<std::string>& station_ids) {
    for (const auto& id : station_ids) {
        const auto it = sessions_.find(id);
        if (it == sessions_.end()) {
            continue;  // not connected: it gets the timeline after its Hello
        }
        const auto latest = store_.latest_timeline(id);
        if (latest && latest->revision > it->second.sent_revision) {
            send_timeline(id, it->second, *latest, false);
        }
    }
}

void LinkServer::store_heartbeats() {
    if (pending_beats_.empty()) {
        return;
    }
    SchedulerStore::Transaction tx{store_};
    for (const auto& beat : pending_beats_) {
        store_.record_heartbeat(beat.station_id, beat.status, beat.at);
        if (beat.health) {
            store_.record_station_health(*beat.health);
        }
    }
    tx.commit();
    pending_beats_.clear();
}

void LinkServer::receive_all() {
    for (int i = 0; i < kMaxMessagesPerWake && !stop_.load(); ++i) {
        zmq::message_t routing;
        if (!socket_.recv(routing, zmq::recv_flags::dontwait)) {
            return;
        }
        if (!routing.more()) {
            continue;  // a ROUTER always prefixes the routing id; nothing to answer
        }
        zmq::message_t payload;
        if (!socket_.recv(payload, zmq::recv_flags::none)) {
            return;
        }
        // t2 of a clock exchange: as close to the socket as the loop gets.
        const TimePoint received = clock_.now();
        bytes_received_.fetch_add(payload.size(), std::memory_order_relaxed);
        const std::string routing_id = routing.to_string();
        bool extra_frames = false;
        while (payload.more()) {
            zmq::message_t extra;
            if (!socket_.recv(extra, zmq::recv_flags::none)) {
                break;
            }
            extra_frames = true;
            if (!extra.more()) {
                break;
            }
        }
        const auto station = transport::user_id(payload);
        if (!station) {
            spdlog::warn("link: dropped a message without an authenticated station");
            continue;
        }
        if (extra_frames) {
            spdlog::warn("link: station {}: message of several frames refused", *station);
            refuse(routing_id, "a message must be exactly one frame holding one Envelope");
            continue;
        }
        try {
            handle_message(routing_id, *station, payload, received);
        } catch (const std::exception& e) {
            spdlog::error("link: station {}: handling a message failed: {}", *station, e.what());
            refuse(routing_id,
                   fmt::format("the scheduler could not handle the message: {}", e.what()));
        }
    }
}

void LinkServer::handle_message(const std::string& routing_id, const std::string& station_id,
                                const zmq::message_t& payload, TimePoint received) {
    auto decoded = protocol::decode(
        std::span<const std::uint8_t>{payload.data<std::uint8_t>(), payload.size()});
    if (!decoded) {
        spdlog::warn("link: station {}: undecodable message of {} bytes: {}", station_id,
                     payload.size(), decoded.error().message);
        refuse(routing_id, decoded.error().message);
        return;
    }
    const wire::Envelope& env = *decoded;
    spdlog::debug("link: station {}: {} #{}", station_id, protocol::body_name(env), env.seq());

    heard_from(station_id, received);
    if (env.body_case() != wire::Envelope::kHeartbeat) {
        store_heartbeats();  // whatever is answered comes after every earlier message is stored
    }
    if (env.body_case() == wire::Envelope::kHello) {
        auto& session = sessions_[station_id];
        session.routing_id = routing_id;
        on_hello(station_id, session, env.hello());
        return;
    }
    const auto it = sessions_.find(station_id);
    if (it == sessions_.end()) {
        spdlog::warn("link: station {}: {} before Hello refused", station_id,
                     protocol::body_name(env));
        refuse(routing_id,
               fmt::format("{} before Hello: send Hello first", protocol::body_name(env)));
        return;
    }
    // The agent is authenticated by its key; a new routing id only means it reconnected.
    it->second.routing_id = routing_id;
    switch (env.body_case()) {
        case wire::Envelope::kHeartbeat:
            on_heartbeat(station_id, it->second, env.heartbeat());
            break;
        case wire::Envelope::kTimelineAck:
            on_timeline_ack(routing_id, station_id, env.timeline_ack());
            break;
        case wire::Envelope::kAssetRequest:
            on_asset_request(routing_id, station_id, env.asset_request());
            break;
        case wire::Envelope::kAsRunReport:
            on_as_run_report(routing_id, station_id, env.as_run_report());
            break;
        case wire::Envelope::kTimeRequest:
            on_time_request(routing_id, env.time_request(), received);
            break;
        case wire::Envelope::kStationEvents:
            on_station_events(routing_id, station_id, env.station_events());
            break;
        case wire::Envelope::kRefusal:
            spdlog::warn("link: station {} refused our last message: {}", station_id,
                         printable(env.refusal().reason()));
            if (env.refusal().reason().rfind("timeline refused", 0) == 0) {
                // What it holds is what its last Heartbeat or Ack said; the next goes whole.
                it->second.sent_revision = it->second.held_revision;
                it->second.whole_next = true;
            }
            break;
        default:
            spdlog::warn("link: station {}: unexpected {} refused", station_id,
                         protocol::body_name(env));
            refuse(routing_id,
                   fmt::format("{} is not a message an agent sends", protocol::body_name(env)));
            break;
    }
}

void LinkServer::on_hello(const std::string& station_id, Session& session,
                          const wire::Hello& hello) {
    const auto now = clock_.now();
    store_.record_hello(station_id, hello.software_version(), now);
    const auto latest = store_.latest_timeline(station_id);
    const std::uint64_t revision = latest ? latest->revision : 0;
    spdlog::info("link: station {} said Hello (agent {}, holds revision {}, outbox {}{})",
                 station_id, printable(hello.software_version()), hello.timeline_revision(),
                 hello.outbox_depth(), hello.accepts_deltas() ? ", takes deltas" : "");
    session.accepts_deltas = hello.accepts_deltas();
    session.held_revision = hello.timeline_revision();
    session.sent_revision = hello.timeline_revision();
    session.whole_next = false;
    auto env = envelope();
    auto* welcome = env.mutable_welcome();
    welcome->set_station_id(station_id);
    welcome->set_server_time_us(to_unix_us(now));
    welcome->set_heartbeat_interval_s(
        static_cast<std::uint32_t>(options_.heartbeat_interval.count()));
    welcome->set_timeline_revision(revision);
    if (!send(session.routing_id, env)) {
        return;
    }
    if (latest && hello.timeline_revision() < revision) {
        send_timeline(station_id, session, *latest, false);
    } else if (hello.timeline_revision() > revision) {
        spdlog::warn(
            "link: station {} holds revision {}, newer than the scheduler's {} (was the "
            "scheduler's database replaced?)",
            station_id, hello.timeline_revision(), revision);
    }
}

void LinkServer::on_heartbeat(const std::string& station_id, Session& session,
                              const wire::Heartbeat& heartbeat) {
    const auto now = clock_.now();
    StationStatus status;
    status.timeline_revision = heartbeat.timeline_revision();
    status.outbox_depth = heartbeat.outbox_depth();
    status.assets_missing = heartbeat.assets_missing();
    status.underruns = heartbeat.underruns();
    auto& beat = pending_beats_.emplace_back(PendingBeat{station_id, status, now, std::nullopt});
    if (heartbeat.telemetry()) {
        StationHealth& health = beat.health.emplace();
        health.station_id = station_id;
        health.last_heartbeat_at_us = to_unix_us(now);
        health.clock_offset_us = heartbeat.clock_offset_us();
        health.clock_jitter_us = heartbeat.clock_jitter_us();
        health.clock_synced = heartbeat.clock_synced();
        health.status_json = status_json(heartbeat);
    }
    session.held_revision = heartbeat.timeline_revision();
    // An update lost on the way (the link dropped while it was sent) or a delta the agent could
    // not apply: the whole timeline again, at most once per heartbeat interval.
    if (now - session.last_timeline_sent < options_.heartbeat_interval) {
        return;
    }
    // The revision number first (a row by key), the timeline itself only when it is needed.
    const auto station = store_.find_station(station_id);
    if (!station || heartbeat.timeline_revision() >= station->timeline_revision) {
        return;
    }
    const auto latest = store_.latest_timeline(station_id);
    if (latest && heartbeat.timeline_revision() < latest->revision) {
        send_timeline(station_id, session, *latest, true);
    }
}

void LinkServer::on_timeline_ack(const std::string& routing_id, const std::string& station_id,
                                 const wire::TimelineAck& ack) {
    store_.touch_station(station_id, clock_.now());
    const auto status = store_.record_timeline_ack(station_id, ack.revision());
    if (!status) {
        spdlog::warn("link: station {}: TimelineAck refused: {}", station_id, status.message());
        refuse(routing_id, status.message());
        return;
    }
    auto& session = sessions_.at(station_id);
    session.held_revision = ack.revision();
    session.whole_next = false;
    spdlog::debug("link: station {} stored revision {}", station_id, ack.revision());
}

bool LinkServer::asset_named(const std::string& station_id, const Session& session,
                             const std::string& asset_id) {
    const auto latest = store_.latest_timeline(station_id);
    if (!latest) {
        return false;
    }
    auto& named = named_assets_[station_id];
    if (named.revision != latest->revision) {
        named = NamedAssets{latest->revision, {}};
        wire::Timeline t;
        if (t.ParseFromString(latest->timeline)) {
            for (const auto& item : t.items()) {
                named.ids.insert(item.asset_id());
            }
        }
    }
    if (named.ids.count(asset_id) != 0) {
        return true;
    }
    // The revision the agent holds may name assets the newest no longer does.
    if (session.held_revision == 0 || session.held_revision == latest->revision) {
        return false;
    }
    const auto held = store_.timeline_at(station_id, session.held_revision);
    wire::Timeline t;
    if (!held || !t.ParseFromString(held->timeline)) {
        return false;
    }
    return std::any_of(t.items().begin(), t.items().end(),
                       [&](const auto& item) { return item.asset_id() == asset_id; });
}

void LinkServer::on_asset_request(const std::string& routing_id, const std::string& station_id,
                                  const wire::AssetRequest& request) {
    auto env = envelope();
    auto* chunk = env.mutable_asset_chunk();
    chunk->set_asset_id(request.asset_id());
    chunk->set_offset(request.offset());
    const auto fail = [&](const std::string& why) {
        spdlog::warn("link: station {}: asset request for {} at {} refused: {}", station_id,
                     printable(request.asset_id()), request.offset(), why);
        chunk->set_error(why);
        send(routing_id, env);
    };
    if (!is_sha256_hex(request.asset_id())) {
        return fail("asset_id is not 64 lower-case hex digits");
    }
    if (request.length() == 0 || request.length() > protocol::kMaxChunkBytes) {
        return fail(fmt::format("length {} is not within 1..{}", request.length(),
                                protocol::kMaxChunkBytes));
    }
    if (!asset_named(station_id, sessions_.at(station_id), request.asset_id())) {
        return fail("the asset is not in this station's timeline");
    }
    const auto path = options_.assets_dir / (request.asset_id() + ".opus");
    std::ifstream in{path, std::ios::binary};
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (!in || ec) {
        spdlog::error("link: asset file {} is missing", path.string());
        return fail("the asset file is missing on the scheduler");
    }
    chunk->set_total_size(size);
    if (request.offset() >= size) {
        return fail(fmt::format("offset {} is at or past the end of the asset ({} bytes)",
                                request.offset(), size));
    }
    const auto n = std::min<std::uint64_t>(request.length(), size - request.offset());
    std::string data(static_cast<std::size_t>(n), '\0');
    in.seekg(static_cast<std::streamoff>(request.offset()));
    in.read(data.data(), static_cast<std::streamsize>(n));
    if (in.gcount() != static_cast<std::streamsize>(n)) {
        spdlog::error("link: short read from {}", path.string());
        return fail("the asset file could not be read on the scheduler");
    }
    chunk->set_data(std::move(data));
    send(routing_id, env);
}

void LinkServer::on_as_run_report(const std::string& routing_id, const std::string& station_id,
                                  const wire::AsRunReport& report) {
    for (const auto& r : report.records()) {
        if (!valid_record_id(r.record_id())) {
            const auto why =
                fmt::format("as-run record_id '{}' is not 1-64 letters, digits, '-' or '_'",
                            printable(r.record_id()));
            spdlog::warn("link: station {}: AsRunReport refused: {}", station_id, why);
            refuse(routing_id, why);
            return;
        }
        if (r.status() != wire::COMPLETED && r.status() != wire::FAILED &&
            r.status() != wire::INTERRUPTED) {
            const auto why =
                fmt::format("as-run record {} has no valid status", printable(r.record_id()));
            spdlog::warn("link: station {}: AsRunReport refused: {}", station_id, why);
            refuse(routing_id, why);
            return;
        }
    }
    const auto now = clock_.now();
    auto env = envelope();
    auto* ack = env.mutable_as_run_ack();
    int added = 0;
    {
        SchedulerStore::Transaction tx{store_};
        for (const auto& r : report.records()) {
            AsRunRow row;
            row.record_id = r.record_id();
            row.station_id = station_id;
            row.item_id = r.item_id();
            row.asset_id = r.asset_id();
            row.scheduled_at_us = r.scheduled_at_us();
            row.started_at_us = r.started_at_us();
            row.ended_at_us = r.ended_at_us();
            row.status = r.status();
            row.reason = r.reason();
            row.timeline_revision = r.timeline_revision();
            row.received_at_us = to_unix_us(now);
            if (store_.add_as_run(row)) {
                ++added;
            }
            ack->add_record_ids(r.record_id());
        }
        store_.touch_station(station_id, now);
        tx.commit();
    }
    spdlog::info("link: station {}: {} as-run records, {} new", station_id, report.records_size(),
                 added);
    send(routing_id, env);
}

void LinkServer::heard_from(const std::string& station_id, TimePoint now) {
    auto& live = liveness_[station_id];
    live.last_heard = std::max(live.last_heard, now);
    if (live.online) {
        return;
    }
    live.online = true;
    stations_online_.fetch_add(1);
    if (store_.set_station_online(station_id, true, now)) {
        spdlog::info("link: station {} is online", station_id);
    }
}

void LinkServer::check_liveness(TimePoint now) {
    const auto limit = 3 * options_.heartbeat_interval;
    for (auto& [id, live] : liveness_) {
        if (!live.online || now - live.last_heard < limit) {
            continue;
        }
        live.online = false;
        stations_online_.fetch_sub(1);
        const auto since = live.last_heard + limit;
        if (store_.set_station_online(id, false, since)) {
            spdlog::warn(
                "link: station {} is offline: nothing heard for 3 heartbeat intervals "
                "({} s)",
                id, std::chrono::duration_cast<std::chrono::seconds>(limit).count());
        }
    }
}

void LinkServer::on_time_request(const std::string& routing_id, const wire::TimeRequest& request,
                                 TimePoint received) {
    auto env = envelope();
    auto* response = env.mutable_time_response();
    response->set_t1_us(request.t1_us());
    response->set_t2_us(to_unix_us(received));
    response->set_t3_us(to_unix_us(clock_.now()));
    if (send(routing_id, env)) {
        time_answers_.fetch_add(1);
    }
}

void LinkServer::on_station_events(const std::string& routing_id, const std::string& station_id,
                                   const wire::StationEventReport& report) {
    for (const auto& e : report.events()) {
        std::string why;
        if (!valid_record_id(e.event_id())) {
            why = fmt::format("station event_id '{}' is not 1-64 letters, digits, '-' or '_'",
                              printable(e.event_id()));
        } else if (e.kind() == wire::STATION_EVENT_KIND_UNSPECIFIED ||
                   !wire::StationEventKind_IsValid(e.kind())) {
            why = fmt::format("station event {} has no valid kind", printable(e.event_id()));
        } else if (e.at_us() <= 0) {
            why = fmt::format("station event {} has no time", printable(e.event_id()));
        }
        if (!why.empty()) {
            spdlog::warn("link: station {}: StationEventReport refused: {}", station_id, why);
            refuse(routing_id, why);
            return;
        }
    }
    const auto now = clock_.now();
    auto env = envelope();
    auto* ack = env.mutable_station_event_ack();
    {
        SchedulerStore::Transaction tx{store_};
        for (const auto& e : report.events()) {
            StationEventRow row;
            row.station_id = station_id;
            row.event_id = e.event_id();
            row.kind = wire::StationEventKind_Name(e.kind());
            row.zone = printable(e.zone());
            row.at_us = e.at_us();
            row.detail = e.detail().substr(0, 1000);
            row.received_at_us = to_unix_us(now);
            if (store_.add_station_event(row)) {
                events_stored_.fetch_add(1);
                spdlog::warn("link: station {}: {} {} at {}: {}", station_id, row.zone, row.kind,
                             row.at_us, printable(row.detail));
            }
            ack->add_event_ids(e.event_id());
        }
        tx.commit();
    }
    send(routing_id, env);
}

void LinkServer::send_timeline(const std::string& station_id, Session& session,
                               const SchedulerStore::StoredTimeline& latest, bool whole) {
    wire::Timeline target;
    if (!target.ParseFromString(latest.timeline) || target.revision() != latest.revision ||
        target.station_id() != station_id) {
        spdlog::error(
            "link: revision {} of station {} in the database is not a timeline of "
            "that station and revision; not sent",
            latest.revision, station_id);
        return;
    }
    whole = whole || session.whole_next || !session.accepts_deltas;
    if (!whole && session.sent_revision > 0 && send_delta(station_id, session, latest, target)) {
        return;
    }
    auto env = envelope();
    auto* update = env.mutable_timeline_update();
    update->set_timeline(latest.timeline);
    update->set_signature(protocol::sign(latest.timeline, keys_.signing));
    if (send(session.routing_id, env)) {
        session.sent_revision = latest.revision;
        session.whole_next = false;
        session.last_timeline_sent = clock_.now();
        timelines_sent_.fetch_add(1);
        spdlog::info("link: sent timeline revision {} ({} items, {} bytes) to station {}",
                     latest.revision, target.items_size(), latest.timeline.size(), station_id);
    }
}

bool LinkServer::send_delta(const std::string& station_id, Session& session,
                            const SchedulerStore::StoredTimeline& latest,
                            const wire::Timeline& target) {
    const auto stored_base = store_.timeline_at(station_id, session.sent_revision);
    if (!stored_base) {
        spdlog::debug("link: station {}: revision {} is no longer kept; sending {} whole",
                      station_id, session.sent_revision, latest.revision);
        return false;
    }
    wire::Timeline base;
    if (!base.ParseFromString(stored_base->timeline)) {
        return false;
    }
    auto delta = protocol::make_delta(base, target);
    if (!delta) {
        spdlog::debug("link: station {}: no delta from revision {} to {} ({}); sending it whole",
                      station_id, session.sent_revision, latest.revision, delta.error().message);
        return false;
    }
    auto env = envelope();
    *env.mutable_timeline_delta() = protocol::sign_delta(*delta, keys_.signing);
    const auto bytes = env.timeline_delta().delta().size();
    if (!send(session.routing_id, env)) {
        return true;  // not connected: the next Hello or Heartbeat brings it
    }
    spdlog::info(
        "link: sent timeline revision {} to station {} as a delta on revision {} ({} "
        "items changed, {} removed, {} bytes)",
        latest.revision, station_id, session.sent_revision, delta->upserted_size(),
        delta->removed_item_ids_size(), bytes);
    session.sent_revision = latest.revision;
    session.last_timeline_sent = clock_.now();
    timelines_sent_.fetch_add(1);
    deltas_sent_.fetch_add(1);
    return true;
}

void LinkServer::refuse(const std::string& routing_id, const std::string& reason) {
    refusals_.fetch_add(1);
    auto env = envelope();
    env.mutable_refusal()->set_reason(reason);
    send(routing_id, env);
}

wire::Envelope LinkServer::envelope() {
    return protocol::make_envelope(++seq_, clock_.now());
}

bool LinkServer::send(const std::string& routing_id, wire::Envelope& envelope) {
    const std::string bytes = protocol::encode(envelope);
    try {
        if (!socket_.send(zmq::buffer(routing_id),
                          zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
            spdlog::warn("link: send queue full, {} dropped", protocol::body_name(envelope));
            return false;
        }
        if (!socket_.send(zmq::buffer(bytes), zmq::send_flags::dontwait)) {
            spdlog::warn("link: send queue full, {} dropped", protocol::body_name(envelope));
            return false;
        }
    } catch (const zmq::error_t& e) {
        // EHOSTUNREACH: the agent disconnected; it says Hello again when it is back.
        spdlog::info("link: {} not sent: {}", protocol::body_name(envelope), e.what());
        return false;
    }
    bytes_sent_[static_cast<std::size_t>(traffic_of(envelope))].fetch_add(
        bytes.size(), std::memory_order_relaxed);
    return true;
}

}  // namespace loa::scheduler
