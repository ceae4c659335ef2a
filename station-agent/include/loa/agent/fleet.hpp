#pragma once

#include "loa/common/clock.hpp"
#include "loa/common/result.hpp"
#include "loa/config/config.hpp"

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace zmq {
class context_t;
}

namespace loa::agent {

class AgentService;

// One agent of a fleet: its config file and the config as the fleet runs it.
struct FleetMember {
    std::filesystem::path config_file;
    config::AgentConfig config;
    Duration simulated_clock_offset{};  // [clock] simulated_offset_ms
    std::string config_sha256;          // of the file; empty when not read from one
};

// Reads every *.toml file of `dir` (in name order) as an agent config, for a fleet:
// - each agent plays to a clocked file sink (no sound card is shared): its [audio] file when the
//   config says output = "file", a null output (paced, nothing written) for output = "null",
//   else <state_dir>/output.wav;
// - configs that share one [store] state_dir (as configs written with the default do) each get
//   a subdirectory of it named after the config file ("/var/lib/loa/30280" for 30280.toml), and
//   the same for a shared [audio] file.
// Start-up: throws std::runtime_error listing every problem (a file that does not parse, naming
// file and key; two configs with the same agent key or the same station id; no config at all).
std::vector<FleetMember> load_fleet(const std::filesystem::path& dir);

struct FleetOptions {
    // Frames per block of each agent's file sink: 20 ms blocks wake each sink 50 times a second.
    // A block must be shorter than the live commit lead (60 ms, LiveSourceOptions): with 100 ms
    // blocks every live session started about 50 ms late.
    std::size_t block_frames = 960;
    // Most file descriptors the process may hold (the soft limit is raised to this, within the
    // hard limit).
    std::size_t max_files = 20000;
};

// Many complete agents in one process (loa-agent --fleet): each with its own key, store, asset
// cache, link, playout engine and clocked file sink, sharing one ZeroMQ context and the
// process's logger (each line names its station: log_context.hpp).
//
// Threads: everything from one control thread (main). Each agent runs the threads of a single
// agent ("loa-link", "loa-feeder", "loa-monitor", the sink's "loa-audio-rt"); ZeroMQ's I/O
// threads are shared.
class Fleet {
public:
    // Opens every agent (keys, stores, caches, engines). Start-up: throws std::runtime_error
    // naming the config file of the agent that failed.
    Fleet(std::vector<FleetMember> members, const IClock& clock, FleetOptions options = {});
    ~Fleet();
    Fleet(const Fleet&) = delete;
    Fleet& operator=(const Fleet&) = delete;

    // Starts every agent. When one cannot start, stops those started and fails naming it.
    Status start();
    // Stops every agent. Idempotent.
    void stop();

    std::size_t size() const { return agents_.size(); }
    // Agents the scheduler has welcomed now.
    std::size_t welcomed() const;
    // True when every agent's feeder and link loop ran since the last call that answered true.
    bool alive();

    struct AgentInfo {
        std::string station_id;  // [station] id, else the config file's name
        std::filesystem::path config_file;
        std::string public_key;
        std::string output;
    };
    std::vector<AgentInfo> agents() const;

private:
    struct Agent;
    std::shared_ptr<zmq::context_t> context_;
    std::vector<std::unique_ptr<Agent>> agents_;
    bool running_ = false;
};

}  // namespace loa::agent
