#pragma once

#include "loa/audio/output_meter.hpp"
#include "loa/common/clock.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace loa::agent {

struct OutputMonitorOptions {
    double dead_air_db = -50.0;           // RMS below this while an item plays is silence
    std::chrono::seconds dead_air{5};     // silence at least this long is dead air
    std::uint32_t clip_samples = 10;      // more clipped samples than this in a second
    std::chrono::milliseconds poll{250};  // how often the thread drains the meter
};

struct MonitorEvent {
    enum class Kind : std::uint8_t { dead_air_start, dead_air_end, clipping };
    Kind kind = Kind::dead_air_start;
    TimePoint at{};  // dead_air_start: first silent second; dead_air_end: first second after it
                     // (sound back or item over); clipping: the second that clipped
    std::string zone;
    std::string detail;
};

const char* event_kind_name(MonitorEvent::Kind kind);

// Watches the zone's output levels (one audio::SecondLevel per second from an OutputMeter) for
// dead air (an item playing but RMS below dead_air_db for dead_air or longer: one event when it
// is detected, dated at the first silent second, and one when it ends) and clipping (more than
// clip_samples clipped samples in a second). Events are logged (warn), counted and handed to the
// event listener (the agent queues them for the scheduler as StationEvents). The last second's
// level is kept for the Heartbeat's telemetry.
//
// Threads: on_level() from one thread at a time (the "loa-monitor" thread once start() ran, a
// test otherwise); start() and stop() from the control thread; the counters from any thread.
class OutputMonitor {
public:
    OutputMonitor(std::string zone, OutputMonitorOptions options);
    ~OutputMonitor();
    OutputMonitor(const OutputMonitor&) = delete;
    OutputMonitor& operator=(const OutputMonitor&) = delete;

    using EventListener = std::function<void(const MonitorEvent&)>;
    // Called on the thread that runs on_level() with every event (before start()).
    void set_event_listener(EventListener listener);

    // Feeds one second; returns the events it caused (already logged and counted).
    std::vector<MonitorEvent> on_level(const audio::SecondLevel& level);

    // Runs thread "loa-monitor": drains `meter` every options.poll into on_level(). `meter`
    // must outlive stop().
    void start(audio::OutputMeter& meter);
    // Stops the thread (drains what is left first). Idempotent.
    void stop();

    std::uint64_t dead_air_events() const { return dead_air_events_.load(); }
    std::uint64_t clipping_events() const { return clipping_events_.load(); }
    bool in_dead_air() const { return in_dead_air_.load(); }
    // The last second fed to on_level(), if any. Any thread.
    std::optional<audio::SecondLevel> last_level() const;

private:
    void run(audio::OutputMeter& meter);

    std::string zone_;
    OutputMonitorOptions options_;

    // on_level() only.
    std::optional<TimePoint> silence_start_;
    std::optional<TimePoint> last_second_;

    std::atomic<std::uint64_t> dead_air_events_{0};
    std::atomic<std::uint64_t> clipping_events_{0};
    std::atomic<bool> in_dead_air_{false};

    EventListener listener_;

    mutable std::mutex level_mutex_;
    std::optional<audio::SecondLevel> last_level_;  // guarded by level_mutex_

    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;  // guarded by mutex_
    std::thread thread_;
};

}  // namespace loa::agent
