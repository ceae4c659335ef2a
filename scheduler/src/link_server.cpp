#include "loa/scheduler/link_server.hpp"

#include "loa/common/digest.hpp"
#include "loa/common/logging.hpp"
#include "loa/protocol/envelope.hpp"
#include "loa/scheduler/timeline.hpp"
#include "loa/transport/sockets.hpp"

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

}  // namespace

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
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) {
        throw std::system_error{errno, std::generic_category(), "eventfd for the link thread"};
    }
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
    TimePoint next_recompile = clock_.now();
    while (!stop_.load()) {
        pongs_.store(pings_.load());
        const auto now = clock_.now();
        if (now >= next_recompile) {
            try {
                push_timelines(store_.compile_all_timelines(now, options_.horizon), false);
            } catch (const std::exception& e) {
                spdlog::error("link: recompiling the timelines failed: {}", e.what());
            }
            next_recompile = now + options_.recompile_interval;
        }
        const auto wait = std::clamp(
            std::chrono::duration_cast<std::chrono::milliseconds>(next_recompile - clock_.now()),
            std::chrono::milliseconds{0},
            std::chrono::duration_cast<std::chrono::milliseconds>(options_.recompile_interval));
        std::array<zmq::pollitem_t, 2> items{
            {{socket_.handle(), 0, ZMQ_POLLIN, 0}, {nullptr, wake_fd_, ZMQ_POLLIN, 0}}};
        try {
            zmq::poll(items, wait);
        } catch (const zmq::error_t& e) {
            if (e.num() == ETERM) {
                return;
            }
            continue;  // EINTR
        }
        if ((items[1].revents & ZMQ_POLLIN) != 0) {
            handle_wakeup();
        }
        if ((items[0].revents & ZMQ_POLLIN) != 0) {
            receive_all();
        }
    }
    spdlog::info("link: stopped");
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
    try {
        const auto now = clock_.now();
        if (all) {
            store_.compile_all_timelines(now, options_.horizon);
            stations.clear();
            for (const auto& [id, session] : sessions_) {
                stations.push_back(id);
            }
        }
        push_timelines(stations, false);
    } catch (const std::exception& e) {
        spdlog::error("link: pushing timelines failed: {}", e.what());
    }
}

void LinkServer::push_timelines(const std::vector<std::string>& station_ids, bool force) {
    const auto now = clock_.now();
    for (const auto& id : station_ids) {
        const auto it = sessions_.find(id);
        if (it == sessions_.end()) {
            continue;  // not connected: it gets the timeline after its Hello
        }
        auto timeline = store_.compile_timeline(id, now, options_.horizon);
        if (!timeline) {
            spdlog::warn("link: {}", timeline.error().message);
            continue;
        }
        if (force || timeline->revision > it->second.sent_revision) {
            send_timeline(id, it->second, *timeline);
        }
    }
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
            handle_message(routing_id, *station, payload);
        } catch (const std::exception& e) {
            spdlog::error("link: station {}: handling a message failed: {}", *station, e.what());
            refuse(routing_id,
                   fmt::format("the scheduler could not handle the message: {}", e.what()));
        }
    }
}

void LinkServer::handle_message(const std::string& routing_id, const std::string& station_id,
                                const zmq::message_t& payload) {
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
        case wire::Envelope::kRefusal:
            spdlog::warn("link: station {} refused our last message: {}", station_id,
                         printable(env.refusal().reason()));
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
    auto timeline = store_.compile_timeline(station_id, now, options_.horizon);
    if (!timeline) {
        refuse(session.routing_id, timeline.error().message);
        return;
    }
    spdlog::info("link: station {} said Hello (agent {}, holds revision {}, outbox {})", station_id,
                 printable(hello.software_version()), hello.timeline_revision(),
                 hello.outbox_depth());
    session.sent_revision = hello.timeline_revision();
    auto env = envelope();
    auto* welcome = env.mutable_welcome();
    welcome->set_station_id(station_id);
    welcome->set_server_time_us(to_unix_us(now));
    welcome->set_heartbeat_interval_s(
        static_cast<std::uint32_t>(options_.heartbeat_interval.count()));
    welcome->set_timeline_revision(timeline->revision);
    if (!send(session.routing_id, env)) {
        return;
    }
    if (hello.timeline_revision() < timeline->revision) {
        send_timeline(station_id, session, *timeline);
    } else if (hello.timeline_revision() > timeline->revision) {
        spdlog::warn(
            "link: station {} holds revision {}, newer than the scheduler's {} (was the "
            "scheduler's database replaced?)",
            station_id, hello.timeline_revision(), timeline->revision);
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
    store_.record_heartbeat(station_id, status, now);
    // An update lost on the way (the link dropped while it was sent) is sent again, at most
    // once per heartbeat interval.
    const auto station = store_.find_station(station_id);
    if (station && heartbeat.timeline_revision() < station->timeline_revision &&
        now - session.last_timeline_sent >= options_.heartbeat_interval) {
        auto timeline = store_.compile_timeline(station_id, now, options_.horizon);
        if (timeline) {
            send_timeline(station_id, session, *timeline);
        }
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
    spdlog::debug("link: station {} stored revision {}", station_id, ack.revision());
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
    const auto items = store_.timeline_items(station_id, clock_.now(), options_.horizon);
    const bool named = std::any_of(items.begin(), items.end(), [&](const auto& item) {
        return item.asset_id == request.asset_id();
    });
    if (!named) {
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

void LinkServer::send_timeline(const std::string& station_id, Session& session,
                               const StationTimeline& timeline) {
    const auto now = clock_.now();
    auto env = envelope();
    *env.mutable_timeline_update() =
        sign_timeline(build_timeline(timeline, now, options_.horizon), keys_.signing);
    if (send(session.routing_id, env)) {
        session.sent_revision = timeline.revision;
        session.last_timeline_sent = now;
        spdlog::info("link: sent timeline revision {} ({} items) to station {}", timeline.revision,
                     timeline.items.size(), station_id);
    }
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
    return true;
}

}  // namespace loa::scheduler
