// Telemetry ingestion benchmark, the C++ half (bench/telemetry/telemetry_bench.py drives it):
//
//   bench_telemetry prepare STATE_DIR COUNT KEYS_FILE
//       Registers COUNT stations (B00001...) with fresh CURVE keys in the scheduler store of
//       STATE_DIR (scheduler.db, made or migrated; scheduler-keys.toml made if missing), in one
//       transaction, and writes "station_id public_key secret_key" lines to KEYS_FILE. Prints
//       "server_public_key KEY".
//
//   bench_telemetry agents KEYS_FILE FIRST COUNT TOTAL ENDPOINT SERVER_KEY RATE INTERVAL_S T0_MS
//                   [--raw] [--bare]
//       COUNT simulated agents (lines FIRST.. of KEYS_FILE), one CurveZMQ DEALER each, connected
//       at RATE per second. Each says Hello as loa-agent does, acknowledges the timelines it is
//       sent (TimelineAck; its heartbeats then name that revision) and, once welcomed, sends a
//       Heartbeat with full telemetry every INTERVAL_S seconds. Agent g (global index FIRST + i
//       of TOTAL) beats at T0_MS + g * INTERVAL_S / TOTAL (mod INTERVAL_S), so the fleet's
//       heartbeats are spread evenly over the interval. --raw: no Welcome is awaited (the raw
//       peer answers nothing). --bare: sockets with nothing but CURVE (no ZMTP heartbeats, no
//       reconnect tuning), as in the raw ZeroMQ peer figure. Prints a "status ..." line a second.
//
//   bench_telemetry raw-server KEYS_FILE [--bare]
//       The peer: a ZeroMQ ROUTER, CURVE server with a ZAP allow-list of KEYS_FILE's keys, that
//       only receives. Without --bare it has the scheduler's socket options
//       (transport::make_scheduler_socket). Prints "endpoint EP server_public_key KEY", then a
//       "status ..." line a second.

#include "loa/common/clock.hpp"
#include "loa/protocol/envelope.hpp"
#include "loa/scheduler/scheduler_keys.hpp"
#include "loa/scheduler/scheduler_store.hpp"
#include "loa/transport/curve_keys.hpp"
#include "loa/transport/sockets.hpp"
#include "loa/transport/zap_authenticator.hpp"

#include <zmq.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

using namespace loa;
using namespace std::chrono_literals;

namespace {

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int /*signal*/) {
    g_stop = 1;
}

[[noreturn]] void fail(const std::string& message) {
    fmt::print(stderr, "bench_telemetry: {}\n", message);
    std::exit(1);
}

struct StationKey {
    std::string station_id;
    transport::CurveKeyPair keys;
};

std::vector<StationKey> read_keys(const std::string& path) {
    std::ifstream in{path};
    if (!in) {
        fail(fmt::format("cannot read {}", path));
    }
    std::vector<StationKey> out;
    StationKey k;
    while (in >> k.station_id >> k.keys.public_key >> k.keys.secret_key) {
        out.push_back(k);
    }
    return out;
}

// --- prepare

