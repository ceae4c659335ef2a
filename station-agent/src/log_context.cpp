#include "loa/agent/log_context.hpp"

#include <spdlog/sinks/sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <vector>

namespace loa::agent {
namespace {

thread_local std::string station_of_thread;

// Forwards every message to the logger's own sinks, its text prefixed with the station of the
// logging thread (the sinks' formatters, time stamps and journal priorities stay theirs).
class StationTagSink final : public spdlog::sinks::sink {
public:
    explicit StationTagSink(std::vector<spdlog::sink_ptr> sinks) : sinks_{std::move(sinks)} {}

    void log(const spdlog::details::log_msg& msg) override {
        const auto& station = station_of_thread;
        if (station.empty()) {
            for (auto& s : sinks_) {
                if (s->should_log(msg.level)) {
                    s->log(msg);
                }
            }
            return;
        }
        spdlog::memory_buf_t text;
        text.push_back('[');
        text.append(station.data(), station.data() + station.size());
        text.push_back(']');
        text.push_back(' ');
        text.append(msg.payload.data(), msg.payload.data() + msg.payload.size());
        spdlog::details::log_msg tagged{msg};
        tagged.payload = spdlog::string_view_t{text.data(), text.size()};
        for (auto& s : sinks_) {
            if (s->should_log(msg.level)) {
                s->log(tagged);
            }
        }
    }
    void flush() override {
        for (auto& s : sinks_) {
            s->flush();
        }
    }
    void set_pattern(const std::string& pattern) override {
        for (auto& s : sinks_) {
            s->set_pattern(pattern);
        }
    }
    void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override {
        for (auto& s : sinks_) {
            s->set_formatter(formatter->clone());
        }
    }

private:
    std::vector<spdlog::sink_ptr> sinks_;
};

}  // namespace

void set_thread_station(std::string station_id) {
    station_of_thread = std::move(station_id);
}

const std::string& thread_station() {
    return station_of_thread;
}

void tag_log_lines_with_station() {
    auto logger = spdlog::default_logger();
    auto& sinks = logger->sinks();
    auto tag = std::make_shared<StationTagSink>(sinks);
    sinks.assign({std::move(tag)});
}

}  // namespace loa::agent
