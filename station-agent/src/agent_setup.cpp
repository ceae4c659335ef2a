#include "loa/agent/agent_setup.hpp"

#include "loa/common/digest.hpp"
#include "loa/protocol/signing.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#ifndef LOA_VERSION
#define LOA_VERSION "0.0.0"
#endif

namespace loa::agent {
namespace {

std::string trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) {
        return {};
    }
    const auto last = s.find_last_not_of(" \t\r\n");
    return std::string{s.substr(first, last - first + 1)};
}

transport::CurveKeyPair read_key_file(const std::filesystem::path& file) {
    std::ifstream in{file};
    if (!in) {
        throw std::runtime_error(fmt::format("{}: cannot read the agent key: {}", file.string(),
                                             std::generic_category().message(errno)));
    }
    std::stringstream text;
    text << in.rdbuf();
    auto keys = transport::CurveKeyPair::from_secret(trim(text.str()));
    if (!keys) {
        throw std::runtime_error(
            fmt::format("{}: not an agent key: {}", file.string(), keys.error().message));
    }
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
        spdlog::warn("{}: the agent key is readable by others (mode {:o}); run: chmod 600 {}",
                     file.string(), st.st_mode & 0777, file.string());
    }
    return std::move(keys).value();
}

void write_key_file(const std::filesystem::path& file, const transport::CurveKeyPair& keys) {
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) {
        throw std::runtime_error(fmt::format("{}: cannot create the state directory: {}",
                                             file.parent_path().string(), ec.message()));
    }
    const auto tmp = file.string() + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        throw std::runtime_error(fmt::format("{}: cannot write the agent key: {}", tmp,
                                             std::generic_category().message(errno)));
    }
    const std::string text = keys.secret_key + "\n";
    const bool written =
        ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
        ::fsync(fd) == 0;
    const int error = errno;
    ::close(fd);
    if (!written || std::rename(tmp.c_str(), file.c_str()) != 0) {
        ::unlink(tmp.c_str());
        throw std::runtime_error(
            fmt::format("{}: cannot write the agent key: {}", file.string(),
                        std::generic_category().message(written ? errno : error)));
    }
}

}  // namespace

AgentConfigFile parse_agent_config_file(std::string_view toml, const std::string& origin) {
    AgentConfigFile file;
    file.sha256 = sha256_hex({reinterpret_cast<const std::uint8_t*>(toml.data()), toml.size()});
    file.config = config::parse_agent_config(toml, origin);
    file.simulated_clock_offset = file.config.clock.simulated_offset;
    return file;
}

AgentConfigFile load_agent_config_file(const std::filesystem::path& path) {
    std::ifstream in{path, std::ios::binary};
    if (!in) {
        throw config::ConfigError{fmt::format("{}: cannot read the config file: {}", path.string(),
                                              std::generic_category().message(errno))};
    }
    std::stringstream text;
    text << in.rdbuf();
    return parse_agent_config_file(text.str(), path.string());
}

std::string software_version() {
    return LOA_VERSION;
}

std::filesystem::path agent_key_path(const std::filesystem::path& state_dir) {
    return state_dir / "agent.key";
}

AgentKey load_or_create_agent_key(const config::AgentConfig& config) {
    if (!config.secret_key.empty()) {
        auto keys = transport::CurveKeyPair::from_secret(config.secret_key);
        if (!keys) {
            throw std::runtime_error("[keys] secret_key: " + keys.error().message);
        }
        return AgentKey{std::move(keys).value(), false, {}};
    }
    const auto file = agent_key_path(config.state_dir);
    std::error_code ec;
    if (std::filesystem::exists(file, ec)) {
        return AgentKey{read_key_file(file), false, file};
    }
    auto keys = transport::CurveKeyPair::generate();
    write_key_file(file, keys);
    return AgentKey{std::move(keys), true, file};
}

Status check_link_settings(const config::AgentConfig& config) {
    if (config.scheduler_endpoint.empty()) {
        return Error{
            "the scheduler's endpoint is not set: use --scheduler ENDPOINT or "
            "[scheduler] endpoint in the config file"};
    }
    if (config.scheduler_public_key.empty()) {
        return Error{
            "the scheduler's CURVE public key is not set: use --scheduler-key Z85 or "
            "[scheduler] public_key in the config file (GET /api/v1/link shows it)"};
    }
    if (auto st = transport::check_curve_key(config.scheduler_public_key,
                                             "--scheduler-key / [scheduler] public_key");
        !st) {
        return st;
    }
    if (config.scheduler_signing_key.empty()) {
        return Error{
            "the scheduler's signing key is not set: use --signing-key HEX or "
            "[scheduler] signing_key in the config file (GET /api/v1/link shows it)"};
    }
    return protocol::check_signing_public_key(config.scheduler_signing_key,
                                              "--signing-key / [scheduler] signing_key");
}

}  // namespace loa::agent
