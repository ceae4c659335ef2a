#pragma once

#include "loa/common/clock.hpp"
#include "loa/common/result.hpp"
#include "loa/config/config.hpp"
#include "loa/transport/curve_keys.hpp"

#include <filesystem>
#include <string>

namespace loa::agent {

// An agent config file as loaded by loa-agent: the config and the file's SHA-256 (reported in
// heartbeats).
struct AgentConfigFile {
    config::AgentConfig config;
    // config.clock.simulated_offset ([clock] simulated_offset_ms), as a Duration.
    Duration simulated_clock_offset{};
    std::string sha256;  // of the file's bytes, hex
};

// Reads `path` and parses it with config::parse_agent_config. Start-up code: throws
// config::ConfigError naming the file and the key, or when the file cannot be read.
AgentConfigFile load_agent_config_file(const std::filesystem::path& path);
// The same from text (tests); `origin` stands for the file name in errors.
AgentConfigFile parse_agent_config_file(std::string_view toml, const std::string& origin);

// This build's version ("0.1.0"), as sent in Hello.
std::string software_version();

// The file that holds a generated agent key: <state_dir>/agent.key.
std::filesystem::path agent_key_path(const std::filesystem::path& state_dir);

struct AgentKey {
    transport::CurveKeyPair keys;
    bool created = false;        // made just now
    std::filesystem::path file;  // where it is kept; empty when it came from the config
};

// The agent's CURVE key pair: from [keys] secret_key when the config has one, else from
// <state_dir>/agent.key, which is created (mode 0600, with its directory) when missing.
// Start-up code: throws std::runtime_error naming the file or the setting on failure.
AgentKey load_or_create_agent_key(const config::AgentConfig& config);

// Checks what the link needs to trust the scheduler: the endpoint, the scheduler's CURVE public
// key and its Ed25519 signing key. The error names the missing or malformed setting and both
// the command-line flag and the config key that set it.
Status check_link_settings(const config::AgentConfig& config);

}  // namespace loa::agent
