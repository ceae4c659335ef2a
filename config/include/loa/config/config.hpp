#pragma once

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace loa::config {

// A config file that cannot be used. what() names the file, the key and what is wrong:
// "/etc/loa/agent.toml: audio.output: must be \"portaudio\" or \"file\", not \"alsa\"".
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct SchedulerConfig {
    std::filesystem::path state_dir = "/var/lib/loa";  // [store] state_dir
    std::string api_listen = "127.0.0.1:8640";         // [api] listen, host:port
    std::string link_listen = "tcp://0.0.0.0:8641";    // [link] listen, ZeroMQ endpoint
    // [link] public_endpoint: the address agents dial, written into agent configs.
    std::string link_public_endpoint = "tcp://127.0.0.1:8641";
    std::chrono::seconds heartbeat_interval{10};  // [link] heartbeat_interval_s
    std::chrono::hours horizon{24 * 7};           // [schedule] horizon_hours
    std::string time_zone = "Asia/Ho_Chi_Minh";   // [schedule] time_zone
    std::string log_level = "info";               // [log] level

    friend bool operator==(const SchedulerConfig&, const SchedulerConfig&) = default;
};

enum class OutputKind { portaudio, file };

struct AgentConfig {
    std::filesystem::path state_dir = "/var/lib/loa";         // [store] state_dir
    std::string station_id;                                   // [station] id (for logs; optional)
    std::string scheduler_endpoint = "tcp://127.0.0.1:8641";  // [scheduler] endpoint
    std::string scheduler_public_key;   // [scheduler] public_key: CURVE, Z85 (required)
    std::string scheduler_signing_key;  // [scheduler] signing_key: Ed25519, hex (required)
    // [keys] secret_key: this agent's CURVE secret key, Z85. Empty: generated on first start and
    // kept in <state_dir>/agent.key.
    std::string secret_key;
    std::chrono::seconds heartbeat_interval{10};  // [link] heartbeat_interval_s
    OutputKind output = OutputKind::portaudio;    // [audio] output: "portaudio" | "file"
    std::string device = "default";               // [audio] device (PortAudio device name)
    std::string host_api;                         // [audio] host_api (PortAudio host API name)
    std::filesystem::path output_file;            // [audio] file (required for output = "file")
    std::string log_level = "info";               // [log] level

    friend bool operator==(const AgentConfig&, const AgentConfig&) = default;
};

// Thread safety: these functions share no state; any thread may call them.

// Read and validate a TOML file. Every key is checked: an unknown key, a wrong type or a bad
// value throws ConfigError naming file and key. A missing file throws too.
SchedulerConfig load_scheduler_config(const std::filesystem::path& path);
AgentConfig load_agent_config(const std::filesystem::path& path);

// The same from TOML text (tests); `origin` stands for the file name in errors.
SchedulerConfig parse_scheduler_config(std::string_view toml, const std::string& origin);
AgentConfig parse_agent_config(std::string_view toml, const std::string& origin);

// TOML text for an agent config, as `loa station add --agent-config` writes it.
std::string render_agent_config(const AgentConfig& config);

}  // namespace loa::config
