#pragma once

#include "loa/common/clock.hpp"
#include "loa/common/result.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>

namespace loa {

// One NTP-style exchange, measured: `offset` is how far the reference clock (the scheduler's) is
// ahead of the local clock, `delay` the round trip less the reference's own processing time.
//   t1 local send, t2 reference receive, t3 reference send, t4 local receive
//   offset = ((t2 - t1) + (t3 - t4)) / 2        delay = (t4 - t1) - (t3 - t2)
// The true offset lies within offset ± delay / 2 whatever the asymmetry of the two directions.
struct ClockSample {
    Duration offset{};
    Duration delay{};
    TimePoint at{};  // t4, on the local clock
};

// Estimates the offset of the local clock to a reference clock from four-timestamp exchanges and
// serves the corrected time: a clock that follows the reference smoothly and never goes back.
//
// Algorithm
// 1. Each exchange gives a sample (above). An exchange with t4 < t1, t3 < t2, a negative delay or
//    a delay above `max_delay` is refused and changes nothing.
// 2. Filter. The last `window` samples (none older than `max_age`) are kept. Each sample bounds
//    the true offset: it lies within [offset - delay/2, offset + delay/2], since neither
//    direction can take less than no time. While the window's intervals overlap, the estimate
//    is the middle of their intersection: its error is half the difference of the smallest
//    one-way queueing seen in each direction, so a path that is sometimes quiet gives a
//    precise estimate however asymmetric its busy moments are, and a slow sample (wide
//    interval) cannot pull it. When they do not overlap (the offset changed within the window,
//    or the local clock drifted), the estimate is the median offset of the `best` samples of
//    lowest delay (NTP's clock filter, made robust by the median) until the older samples
//    leave the window.
// 3. Spikes: a sample whose delay exceeds spike_factor x the window's minimum delay +
//    `spike_margin` is a delay spike. It stays in the window (if the path really got slower, it
//    becomes the new normal once the faster samples age out) but can never be among the best
//    unless most of the window is as slow, and it never confirms a step.
// 4. Discipline. The first `initial_samples` accepted samples set the offset directly (start-up,
//    when nothing is playing yet). After that the applied offset slews toward the estimate at
//    most `slew_rate` (default 500 ppm: 0.5 ms per second), so the corrected clock runs at
//    1 ± slew_rate of the local one and never jumps. A difference larger than `step_threshold`
//    (default 128 ms, NTP's) is not slewed: it is a step only when `step_confirmations`
//    consecutive non-spike samples agree on it (within step_threshold of each other); the window
//    then restarts from those samples and the offset is set at once. Until then the applied
//    offset holds. A step backwards does not make the corrected clock go back: it stands still
//    until the new offset catches up with the time it had shown.
// The estimate models offset only, not frequency: with exchanges every few seconds a local
// clock's drift (tens of ppm) moves the offset by well under a millisecond between samples,
// and the slew follows it.
//
// Thread-safe: the link thread adds exchanges while other threads read the time. Every call
// takes a mutex briefly; not for a real-time audio callback (read the offset ahead, outside it).
class ClockOffsetEstimator final : public IClock {
public:
    struct Options {
        std::size_t window = 16;  // samples kept
        std::size_t best = 4;     // lowest-delay samples whose median offset is the estimate
        std::size_t initial_samples = 4;  // samples applied as steps at start-up
        Duration max_delay = std::chrono::seconds{2};
        Duration max_age = std::chrono::minutes{15};
        Duration step_threshold = std::chrono::milliseconds{128};
        std::size_t step_confirmations = 3;
        double slew_rate = 500e-6;  // seconds of correction per second, < 1
        double spike_factor = 3.0;
        Duration spike_margin = std::chrono::milliseconds{5};
    };

    struct Counters {
        std::uint64_t accepted = 0;  // exchanges that gave a sample
        std::uint64_t refused = 0;   // exchanges refused (bad timestamps, delay too long)
        std::uint64_t spikes = 0;    // accepted samples that were delay spikes
        std::uint64_t steps = 0;     // times the offset was set at once (start-up included)
    };

    // `local` is the clock the agent stamps t1 and t4 with and plays by.
    explicit ClockOffsetEstimator(const IClock& local);
    ClockOffsetEstimator(const IClock& local, Options options);

    ClockOffsetEstimator(const ClockOffsetEstimator&) = delete;
    ClockOffsetEstimator& operator=(const ClockOffsetEstimator&) = delete;

    // Adds one exchange (t1, t4 on the local clock; t2, t3 on the reference clock) and updates
    // the estimate and the discipline at the local clock's now(). Returns the sample, or an
    // error naming why the exchange was refused.
    Result<ClockSample> add_exchange(TimePoint t1, TimePoint t2, TimePoint t3, TimePoint t4);

    // The corrected time: the reference clock's time as best known, never going back.
    TimePoint now() const override;
    // Local clock time -> corrected time, and back (the earliest local time that shows
    // `corrected`, e.g. when to play a frame stamped for a corrected instant).
    TimePoint to_corrected(TimePoint local) const;
    TimePoint to_local(TimePoint corrected) const;

    // True once any exchange has been accepted; until then the corrected time is the local time.
    bool synchronized() const;
    // The offset applied now (corrected - local), and the filtered estimate it slews toward.
    Duration offset() const;
    Duration estimate() const;
    // How far the estimate may be off: the half-width of the intersection while the window is
    // consistent(), else the root-mean-square spread of the best samples around the estimate.
    Duration jitter() const;
    bool consistent() const;
    Counters counters() const;

private:
    Duration applied_at(TimePoint local) const;      // needs mu_
    TimePoint corrected_at(TimePoint local) const;   // needs mu_
    void refilter();                                 // needs mu_
    void step_to(Duration offset, TimePoint local);  // needs mu_
    void slew_to(Duration offset, TimePoint local);  // needs mu_

    const IClock& local_;
    Options options_;

    mutable std::mutex mu_;
    std::deque<ClockSample> window_;
    std::deque<ClockSample> candidates_;  // recent non-spike samples that disagree by a step
    Duration estimate_{};
    Duration jitter_{};
    // The applied offset: anchor_offset_ at anchor_local_, then moving toward target_ at
    // slew_rate, at most.
    TimePoint anchor_local_{};
    Duration anchor_offset_{};
    Duration target_{};
    TimePoint floor_{};  // the corrected clock never shows less (after a step backwards)
    bool synchronized_ = false;
    bool consistent_ = false;
    Counters counters_;
};

}  // namespace loa
