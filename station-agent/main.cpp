// loa-agent: plays a station's timeline and reports what aired. See docs/protocol.md.
#include "loa/agent/agent_service.hpp"
#include "loa/agent/agent_setup.hpp"
#include "loa/agent/agent_store.hpp"
#include "loa/agent/opus_frame_source.hpp"
#include "loa/audio/clocked_file_sink.hpp"
#include "loa/audio/portaudio_output.hpp"
#include "loa/common/clock.hpp"
#include "loa/common/logging.hpp"
#include "loa/config/config.hpp"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

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
        } else {
            return "--output: use 'portaudio' or 'file:PATH', not '" + flags.output + "'";
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
                      const std::string& output) {
    const nlohmann::json ready{{"public_key", public_key}, {"output", output}};
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
    std::uint64_t watchdog_us = 0;
    const bool watchdog = sd_watchdog_enabled(0, &watchdog_us) > 0 && watchdog_us > 0;
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
            sd_notify(0, "WATCHDOG=1");
        }
    }
}

int run(const Flags& flags) {
    loa::config::AgentConfig config;
    if (!flags.config_file.empty()) {
        try {
            config = loa::config::load_agent_config(flags.config_file);
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
    const auto& clock = loa::SystemClock::instance();

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
        output = std::make_unique<loa::audio::ClockedFileSink>(config.output_file, clock);
    } else {
        auto opened = loa::audio::PortAudioOutput::open(config.device, config.host_api, clock);
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
        !write_ready_file(flags.ready_file, service->public_key(), service->output_description())) {
        spdlog::warn("agent: cannot write the ready file {}", flags.ready_file);
    }
    sd_notifyf(0, "READY=1\nSTATUS=playing to %s, linking to %s",
               service->output_description().c_str(), config.scheduler_endpoint.c_str());

    wait_for_signal(signals, *service);
    sd_notify(0, "STOPPING=1");
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
                   "where audio goes: portaudio or file:PATH [audio] output (default portaudio)")
        ->type_name("portaudio|file:PATH");
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
    app.set_version_flag("--version", "loa-agent " + loa::agent::software_version());
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version exit 0; every usage error exits 2.
        return app.exit(e) == 0 ? 0 : kExitUsage;
    }
    try {
        return run(flags);
    } catch (const std::exception& e) {
        // Start-up failures are caught in run(); this is the last line of defence.
        spdlog::critical("agent: {}", e.what());
        return kExitFailure;
    }
}
