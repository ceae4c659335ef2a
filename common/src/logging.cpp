#include "loa/common/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/systemd_sink.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace loa::log {

bool valid_level(std::string_view level) {
    const auto parsed = spdlog::level::from_str(std::string{level});
    // from_str answers `off` for any unknown name.
    return parsed != spdlog::level::off || level == "off";
}

void init(std::string_view program, std::string_view level) {
    if (!valid_level(level)) {
        throw std::invalid_argument("unknown log level '" + std::string{level} +
                                    "' (use trace, debug, info, warn, error, critical or off)");
    }
    std::vector<spdlog::sink_ptr> sinks;
    const bool under_systemd = std::getenv("JOURNAL_STREAM") != nullptr;
    if (under_systemd) {
        // journald adds its own time stamp and unit name.
        sinks.push_back(std::make_shared<spdlog::sinks::systemd_sink_mt>(std::string{program}));
    } else {
        sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    }
    auto logger =
        std::make_shared<spdlog::logger>(std::string{program}, sinks.begin(), sinks.end());
    logger->set_level(spdlog::level::from_str(std::string{level}));
    if (!under_systemd) {
        logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %n: %v");
    }
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(std::move(logger));
}

}  // namespace loa::log
