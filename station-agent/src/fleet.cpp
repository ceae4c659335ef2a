#include "loa/agent/fleet.hpp"

#include "loa/agent/agent_service.hpp"
#include "loa/agent/agent_setup.hpp"
#include "loa/agent/log_context.hpp"
#include "loa/agent/opus_frame_source.hpp"
#include "loa/agent/station_clock.hpp"
#include "loa/audio/clocked_file_sink.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <zmq.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <stdexcept>
#include <thread>

namespace loa::agent {
namespace {

// Agents stopped at once on stop(): each waits up to one sink block for its audio thread.
constexpr std::size_t kStopWorkers = 16;

std::string key_of(const std::filesystem::path& p) {
    std::error_code ec;
    auto canonical = std::filesystem::weakly_canonical(p, ec);
    return (ec ? p : canonical).lexically_normal().string();
}

// Raises the soft limit on open files to `wanted` (within the hard limit).
void raise_file_limit(std::size_t wanted) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        return;
    }
    const auto target = std::min<rlim_t>(static_cast<rlim_t>(wanted), limit.rlim_max);
    if (limit.rlim_cur < target) {
        limit.rlim_cur = target;
        if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
            spdlog::warn("fleet: cannot raise the open file limit to {}", target);
        }
    }
}

std::string label_of(const FleetMember& m) {
    return m.config.station_id.empty() ? m.config_file.stem().string() : m.config.station_id;
}

}  // namespace

