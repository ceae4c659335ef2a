// loa-agent: plays a station's timeline and reports what aired. See docs/protocol.md.
#include "loa/agent/agent_service.hpp"
#include "loa/agent/agent_setup.hpp"
#include "loa/agent/agent_store.hpp"
#include "loa/agent/fleet.hpp"
#include "loa/agent/log_context.hpp"
#include "loa/agent/opus_frame_source.hpp"
#include "loa/agent/station_clock.hpp"
#include "loa/audio/clocked_file_sink.hpp"
#include "loa/audio/portaudio_output.hpp"
#include "loa/common/clock.hpp"
#include "loa/common/logging.hpp"
#include "loa/common/service_notify.hpp"
#include "loa/config/config.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include <malloc.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <optional>

namespace {

constexpr int kExitUsage = 2;
constexpr int kExitFailure = 1;

struct Flags {
    std::string config_file;
    std::string state_dir;
    std::string scheduler;
    std::string scheduler_key;
    std::string signing_key;
    std::string output;
    std::string device;
    std::string host_api;
    std::string log_level;
    std::string ready_file;
    std::string fleet_dir;
    bool list_devices = false;
    bool print_public_key = false;
};

int usage_error(const std::string& message) {
    std::cerr << "loa-agent: " << message << "\n";
    return kExitUsage;
}

// Applies the command line over the config file (or the defaults).
std::optional<std::string> apply_flags(const Flags& flags, loa::config::AgentConfig& config) {
    if (!flags.state_dir.empty()) {
        config.state_dir = flags.state_dir;
    }
    if (!flags.scheduler.empty()) {
        config.scheduler_endpoint = flags.scheduler;
    }
    if (!flags.scheduler_key.empty()) {
        config.scheduler_public_key = flags.scheduler_key;
    }
    if (!flags.signing_key.empty()) {
        config.scheduler_signing_key = flags.signing_key;
    }
    if (!flags.output.empty()) {
        if (flags.output == "portaudio") {
            config.output = loa::config::OutputKind::portaudio;
        } else if (flags.output.rfind("file:", 0) == 0 && flags.output.size() > 5) {
            config.output = loa::config::OutputKind::file;
            config.output_file = flags.output.substr(5);
        } else if (flags.output == "null") {
            config.output = loa::config::OutputKind::null;
        } else {
            return "--output: use 'portaudio', 'file:PATH' or 'null', not '" + flags.output + "'";
        }
    }
    if (!flags.device.empty()) {
        config.device = flags.device;
    }
    if (!flags.host_api.empty()) {
        config.host_api = flags.host_api;
    }
    if (!flags.log_level.empty()) {
        config.log_level = flags.log_level;
    }
    if (config.output == loa::config::OutputKind::file && config.output_file.empty()) {
        return "output 'file' needs a path: use --output file:PATH or [audio] file";
    }
    return std::nullopt;
}

bool write_ready_file(const std::string& path, const std::string& public_key,
                      const std::string& output, const std::string& metrics) {
    nlohmann::json ready{{"public_key", public_key}, {"output", output}};
    if (!metrics.empty()) {
        ready["metrics"] = metrics;  // host:port of /metrics, the real port for port 0
    }
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out{tmp, std::ios::trunc};
        out << ready.dump() << "\n";
        if (!out) {
            return false;
        }
    }
    return std::rename(tmp.c_str(), path.c_str()) == 0;
}