int prepare(const std::filesystem::path& state_dir, int count, const std::string& keys_path) {
    std::filesystem::create_directories(state_dir);
    const auto server = scheduler::SchedulerKeys::load_or_create(state_dir);
    scheduler::SchedulerStore store{(state_dir / "scheduler.db").string()};
    std::ofstream keys_out{keys_path};
    const auto started = std::chrono::steady_clock::now();
    const std::int64_t now_us = to_unix_us(SystemClock::instance().now());
    {
        scheduler::SchedulerStore::Transaction tx{store};
        auto& db = store.database();
        // One unit per station, as `loa station add` without --unit makes. The first and the
        // last station go through add_station(); the rows between go in directly, with the
        // first one's zones: add_station() looks for stations without a timeline after each
        // insert, which is quadratic at this size, and the last one's look gives every station
        // its empty revision 1 at once.
        sqlite::Statement unit{db,
                               "INSERT INTO admin_units (code, level, name, name_with_type) "
                               "VALUES (?, 'station', ?, ?)"};
        sqlite::Statement station{
            db,
            "INSERT INTO stations (id, name, public_key, unit_code, zones, created_at, "
            "timeline_revision) SELECT ?, ?, ?, ?, zones, ?, 1 FROM stations WHERE id = ?"};
        const std::string first_id = "B00001";
        for (int i = 1; i <= count; ++i) {
            const auto id = fmt::format("B{:05}", i);
            const auto name = fmt::format("Bench {}", i);
            const auto keys = transport::CurveKeyPair::generate();
            if (i > 1 && i < count) {
                unit.bind(1, id).bind(2, name).bind(3, name).run();
                unit.reset();
                station.bind(1, id).bind(2, name).bind(3, keys.public_key).bind(4, id);
                station.bind(5, now_us).bind(6, first_id).run();
                station.reset();
            } else {
                scheduler::StationRecord record;
                record.id = id;
                record.name = name;
                record.public_key = keys.public_key;
                record.zones = {"main", "aux"};
                record.created_at_us = now_us;
                const auto added = store.add_station(record);
                if (!added) {
                    fail(added.message());
                }
            }
            keys_out << id << ' ' << keys.public_key << ' ' << keys.secret_key << '\n';
        }
        tx.commit();
    }
    keys_out.close();
    if (!keys_out) {
        fail(fmt::format("cannot write {}", keys_path));
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    fmt::print("prepared {} stations in {:.1f} s\n", count, seconds);
    fmt::print("server_public_key {}\n", server.curve.public_key);
    return 0;
}

// --- simulated agents

struct SimAgent {
    std::string station_id;
    std::size_t global_index = 0;
    std::optional<zmq::socket_t> socket;
    bool welcomed = false;
    TimePoint last_hello{};
    std::uint64_t held_revision = 0;
    std::uint64_t seq = 0;
    TimePoint next_beat{};
};

struct SimOptions {
    std::size_t total = 0;
    std::string endpoint;
    std::string server_key;
    double rate = 50.0;
    std::chrono::seconds interval{10};
    TimePoint t0{};
    bool raw = false;
    bool bare = false;
};

zmq::socket_t bare_dealer(zmq::context_t& ctx, const transport::CurveKeyPair& keys,
                          const std::string& server_key, const std::string& endpoint) {
    zmq::socket_t socket{ctx, zmq::socket_type::dealer};
    socket.set(zmq::sockopt::curve_serverkey, server_key);
    socket.set(zmq::sockopt::curve_publickey, keys.public_key);
    socket.set(zmq::sockopt::curve_secretkey, keys.secret_key);
    socket.set(zmq::sockopt::linger, 0);
    socket.connect(endpoint);
    return socket;
}

void send(SimAgent& agent, wire::Envelope& env) {
    const auto bytes = protocol::encode(env);
    (void)agent.socket->send(zmq::buffer(bytes), zmq::send_flags::dontwait);
}

wire::Envelope envelope(SimAgent& agent) {
    return protocol::make_envelope(++agent.seq, SystemClock::instance().now());
}

// A heartbeat as loa-agent sends it: link figures, clock fields, disk, versions and two zones.
std::size_t send_heartbeat(SimAgent& agent, std::uint64_t beat) {
    auto env = envelope(agent);
    auto* hb = env.mutable_heartbeat();
    hb->set_timeline_revision(agent.held_revision);
    hb->set_outbox_depth(0);
    hb->set_assets_missing(0);
    hb->set_underruns(beat % 3);
    hb->set_clock_offset_us(1200 + static_cast<std::int64_t>(beat % 7) * 13);
    hb->set_clock_jitter_us(350);
    hb->set_clock_synced(true);
    hb->set_disk_free_bytes(12'884'901'888ULL - beat * 4096);
    hb->set_software_version("0.5.0");
    hb->set_config_sha256("3f5a9c1e0b7d4e2f8a6c5b3d1e9f7a2c4b6d8e0f1a3c5e7b9d2f4a6c8e0b1d3f");
    hb->set_telemetry(true);
    const bool playing = beat % 10 == 0;
    for (const char* name : {"main", "aux"}) {
        auto* zone = hb->add_zones();
        zone->set_zone(name);
        zone->set_amplifier(playing ? wire::AMPLIFIER_ON : wire::AMPLIFIER_OFF);
        zone->set_rms_dbfs(playing ? -18.5 : -120.0);
        zone->set_peak_dbfs(playing ? -3.2 : -120.0);
        zone->set_dead_air(false);
        zone->set_playing(playing);
        zone->set_has_power_status(true);
        zone->set_mains_ok(true);
        zone->set_battery_percent(96.0);
        zone->set_has_temperature(true);
        zone->set_temperature_c(41.5);
    }
    const auto bytes = protocol::encode(env);
    (void)agent.socket->send(zmq::buffer(bytes), zmq::send_flags::dontwait);
    return bytes.size();
}

void say_hello(SimAgent& agent) {
    auto env = envelope(agent);
    auto* hello = env.mutable_hello();
    hello->set_software_version("0.5.0");
    hello->set_timeline_revision(agent.held_revision);
    hello->set_outbox_depth(0);
    hello->set_accepts_deltas(false);
    send(agent, env);
}

// The first beat at or after `now` in the agent's slot of the interval.
TimePoint next_slot(const SimAgent& agent, const SimOptions& options, TimePoint now) {
    const Duration interval = options.interval;
    const Duration offset = interval * static_cast<std::int64_t>(agent.global_index) /
                            static_cast<std::int64_t>(options.total);
    const TimePoint first = options.t0 + offset;
    if (now <= first) {
        return first;
    }
    const auto periods = (now - first + interval - Duration{1}) / interval;
    return first + periods * interval;
}

struct SimCounters {
    std::uint64_t heartbeats = 0;
    std::uint64_t heartbeat_bytes = 0;
    std::uint64_t timelines = 0;
    std::uint64_t refusals = 0;
    std::uint64_t welcomes = 0;
};

void receive(SimAgent& agent, SimCounters& counters, const SimOptions& options) {
    zmq::message_t msg;
    while (agent.socket->recv(msg, zmq::recv_flags::dontwait)) {
        const auto env = protocol::decode(std::span<const std::uint8_t>{
            static_cast<const std::uint8_t*>(msg.data()), msg.size()});
        if (!env) {
            continue;
        }
        if (env->has_welcome()) {
            if (!agent.welcomed) {
                agent.welcomed = true;
                agent.next_beat = next_slot(agent, options, SystemClock::instance().now());
            }
            ++counters.welcomes;
        } else if (env->has_timeline_update()) {
            wire::Timeline timeline;
            if (timeline.ParseFromString(env->timeline_update().timeline())) {
                agent.held_revision = timeline.revision();
                auto ack = envelope(agent);
                ack.mutable_timeline_ack()->set_revision(timeline.revision());
                send(agent, ack);
                ++counters.timelines;
            }
        } else if (env->has_refusal()) {
            ++counters.refusals;
            if (counters.refusals <= 5) {
                fmt::print(stderr, "bench_telemetry: {} refused: {}\n", agent.station_id,
                           env->refusal().reason());
            }
        }
    }
}

int agents(const std::string& keys_path, std::size_t first, std::size_t count, SimOptions options) {
    const auto keys = read_keys(keys_path);
    if (first + count > keys.size()) {
        fail(fmt::format("{} holds {} keys, not {}", keys_path, keys.size(), first + count));
    }
    zmq::context_t ctx{1};
    ctx.set(zmq::ctxopt::max_sockets, static_cast<int>(count + 64));
    std::vector<SimAgent> fleet(count);
    for (std::size_t i = 0; i < count; ++i) {
        fleet[i].station_id = keys[first + i].station_id;
        fleet[i].global_index = first + i;
    }
    std::vector<zmq::pollitem_t> items;
    SimCounters counters;
    const auto& clock = SystemClock::instance();
    const auto started = std::chrono::steady_clock::now();
    auto next_status = started;
    std::size_t connected = 0;
    std::uint64_t beats = 0;
    std::uint64_t statuses = 0;
    while (g_stop == 0) {
        const auto elapsed =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        const auto want = std::min(count, static_cast<std::size_t>(elapsed * options.rate) + 1);
        for (; connected < want; ++connected) {
            auto& agent = fleet[connected];
            const auto& k = keys[first + connected].keys;
            agent.socket = options.bare ? bare_dealer(ctx, k, options.server_key, options.endpoint)
                                        : transport::make_agent_socket(ctx, k, options.server_key,
                                                                       options.endpoint);
            agent.last_hello = clock.now();
            say_hello(agent);
            if (options.raw) {
                agent.welcomed = true;
                agent.next_beat = next_slot(agent, options, clock.now());
            }
            items.push_back({agent.socket->handle(), 0, ZMQ_POLLIN, 0});
        }
        // One pass every 20 ms at most: a pass looks at every socket, and a poll returns at once
        // while answers stream in during the join.
        const auto pass_started = std::chrono::steady_clock::now();
        try {
            zmq::poll(items, 20ms);
        } catch (const zmq::error_t& e) {
            if (e.num() != EINTR) {
                fail(e.what());
            }
        }
        for (std::size_t i = 0; i < items.size(); ++i) {
            if ((items[i].revents & ZMQ_POLLIN) != 0) {
                receive(fleet[i], counters, options);
            }
        }
        const auto now = clock.now();
        for (std::size_t i = 0; i < connected; ++i) {
            auto& agent = fleet[i];
            // A DEALER with ZMQ_IMMEDIATE drops what is sent before the handshake is done; the
            // real agent says Hello again on the handshake event, this one every 2 s until
            // welcomed.
            if (!agent.welcomed && now - agent.last_hello >= 2s) {
                agent.last_hello = now;
                say_hello(agent);
            }
            if (agent.welcomed && agent.next_beat <= now) {
                counters.heartbeat_bytes += send_heartbeat(agent, ++beats);
                ++counters.heartbeats;
                agent.next_beat += options.interval;
                if (agent.next_beat <= now) {
                    agent.next_beat = next_slot(agent, options, now);
                }
            }
        }
        const auto pass_end = pass_started + 20ms;
        if (std::chrono::steady_clock::now() < pass_end) {
            std::vector<zmq::pollitem_t> none;
            zmq::poll(none, std::chrono::duration_cast<std::chrono::milliseconds>(
                                pass_end - std::chrono::steady_clock::now()));
        }
        if (std::chrono::steady_clock::now() >= next_status) {
            next_status += 1s;
            const auto welcomed = static_cast<std::size_t>(std::count_if(
                fleet.begin(), fleet.end(), [](const SimAgent& a) { return a.welcomed; }));
            fmt::print(
                "status connected={} welcomed={} heartbeats={} heartbeat_bytes={} "
                "timelines={} refusals={}\n",
                connected, welcomed, counters.heartbeats, counters.heartbeat_bytes,
                counters.timelines, counters.refusals);
            std::fflush(stdout);
            if (++statuses % 10 == 0) {
                fmt::print(stderr, "connected={} welcomed={} heartbeats={} refusals={}\n",
                           connected, welcomed, counters.heartbeats, counters.refusals);
            }
        }
    }
    return 0;
}

// --- the raw ZeroMQ peer

int raw_server(const std::string& keys_path, bool bare) {
    std::unordered_map<std::string, std::string> station_by_key;
    for (const auto& k : read_keys(keys_path)) {
        station_by_key.emplace(k.keys.public_key, k.station_id);
    }
    const auto server = transport::CurveKeyPair::generate();
    zmq::context_t ctx{1};
    transport::ZapAuthenticator zap{
        ctx, [&station_by_key](const std::string& key) -> std::optional<std::string> {
            const auto it = station_by_key.find(key);
            if (it == station_by_key.end()) {
                return std::nullopt;
            }
            return it->second;
        }};
    zmq::socket_t socket = [&] {
        if (!bare) {
            return transport::make_scheduler_socket(ctx, server, "tcp://127.0.0.1:0");
        }
        zmq::socket_t s{ctx, zmq::socket_type::router};
        s.set(zmq::sockopt::curve_server, 1);
        s.set(zmq::sockopt::curve_secretkey, server.secret_key);
        s.set(zmq::sockopt::zap_domain, std::string{transport::kZapDomain});
        s.set(zmq::sockopt::linger, 0);
        s.bind("tcp://127.0.0.1:0");
        return s;
    }();
    fmt::print("endpoint {} server_public_key {}\n", transport::last_endpoint(socket),
               server.public_key);
    std::fflush(stdout);
    std::unordered_set<std::string> peers;
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
    auto next_status = std::chrono::steady_clock::now() + 1s;
    while (g_stop == 0) {
        std::array<zmq::pollitem_t, 1> items{{{socket.handle(), 0, ZMQ_POLLIN, 0}}};
        try {
            zmq::poll(items, 200ms);
        } catch (const zmq::error_t& e) {
            if (e.num() != EINTR) {
                fail(e.what());
            }
        }
        zmq::message_t part;
        while (socket.recv(part, zmq::recv_flags::dontwait)) {
            if (!part.more()) {  // the payload after the routing id
                ++messages;
                bytes += part.size();
                if (const auto id = transport::user_id(part)) {
                    peers.insert(*id);
                }
            }
        }
        if (std::chrono::steady_clock::now() >= next_status) {
            next_status += 1s;
            fmt::print("status peers={} messages={} bytes={}\n", peers.size(), messages, bytes);
            std::fflush(stdout);
        }
    }
    return 0;
}

int usage() {
    std::fputs(
        "usage: bench_telemetry prepare STATE_DIR COUNT KEYS_FILE\n"
        "       bench_telemetry agents KEYS_FILE FIRST COUNT TOTAL ENDPOINT SERVER_KEY RATE "
        "INTERVAL_S T0_MS [--raw] [--bare]\n"
        "       bench_telemetry raw-server KEYS_FILE [--bare]\n",
        stderr);
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGTERM, on_signal);
    std::signal(SIGINT, on_signal);
    const std::vector<std::string> args(argv + 1, argv + argc);
    const auto flag = [&](const char* name) {
        return std::find(args.begin(), args.end(), name) != args.end();
    };
    try {
        if (args.size() == 4 && args[0] == "prepare") {
            return prepare(args[1], std::stoi(args[2]), args[3]);
        }
        if (args.size() >= 10 && args[0] == "agents") {
            SimOptions options;
            options.total = std::stoul(args[4]);
            options.endpoint = args[5];
            options.server_key = args[6];
            options.rate = std::stod(args[7]);
            options.interval = std::chrono::seconds{std::stoi(args[8])};
            options.t0 = TimePoint{std::chrono::milliseconds{std::stoll(args[9])}};
            options.raw = flag("--raw");
            options.bare = flag("--bare");
            return agents(args[1], std::stoul(args[2]), std::stoul(args[3]), options);
        }
        if (args.size() >= 2 && args[0] == "raw-server") {
            return raw_server(args[1], flag("--bare"));
        }
    } catch (const std::exception& e) {
        fail(e.what());
    }
    return usage();
}
