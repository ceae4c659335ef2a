// loa-scheduler: the central service. Everything but the command line, signals and systemd
// lives in loa::scheduler::SchedulerApp.
#include "loa/common/clock.hpp"
#include "loa/common/logging.hpp"
#include "loa/config/config.hpp"
#include "loa/scheduler/auth_store.hpp"
#include "loa/scheduler/listen_address.hpp"
#include "loa/scheduler/scheduler_app.hpp"
#include "loa/scheduler/scheduler_store.hpp"

#include <sys/stat.h>

#include <systemd/sd-daemon.h>
#include <CLI/CLI.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>

#ifndef LOA_VERSION
#define LOA_VERSION "0.0.0"
#endif

namespace {

constexpr int kExitConfig = 2;

int config_error(const std::string& message) {
    fmt::print(stderr, "loa-scheduler: error: {}\n", message);
    return kExitConfig;
}

// Writes `text` to `path` through a temporary file and a rename, so a reader never sees half.
bool write_atomically(const std::filesystem::path& path, const std::string& text) {
    const auto tmp = path.string() + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "w");
    if (f == nullptr) {
        return false;
    }
    const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    const bool closed = std::fclose(f) == 0;
    if (!written || !closed || std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        return false;
    }
    return true;
}

bool valid_endpoint(const std::string& endpoint) {
    return endpoint.rfind("tcp://", 0) == 0 && endpoint.size() > 6;
}