std::vector<FleetMember> load_fleet(const std::filesystem::path& dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
        throw std::runtime_error{fmt::format("--fleet {}: not a directory", dir.string())};
    }
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator{dir}) {
        if (entry.path().extension() == ".toml" && entry.is_regular_file()) {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    std::vector<std::string> problems;
    std::vector<FleetMember> members;
    for (const auto& file : files) {
        try {
            auto loaded = load_agent_config_file(file);
            members.push_back(FleetMember{file, std::move(loaded.config),
                                          loaded.simulated_clock_offset, loaded.sha256});
        } catch (const std::exception& e) {
            problems.emplace_back(e.what());
        }
    }
    if (files.empty()) {
        problems.push_back(fmt::format("{}: no agent config (*.toml) in it", dir.string()));
    }

    std::map<std::string, int> state_dirs;
    std::map<std::string, int> output_files;
    for (const auto& m : members) {
        ++state_dirs[key_of(m.config.state_dir)];
        if (m.config.output == config::OutputKind::file) {
            ++output_files[key_of(m.config.output_file)];
        }
    }
    std::map<std::string, std::filesystem::path> by_station;
    std::map<std::string, std::filesystem::path> by_key;
    for (auto& m : members) {
        auto& c = m.config;
        const bool shared_output =
            c.output == config::OutputKind::file && output_files[key_of(c.output_file)] > 1;
        if (state_dirs[key_of(c.state_dir)] > 1) {
            c.state_dir /= m.config_file.stem();
        }
        if (c.output == config::OutputKind::portaudio || shared_output) {
            c.output = config::OutputKind::file;
            c.output_file = c.state_dir / "output.wav";
        }
        const auto station = label_of(m);
        if (const auto [it, fresh] = by_station.emplace(station, m.config_file); !fresh) {
            problems.push_back(fmt::format("{}: station '{}' is already run by {}",
                                           m.config_file.string(), station, it->second.string()));
        }
        if (!c.secret_key.empty()) {
            if (const auto [it, fresh] = by_key.emplace(c.secret_key, m.config_file); !fresh) {
                problems.push_back(fmt::format("{}: [keys] secret_key is the same as in {}",
                                               m.config_file.string(), it->second.string()));
            }
        }
    }
    if (!problems.empty()) {
        std::string text = fmt::format("--fleet {}: {} problem{}:", dir.string(), problems.size(),
                                       problems.size() == 1 ? "" : "s");
        for (const auto& p : problems) {
            text += "\n  " + p;
        }
        throw std::runtime_error{text};
    }
    return members;
}

struct Fleet::Agent {
    FleetMember member;
    std::string label;
    std::string public_key;
    std::string output;
    std::unique_ptr<StationClock> clock;  // before service: it outlives it
    std::unique_ptr<AgentService> service;
};

Fleet::Fleet(std::vector<FleetMember> members, const IClock& clock, FleetOptions options) {
    raise_file_limit(options.max_files);
    context_ = std::make_shared<zmq::context_t>(1);
    context_->set(zmq::ctxopt::max_sockets, static_cast<int>(options.max_files));
    agents_.reserve(members.size());
    for (auto& m : members) {
        auto agent = std::make_unique<Agent>();
        agent->label = label_of(m);
        agent->member = std::move(m);
        const auto& config = agent->member.config;
        set_thread_station(agent->label);
        try {
            if (auto st = check_link_settings(config); !st) {
                throw std::runtime_error{st.message()};
            }
            auto key = load_or_create_agent_key(config);
            agent->public_key = key.keys.public_key;
            std::filesystem::path file;  // empty: a null output
            if (config.output == config::OutputKind::file) {
                file = config.output_file;
                std::filesystem::create_directories(file.parent_path());
            }
            agent->clock =
                std::make_unique<StationClock>(clock, agent->member.simulated_clock_offset);
            const IClock& corrected = agent->clock->corrected();
            // As in a single agent: the output follows the applied offset (it re-anchors once on
            // a step), the sidecar states sample 0 on the agent's own clock.
            auto output = std::make_unique<audio::ClockedFileSink>(
                file, agent->clock->output(), agent->clock->local(), options.block_frames);
            agent->output = output->describe();
            agent->service = std::make_unique<AgentService>(
                config, std::move(key.keys), std::move(output), corrected, open_opus_frame_source);
            agent->service->use_station_clock(*agent->clock);
            agent->service->set_config_sha256(agent->member.config_sha256);
            agent->service->share_link_context(context_);
        } catch (const std::exception& e) {
            set_thread_station({});
            throw std::runtime_error{
                fmt::format("{}: {}", agent->member.config_file.string(), e.what())};
        }
        agents_.push_back(std::move(agent));
    }
    set_thread_station({});
}

Fleet::~Fleet() {
    stop();
}

Status Fleet::start() {
    if (running_) {
        return {};
    }
    running_ = true;
    for (auto& a : agents_) {
        set_thread_station(a->label);
        Status st;
        try {
            st = a->service->start();
        } catch (const std::exception& e) {
            st = Error{e.what()};
        }
        set_thread_station({});
        if (!st) {
            stop();
            return Error{fmt::format("{}: {}", a->member.config_file.string(), st.message())};
        }
    }
    return {};
}

void Fleet::stop() {
    if (!running_) {
        return;
    }
    running_ = false;
    // Every agent waits for its own threads; stop them side by side.
    std::atomic<std::size_t> next{0};
    std::vector<std::thread> workers;
    const auto count = std::min(kStopWorkers, agents_.size());
    workers.reserve(count);
    for (std::size_t w = 0; w < count; ++w) {
        workers.emplace_back([this, &next] {
            for (auto i = next.fetch_add(1); i < agents_.size(); i = next.fetch_add(1)) {
                set_thread_station(agents_[i]->label);
                agents_[i]->service->stop();
            }
        });
    }
    for (auto& w : workers) {
        w.join();
    }
}

std::size_t Fleet::welcomed() const {
    return static_cast<std::size_t>(
        std::count_if(agents_.begin(), agents_.end(),
                      [](const auto& a) { return a->service->link_stats().welcomed; }));
}

bool Fleet::alive() {
    bool all = true;
    for (auto& a : agents_) {
        all = a->service->alive() && all;  // every agent's counters move on
    }
    return all;
}

std::vector<Fleet::AgentInfo> Fleet::agents() const {
    std::vector<AgentInfo> out;
    out.reserve(agents_.size());
    for (const auto& a : agents_) {
        out.push_back({a->label, a->member.config_file, a->public_key, a->output});
    }
    return out;
}

}  // namespace loa::agent