// Waits for SIGTERM or SIGINT, telling systemd's watchdog we are alive meanwhile.
void wait_for_signal(const sigset_t& signals, loa::agent::AgentService& service) {
    const auto watchdog_us = static_cast<std::uint64_t>(loa::service::watchdog_interval().count());
    const bool watchdog = watchdog_us > 0;
    const std::uint64_t wait_us = watchdog ? watchdog_us / 2 : 1'000'000;
    for (;;) {
        timespec timeout{static_cast<time_t>(wait_us / 1'000'000),
                         static_cast<long>(wait_us % 1'000'000) * 1000};
        const int sig = sigtimedwait(&signals, nullptr, &timeout);
        if (sig == SIGTERM || sig == SIGINT) {
            spdlog::info("agent: {} received, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
            return;
        }
        if (watchdog && service.alive()) {
            loa::service::notify("WATCHDOG=1");
        }
    }
}

// Many agents in one process: one per *.toml in flags.fleet_dir (docs/deployment.md).
int run_fleet(const Flags& flags, CLI::App& app) {
    for (const char* alone :
         {"--config", "--state-dir", "--scheduler", "--scheduler-key", "--signing-key", "--output",
          "--device", "--host-api", "--list-devices", "--print-public-key"}) {
        if (app.count(alone) > 0) {
            return usage_error(std::string{"--fleet takes every setting from the configs in "
                                           "DIR; "} +
                               alone + " cannot be combined with it");
        }
    }
    const std::string level = flags.log_level.empty() ? "info" : flags.log_level;
    if (!loa::log::valid_level(level)) {
        return usage_error("--log-level: unknown level '" + level +
                           "' (use trace, debug, info, warn, error, critical or off)");
    }
    loa::log::init("loa-agent", level);
    loa::agent::tag_log_lines_with_station();
    const auto& clock = loa::SystemClock::instance();
    const auto began = std::chrono::steady_clock::now();
    std::vector<loa::agent::FleetMember> members;
    try {
        members = loa::agent::load_fleet(flags.fleet_dir);
    } catch (const std::exception& e) {
        return usage_error(e.what());
    }
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    std::unique_ptr<loa::agent::Fleet> fleet;
    try {
        fleet = std::make_unique<loa::agent::Fleet>(std::move(members), clock);
    } catch (const std::exception& e) {
        spdlog::error("fleet: cannot start: {}", e.what());
        return kExitFailure;
    }
    if (auto st = fleet->start(); !st) {
        spdlog::error("fleet: cannot start: {}", st.message());
        return kExitFailure;
    }
    const auto seconds_since = [&began] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    };
    spdlog::info("fleet: {} agents running, {:.2f} s after start", fleet->size(), seconds_since());
    if (!flags.ready_file.empty()) {
        nlohmann::json agents = nlohmann::json::array();
        for (const auto& a : fleet->agents()) {
            agents.push_back({{"station_id", a.station_id},
                              {"config", a.config_file.string()},
                              {"public_key", a.public_key},
                              {"output", a.output}});
        }
        const nlohmann::json ready{{"count", fleet->size()}, {"agents", agents}};
        const std::string tmp = flags.ready_file + ".tmp";
        std::ofstream out{tmp, std::ios::trunc};
        out << ready.dump() << "\n";
        out.close();
        if (!out || std::rename(tmp.c_str(), flags.ready_file.c_str()) != 0) {
            spdlog::warn("fleet: cannot write the ready file {}", flags.ready_file);
        }
    }
    loa::service::notify(fmt::format("READY=1\nSTATUS={} agents running", fleet->size()));

    const auto watchdog_us = static_cast<std::uint64_t>(loa::service::watchdog_interval().count());
    const std::uint64_t wait_us =
        watchdog_us > 0 ? std::min<std::uint64_t>(watchdog_us / 2, 200'000) : 200'000;
    bool all_welcomed = false;
    for (;;) {
        timespec timeout{static_cast<time_t>(wait_us / 1'000'000),
                         static_cast<long>(wait_us % 1'000'000) * 1000};
        const int sig = sigtimedwait(&signals, nullptr, &timeout);
        if (sig == SIGTERM || sig == SIGINT) {
            spdlog::info("fleet: {} received, stopping {} agents",
                         sig == SIGTERM ? "SIGTERM" : "SIGINT", fleet->size());
            break;
        }
        if (!all_welcomed && fleet->welcomed() == fleet->size()) {
            all_welcomed = true;
            spdlog::info("fleet: all {} agents welcomed by the scheduler, {:.2f} s after start",
                         fleet->size(), seconds_since());
            loa::service::notify(
                fmt::format("STATUS={} agents running, all linked", fleet->size()));
        }
        if (watchdog_us > 0 && fleet->alive()) {
            loa::service::notify("WATCHDOG=1");
        }
    }
    loa::service::notify("STOPPING=1");
    const auto stopping = std::chrono::steady_clock::now();
    fleet->stop();
    spdlog::info(
        "fleet: stopped in {:.2f} s",
        std::chrono::duration<double>(std::chrono::steady_clock::now() - stopping).count());
    return 0;
}

int run(const Flags& flags) {
    // One malloc arena for all threads: the agent's threads allocate little, and an arena per
    // thread kept about 300 kB resident for nothing.
    mallopt(M_ARENA_MAX, 1);
    loa::config::AgentConfig config;
    loa::Duration simulated_clock_offset{};
    std::string config_sha256;
    if (!flags.config_file.empty()) {
        try {
            auto loaded = loa::agent::load_agent_config_file(flags.config_file);
            config = std::move(loaded.config);
            simulated_clock_offset = loaded.simulated_clock_offset;
            config_sha256 = std::move(loaded.sha256);
        } catch (const loa::config::ConfigError& e) {
            return usage_error(e.what());
        }
    }
    if (auto problem = apply_flags(flags, config)) {
        return usage_error(*problem);
    }
    if (!loa::log::valid_level(config.log_level)) {
        return usage_error("--log-level: unknown level '" + config.log_level +
                           "' (use trace, debug, info, warn, error, critical or off)");
    }
    loa::log::init("loa-agent", config.log_level);
    // The agent plays by its estimate of the scheduler's clock (docs/protocol.md, Clock
    // synchronisation); [clock] simulated_offset_ms shifts its own clock for tests.
    loa::agent::StationClock station_clock{loa::SystemClock::instance(), simulated_clock_offset};
    const loa::IClock& clock = station_clock.corrected();
    if (simulated_clock_offset != loa::Duration::zero()) {
        spdlog::warn(
            "agent: [clock] simulated_offset_ms = {}: this agent's clock is shifted on "
            "purpose (a testing aid)",
            std::chrono::duration_cast<std::chrono::milliseconds>(simulated_clock_offset).count());
    }

    if (flags.list_devices) {
        const auto devices = loa::audio::PortAudioOutput::list_devices();
        if (devices.empty()) {
            std::cerr << "loa-agent: PortAudio found no output device\n";
        }
        for (const auto& device : devices) {
            std::cout << device << "\n";
        }
        return 0;
    }

    loa::agent::AgentKey key;
    try {
        key = loa::agent::load_or_create_agent_key(config);
    } catch (const std::exception& e) {
        return usage_error(e.what());
    }
    if (flags.print_public_key) {
        std::cout << key.keys.public_key << "\n";
        return 0;
    }
    if (key.created) {
        spdlog::info("agent: new key pair made and kept in {}", key.file.string());
        spdlog::info(
            "agent: this agent's public key is {}; register it with: loa station add ID "
            "--public-key {}",
            key.keys.public_key, key.keys.public_key);
    }
    if (auto st = loa::agent::check_link_settings(config); !st) {
        spdlog::error("{}", st.message());
        return kExitUsage;
    }

    std::unique_ptr<loa::audio::IAudioOutput> output;
    if (config.output == loa::config::OutputKind::file) {
        // Maps its blocks by the corrected clock; the sidecar states sample 0 on the agent's own
        // clock.
        output = std::make_unique<loa::audio::ClockedFileSink>(
            config.output_file, station_clock.output(), station_clock.local());
    } else if (config.output == loa::config::OutputKind::null) {
        output = std::make_unique<loa::audio::ClockedFileSink>(std::filesystem::path{},
                                                               station_clock.output());
    } else {
        auto opened = loa::audio::PortAudioOutput::open(config.device, config.host_api,
                                                        station_clock.output());
        if (!opened) {
            spdlog::error("audio: {}", opened.error().message);
            return kExitUsage;
        }
        output = std::move(opened).value();
    }

    // Signals are taken by sigtimedwait on this thread only; block them before threads start.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    std::unique_ptr<loa::agent::AgentService> service;
    try {
        service = std::make_unique<loa::agent::AgentService>(
            config, key.keys, std::move(output), clock, loa::agent::open_opus_frame_source);
        service->use_station_clock(station_clock);
        service->set_config_sha256(config_sha256);
        spdlog::info("agent: state in {}, linking to {}", config.state_dir.string(),
                     config.scheduler_endpoint);
        if (auto st = service->start(); !st) {
            spdlog::error("{}", st.message());
            return kExitUsage;
        }
    } catch (const zmq::error_t& e) {
        spdlog::error("--scheduler / [scheduler] endpoint '{}': {}", config.scheduler_endpoint,
                      e.what());
        return kExitUsage;
    } catch (const std::exception& e) {
        spdlog::error("agent: cannot start: {}", e.what());
        return kExitFailure;
    }

    if (!flags.ready_file.empty() &&
        !write_ready_file(flags.ready_file, service->public_key(), service->output_description(),
                          service->metrics_address())) {
        spdlog::warn("agent: cannot write the ready file {}", flags.ready_file);
    }
    loa::service::notify("READY=1\nSTATUS=playing to " + service->output_description() +
                         ", linking to " + config.scheduler_endpoint);

    // Give back the heap pages start-up freed (config, keys, the stored timeline, the link's
    // first exchanges): about 100-200 kB of RSS for the rest of the agent's life.
    malloc_trim(0);
    wait_for_signal(signals, *service);
    loa::service::notify("STOPPING=1");
    service->stop();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "loa-agent: plays this station's broadcast timeline at the scheduled second and "
        "reports what aired to loa-scheduler"};
    Flags flags;
    app.add_option("--config", flags.config_file, "agent config file (TOML)")->type_name("FILE");
    app.add_option("--state-dir", flags.state_dir,
                   "directory for the agent's store, assets and key [store] state_dir "
                   "(default /var/lib/loa)")
        ->type_name("DIR");
    app.add_option("--scheduler", flags.scheduler,
                   "the scheduler's link endpoint [scheduler] endpoint "
                   "(default tcp://127.0.0.1:8641)")
        ->type_name("ENDPOINT");
    app.add_option("--scheduler-key", flags.scheduler_key,
                   "the scheduler's CURVE public key, Z85 [scheduler] public_key (required)")
        ->type_name("Z85");
    app.add_option("--signing-key", flags.signing_key,
                   "the scheduler's Ed25519 timeline signing key, hex [scheduler] signing_key "
                   "(required)")
        ->type_name("HEX");
    app.add_option("--output", flags.output,
                   "where audio goes: portaudio, file:PATH (a clocked WAV file) or null (paced, "
                   "dropped) [audio] output (default portaudio)")
        ->type_name("portaudio|file:PATH|null");
    app.add_option("--device", flags.device,
                   "PortAudio output device name [audio] device (default: the default device)")
        ->type_name("NAME");
    app.add_option("--host-api", flags.host_api,
                   "PortAudio host API, e.g. ALSA or \"JACK Audio Connection Kit\" [audio] "
                   "host_api")
        ->type_name("NAME");
    app.add_flag("--list-devices", flags.list_devices, "print PortAudio's output devices and exit");
    app.add_flag("--print-public-key", flags.print_public_key,
                 "print this agent's CURVE public key (making the key if needed) and exit");
    app.add_option("--log-level", flags.log_level,
                   "trace, debug, info, warn, error, critical or off [log] level (default info)")
        ->type_name("LEVEL");
    app.add_option("--ready-file", flags.ready_file,
                   "once running, write {\"public_key\": ..., \"output\": ...} to this file")
        ->type_name("FILE");
    app.add_option("--fleet", flags.fleet_dir,
                   "run one complete agent per *.toml agent config in DIR, in this process (a "
                   "province on one machine; each plays to a clocked file sink: its [audio] file, "
                   "else <state_dir>/output.wav; configs sharing a state_dir get "
                   "<state_dir>/<file name>/); --ready-file then lists every agent")
        ->type_name("DIR");
    app.set_version_flag("--version", "loa-agent " + loa::agent::software_version());
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version exit 0; every usage error exits 2.
        return app.exit(e) == 0 ? 0 : kExitUsage;
    }
    try {
        if (!flags.fleet_dir.empty()) {
            return run_fleet(flags, app);
        }
        return run(flags);
    } catch (const std::exception& e) {
        // Start-up failures are caught in run(); this is the last line of defence.
        spdlog::critical("agent: {}", e.what());
        return kExitFailure;
    }
}