// --create-admin: makes the first admin (no scope: every unit) in the state folder's database and
// exits. The password comes from a file only readable by its owner, or standard input ("-").
int create_admin(const loa::config::SchedulerConfig& config, const std::string& name,
                 const std::string& password_file) {
    if (password_file != "-") {
        struct stat st {};
        if (::stat(password_file.c_str(), &st) != 0) {
            fmt::print(stderr, "loa-scheduler: error: password file {}: {}\n", password_file,
                       std::error_code(errno, std::generic_category()).message());
            return 1;
        }
        if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
            fmt::print(stderr,
                       "loa-scheduler: error: password file {} may be read by others (mode "
                       "{:o}): chmod 600 it first\n",
                       password_file, st.st_mode & 0777U);
            return 1;
        }
    }
    auto password = loa::scheduler::AuthStore::read_password_file(password_file);
    if (!password) {
        fmt::print(stderr, "loa-scheduler: error: {}\n", password.error().message);
        return 1;
    }
    try {
        std::filesystem::create_directories(config.state_dir);
        loa::scheduler::SchedulerStore store{
            (config.state_dir / loa::scheduler::SchedulerApp::kDatabaseFile).string()};
        loa::scheduler::AuthOptions options;
        options.session_lifetime = std::chrono::hours{24} * config.session_days;
        loa::scheduler::AuthStore auth{store.database(), loa::SystemClock::instance(), options};
        if (auth.find_user(name)) {
            fmt::print(stderr,
                       "loa-scheduler: error: user '{}' exists already (change its password "
                       "with PATCH /api/v1/users/{} as an admin)\n",
                       name, name);
            return 1;
        }
        loa::scheduler::NewUser user;
        user.name = name;
        user.role = loa::scheduler::Role::admin;
        auto added = auth.add_user(user, *password, {"local:create-admin", "local"});
        if (!added) {
            fmt::print(stderr, "loa-scheduler: error: cannot create admin '{}': {}\n", name,
                       added.error().message);
            return 1;
        }
    } catch (const std::exception& e) {
        fmt::print(stderr, "loa-scheduler: error: {}\n", e.what());
        return 1;
    }
    fmt::print("admin '{}' created in {}; log in with `loa login --user {}`\n", name,
               config.state_dir.string(), name);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{
        "loa-scheduler: schedules broadcasts and distributes signed timelines and audio to the "
        "loa-agent of every station.\nCommand-line options override the config file."};
    std::optional<std::string> config_file;
    std::optional<std::string> state_dir;
    std::optional<std::string> api_listen;
    std::optional<std::string> link_listen;
    std::optional<std::string> link_public;
    std::optional<std::string> log_level;
    std::optional<std::string> ready_file;
    std::optional<std::string> create_admin_name;
    std::optional<std::string> password_file;
    cli.add_option("--config", config_file,
                   "TOML config file (without it the built-in defaults are used)")
        ->type_name("FILE");
    cli.add_option("--state-dir", state_dir,
                   "folder for the database, assets and keys ([store] state_dir, default "
                   "/var/lib/loa)")
        ->type_name("DIR");
    cli.add_option("--api-listen", api_listen,
                   "HTTP API address host:port; port 0 picks a free port ([api] listen, default "
                   "127.0.0.1:8640)")
        ->type_name("HOST:PORT");
    cli.add_option("--link-listen", link_listen,
                   "ZeroMQ endpoint the agents' link binds to ([link] listen, default "
                   "tcp://0.0.0.0:8641)")
        ->type_name("ENDPOINT");
    cli.add_option("--link-public-endpoint", link_public,
                   "endpoint agents dial, written into generated agent configs ([link] "
                   "public_endpoint)")
        ->type_name("ENDPOINT");
    cli.add_option("--log-level", log_level,
                   "trace, debug, info, warn, error, critical or off ([log] level, default info)")
        ->type_name("LEVEL");
    cli.add_option("--ready-file", ready_file,
                   "once listening, write {\"api\",\"link\",\"public_key\",\"signing_key\"} as "
                   "JSON to this file")
        ->type_name("FILE");
    auto* create_admin_option =
        cli.add_option("--create-admin", create_admin_name,
                       "create the first admin (every unit in its scope) with this login name in "
                       "the state folder's database, then exit")
            ->type_name("NAME");
    cli.add_option("--password-file", password_file,
                   "with --create-admin: a file (mode 0600) whose first line is the password, or "
                   "- for standard input")
        ->type_name("FILE")
        ->needs(create_admin_option);
    create_admin_option->needs("--password-file");
    cli.set_version_flag("--version", std::string{"loa-scheduler "} + LOA_VERSION);
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = cli.exit(e);
        return rc == 0 ? 0 : kExitConfig;
    }

    loa::config::SchedulerConfig config;
    if (config_file) {
        try {
            config = loa::config::load_scheduler_config(*config_file);
        } catch (const loa::config::ConfigError& e) {
            return config_error(e.what());
        }
    }
    if (state_dir) {
        config.state_dir = *state_dir;
    }
    if (api_listen) {
        config.api_listen = *api_listen;
    }
    if (link_listen) {
        config.link_listen = *link_listen;
    }
    if (link_public) {
        config.link_public_endpoint = *link_public;
    }
    if (log_level) {
        config.log_level = *log_level;
    }
    if (!loa::log::valid_level(config.log_level)) {
        return config_error(fmt::format(
            "log level '{}' is unknown (use trace, debug, info, warn, error, critical or off)",
            config.log_level));
    }
    if (auto a = loa::scheduler::ListenAddress::parse(config.api_listen, "api listen"); !a) {
        return config_error(a.error().message);
    }
    if (!valid_endpoint(config.link_listen)) {
        return config_error(
            fmt::format("link listen: '{}' is not a tcp:// endpoint (e.g. tcp://0.0.0.0:8641)",
                        config.link_listen));
    }
    if (!valid_endpoint(config.link_public_endpoint)) {
        return config_error(fmt::format(
            "link public endpoint: '{}' is not a tcp:// endpoint (e.g. tcp://203.0.113.5:8641)",
            config.link_public_endpoint));
    }
    if (config.state_dir.empty()) {
        return config_error("state dir: must not be empty");
    }

    if (create_admin_name) {
        return create_admin(config, *create_admin_name, *password_file);
    }

    loa::log::init("loa-scheduler", config.log_level);

    // SIGTERM and SIGINT are taken by sigtimedwait below: block them before any thread starts so
    // every thread inherits the mask.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    try {
        loa::scheduler::SchedulerApp app{config, loa::SystemClock::instance()};
        app.start();
        // The ready file first: whoever sees the log lines can read it.
        if (ready_file && !write_atomically(*ready_file, app.ready_json() + "\n")) {
            spdlog::error("cannot write the ready file {}: {}", *ready_file,
                          std::error_code(errno, std::generic_category()).message());
        }
        spdlog::info("loa-scheduler {} started; state in {}", LOA_VERSION,
                     config.state_dir.string());
        spdlog::info("API listening on {}", app.api_url());
        spdlog::info("link listening on {}; scheduler public key {}; signing key {}",
                     app.link_endpoint(), app.keys().curve.public_key,
                     app.keys().signing.public_key);
        sd_notify(0, "READY=1");

        std::uint64_t watchdog_us = 0;
        const bool watchdog = sd_watchdog_enabled(0, &watchdog_us) > 0 && watchdog_us > 0;
        const auto wait = watchdog ? std::chrono::microseconds{watchdog_us / 2}
                                   : std::chrono::microseconds{std::chrono::hours{1}};
        // The watchdog is fed only while the link thread goes round its loop.
        std::uint64_t ping = app.link().ping();
        for (;;) {
            timespec timeout{};
            timeout.tv_sec = static_cast<time_t>(wait.count() / 1000000);
            timeout.tv_nsec = static_cast<long>((wait.count() % 1000000) * 1000);
            const int sig = sigtimedwait(&signals, nullptr, &timeout);
            if (sig == SIGTERM || sig == SIGINT) {
                spdlog::info("{} received: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
                break;
            }
            if (!app.link().answered(ping)) {
                spdlog::error("the link thread has not answered for {} s",
                              std::chrono::duration_cast<std::chrono::seconds>(wait).count());
            } else if (watchdog) {
                sd_notify(0, "WATCHDOG=1");
            }
            ping = app.link().ping();
        }
        sd_notify(0, "STOPPING=1");
        app.stop();
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        return 1;
    }
    spdlog::info("loa-scheduler stopped");
    return 0;
}
