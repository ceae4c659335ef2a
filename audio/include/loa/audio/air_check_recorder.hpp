#pragma once

#include "loa/audio/air_check_tap.hpp"
#include "loa/audio/air_check_writer.hpp"
#include "loa/common/clock.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace loa::audio {

// Air-check of one zone: an AirCheckTap around the zone's render source (give source() to the
// output instead of `inner`) and a thread "loa-aircheck" that drains the tap every `poll` into an
// AirCheckWriter (encoding and file I/O happen there, never on the output's thread). The tap's
// ring holds `ring` of audio; when the thread falls further behind, blocks are dropped, counted
// (dropped_frames()), logged as a warning by the thread, and recorded as silence so later audio
// keeps its true offset.
//
// Threads: the constructor, source(), start() and stop() from the control thread; the counters
// from any thread; source().render() on the output's real-time thread.
class AirCheckRecorder {
public:
    struct Timing {
        std::chrono::milliseconds ring{2000};  // audio the tap can hold
        std::chrono::milliseconds poll{100};   // how often the thread drains it
    };

    // Start-up code: throws std::runtime_error (from AirCheckWriter) naming the directory or
    // option that cannot be used.
    AirCheckRecorder(IRenderSource& inner, AirCheckOptions options, const IClock& clock);
    AirCheckRecorder(IRenderSource& inner, AirCheckOptions options, const IClock& clock,
                     Timing timing);
    ~AirCheckRecorder();
    AirCheckRecorder(const AirCheckRecorder&) = delete;
    AirCheckRecorder& operator=(const AirCheckRecorder&) = delete;

    // What the output should render: the tap around `inner`.
    IRenderSource& source() { return *tap_; }

    // Starts "loa-aircheck". Idempotent.
    void start();
    // Drains what the tap holds into the file, closes it and stops the thread. Idempotent. Call
    // it after the output stopped, so the file ends with the last aired frame.
    void stop();

    std::uint64_t dropped_frames() const { return tap_->dropped_frames(); }
    std::uint64_t recorded_frames() const { return recorded_.load(std::memory_order_relaxed); }
    std::uint64_t write_errors() const { return errors_.load(std::memory_order_relaxed); }

private:
    void run();
    void drain();

    std::unique_ptr<AirCheckTap> tap_;
    std::unique_ptr<AirCheckWriter> writer_;  // the thread's once started
    std::string zone_;
    Timing timing_;
    std::vector<float> chunk_;
    std::uint64_t reported_drops_ = 0;

    std::atomic<std::uint64_t> recorded_{0};
    std::atomic<std::uint64_t> errors_{0};

    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;  // guarded by mutex_
    std::thread thread_;
};

}  // namespace loa::audio
