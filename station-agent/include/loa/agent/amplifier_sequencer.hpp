#pragma once

#include "loa/agent/amplifier.hpp"
#include "loa/common/clock.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace loa::agent {

struct AmplifierTiming {
    // On at least this long before an item's first sample (warm-up).
    Duration lead = std::chrono::seconds{3};
    // Off once nothing has played for this long (back-to-back items keep it on).
    Duration hold = std::chrono::seconds{30};
    // Switched on this much earlier still, so that a feeder pass arriving a little late keeps
    // the full lead.
    Duration margin = std::chrono::milliseconds{250};
    // A faulted amplifier is tried again at most this often.
    Duration retry = std::chrono::seconds{5};
};

// What a zone needs from its amplifier now, as the playout engine sees it.
struct AmplifierDemand {
    bool playing = false;                 // an item is cued or playing in the zone
    std::optional<TimePoint> next_start;  // first sample of the earliest item still to come
};

// Switches one zone's amplifier by the clock: on at the next item's first sample minus the lead
// time (nothing is switched when it is on already), off after the hold time without an item,
// never while an item is cued or playing. Every switch and every failed switch is logged. The
// engine asks ready() before it cues an item and while items play: a zone whose amplifier is
// off or faulted plays nothing.
//
// Threads: the feeder thread ("loa-feeder") calls update() and shutdown(); ready(),
// not_ready_reason() and on_since() from the feeder thread too; the IAmplifier is thread-safe.
class AmplifierSequencer {
public:
    AmplifierSequencer(std::string zone, IAmplifier& amplifier, const IClock& clock,
                       AmplifierTiming timing = {});
    AmplifierSequencer(const AmplifierSequencer&) = delete;
    AmplifierSequencer& operator=(const AmplifierSequencer&) = delete;

    void update(const AmplifierDemand& demand);
    // Switches the amplifier off if it is on (the agent is stopping).
    void shutdown();

    // On and not faulted.
    bool ready() const;
    // "amplifier fault: <text>" or "amplifier off"; empty when ready.
    std::string not_ready_reason() const;
    // When it was last switched on by this sequencer.
    std::optional<TimePoint> on_since() const { return on_since_; }

    // True while the amplifier is on but switched on less than the lead time ago (it warms up).
    // Any thread.
    bool warming(TimePoint now) const;

    const std::string& zone() const { return zone_; }
    IAmplifier& amplifier() { return amplifier_; }
    const AmplifierTiming& timing() const { return timing_; }

private:
    void switch_on(TimePoint now, const AmplifierDemand& demand);
    void switch_off(TimePoint now, const char* why);

    std::string zone_;
    IAmplifier& amplifier_;
    const IClock& clock_;
    AmplifierTiming timing_;
    std::optional<TimePoint> idle_since_;
    std::optional<TimePoint> last_failure_;
    std::optional<TimePoint> on_since_;
    // on_since_ + lead in Unix µs, 0 when off: read by other threads (warming()).
    std::atomic<std::int64_t> warm_until_us_{0};
};

}  // namespace loa::agent
