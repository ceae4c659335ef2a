#include "loa/agent/output_monitor.hpp"

#include "loa/agent/log_context.hpp"

#include "loa/common/time_format.hpp"

#include <pthread.h>

#include <spdlog/spdlog.h>

namespace loa::agent {

const char* event_kind_name(MonitorEvent::Kind kind) {
    switch (kind) {
        case MonitorEvent::Kind::dead_air_start:
            return "dead_air_start";
        case MonitorEvent::Kind::dead_air_end:
            return "dead_air_end";
        case MonitorEvent::Kind::clipping:
            return "clipping";
    }
    return "unknown";
}

OutputMonitor::OutputMonitor(std::string zone, OutputMonitorOptions options)
    : zone_{std::move(zone)}, options_{options} {}

OutputMonitor::~OutputMonitor() {
    stop();
}

std::vector<MonitorEvent> OutputMonitor::on_level(const audio::SecondLevel& level) {
    std::vector<MonitorEvent> events;
    const bool contiguous = last_second_ && level.start - *last_second_ == std::chrono::seconds{1};
    last_second_ = level.start;
    const bool silent = level.active && level.rms_dbfs < options_.dead_air_db;

    if (in_dead_air_.load() && (!silent || !contiguous)) {
        events.push_back({MonitorEvent::Kind::dead_air_end, level.start, zone_,
                          level.active ? "sound is back" : "item ended"});
        in_dead_air_.store(false);
    }
    if (!silent) {
        silence_start_.reset();
    } else {
        if (!silence_start_ || !contiguous) {
            silence_start_ = level.start;
        }
        const auto silent_for = level.start + std::chrono::seconds{1} - *silence_start_;
        if (!in_dead_air_.load() && silent_for >= options_.dead_air) {
            events.push_back(
                {MonitorEvent::Kind::dead_air_start, *silence_start_, zone_,
                 "RMS below " + std::to_string(static_cast<int>(options_.dead_air_db)) +
                     " dBFS for " +
                     std::to_string(
                         std::chrono::duration_cast<std::chrono::seconds>(silent_for).count()) +
                     " s while an item plays"});
            in_dead_air_.store(true);
            dead_air_events_.fetch_add(1);
        }
    }
    if (level.clipped > options_.clip_samples) {
        events.push_back({MonitorEvent::Kind::clipping, level.start, zone_,
                          std::to_string(level.clipped) + " clipped samples"});
        clipping_events_.fetch_add(1);
    }
    for (const MonitorEvent& e : events) {
        spdlog::warn("monitor: zone {}: {} at {}: {}", zone_, event_kind_name(e.kind),
                     format_utc(e.at), e.detail);
        if (listener_) {
            listener_(e);
        }
    }
    {
        std::lock_guard lock{level_mutex_};
        last_level_ = level;
    }
    return events;
}

void OutputMonitor::set_event_listener(EventListener listener) {
    listener_ = std::move(listener);
}

std::optional<audio::SecondLevel> OutputMonitor::last_level() const {
    std::lock_guard lock{level_mutex_};
    return last_level_;
}

void OutputMonitor::start(audio::OutputMeter& meter) {
    if (thread_.joinable()) {
        return;
    }
    {
        std::lock_guard lock{mutex_};
        stopping_ = false;
    }
    thread_ = std::thread{for_this_station([this, &meter] { run(meter); })};
}

void OutputMonitor::stop() {
    if (!thread_.joinable()) {
        return;
    }
    {
        std::lock_guard lock{mutex_};
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void OutputMonitor::run(audio::OutputMeter& meter) {
    pthread_setname_np(pthread_self(), "loa-monitor");
    std::unique_lock lock{mutex_};
    for (;;) {
        const bool stopping = wake_.wait_for(lock, options_.poll, [this] { return stopping_; });
        lock.unlock();
        while (auto level = meter.poll()) {
            on_level(*level);
        }
        lock.lock();
        if (stopping) {
            return;
        }
    }
}

}  // namespace loa::agent
