#pragma once

#include "loa/common/result.hpp"
#include "loa/config/config.hpp"
#include "loa/transport/curve_keys.hpp"

#include <filesystem>
#include <string>

namespace loa::agent {

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
