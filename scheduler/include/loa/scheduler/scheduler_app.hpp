#pragma once

#include "loa/common/clock.hpp"
#include "loa/config/config.hpp"
#include "loa/scheduler/asset_library.hpp"
#include "loa/scheduler/http_api.hpp"
#include "loa/scheduler/link_server.hpp"
#include "loa/scheduler/planner.hpp"
#include "loa/scheduler/scheduler_keys.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace loa::scheduler {

// The whole loa-scheduler service wired from its config: state folders, keys, store, link
// server and HTTP API. main() adds only the command line, signals and systemd.
//
// Threads: construct, start, stop and destroy from one thread (main); the accessors are const
// and may be read from any thread once constructed.
class SchedulerApp {
public:
    // Creates <state_dir>, its assets/ and tmp/, loads or creates the keys, opens (migrates) the
    // store and binds both listeners. Start-up: throws std::exception subclasses naming the
    // problem (folder, key file, database or address).
    SchedulerApp(config::SchedulerConfig config, const IClock& clock);
    ~SchedulerApp();
    SchedulerApp(const SchedulerApp&) = delete;
    SchedulerApp& operator=(const SchedulerApp&) = delete;

    void start();
    void stop();

    static constexpr const char* kDatabaseFile = "scheduler.db";

    const config::SchedulerConfig& config() const { return config_; }
    const SchedulerKeys& keys() const { return keys_; }
    LinkServer& link() { return *link_; }
    Planner& planner() { return *planner_; }
    std::string api_url() const { return api_->url(); }
    const std::string& link_endpoint() const { return link_->endpoint(); }
    std::filesystem::path database_path() const { return config_.state_dir / kDatabaseFile; }
    // {"api": url, "link": endpoint, "public_key": Z85, "signing_key": hex}: what --ready-file
    // holds.
    std::string ready_json() const;

private:
    config::SchedulerConfig config_;
    SchedulerKeys keys_;
    std::unique_ptr<AssetLibrary> assets_;
    std::unique_ptr<LinkServer> link_;
    std::unique_ptr<Planner> planner_;  // thread "loa-plan"
    std::unique_ptr<HttpApi> api_;
};

}  // namespace loa::scheduler
