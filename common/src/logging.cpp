#include "loa/common/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace loa::log {

namespace {

// "%*" in a pattern: the syslog priority prefix ("<3>" for error ...) that journald reads from the
// start of each line of a service's stderr (SyslogLevelPrefix=yes, systemd's default). It gives
// the journal the same priorities as sd_journal_send without linking libsystemd.
class JournalPriorityFlag final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm& /*tm*/,
                spdlog::memory_buf_t& dest) override {
        static constexpr std::string_view kPrefixes[] = {
            "<7>",  // trace -> debug
            "<7>",  // debug
            "<6>",  // info
            "<4>",  // warn -> warning
            "<3>",  // err
            "<2>",  // critical -> crit
            "<6>",  // off (never logged)
        };
        const auto level = static_cast<std::size_t>(msg.level);
        const auto prefix = kPrefixes[level < std::size(kPrefixes) ? level : 2];
        dest.append(prefix.data(), prefix.data() + prefix.size());
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<JournalPriorityFlag>();
    }
};

}  // namespace

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
    const bool under_systemd = std::getenv("JOURNAL_STREAM") != nullptr;
    std::shared_ptr<spdlog::logger> logger;
    if (under_systemd) {
        // stderr is connected to the journal, which adds its own time stamp and the unit's
        // identifier; the priority travels as a "<N>" prefix.
        logger = std::make_shared<spdlog::logger>(
            std::string{program}, std::make_shared<spdlog::sinks::stderr_sink_mt>());
        auto formatter = std::make_unique<spdlog::pattern_formatter>();
        formatter->add_flag<JournalPriorityFlag>('*').set_pattern("%*%v");
        logger->set_formatter(std::move(formatter));
    } else {
        logger = std::make_shared<spdlog::logger>(
            std::string{program}, std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
        logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %n: %v");
    }
    logger->set_level(spdlog::level::from_str(std::string{level}));
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(std::move(logger));
}

}  // namespace loa::log
