#include "loa/agent/amplifier_sequencer.hpp"

#include "loa/common/time_format.hpp"

#include <spdlog/spdlog.h>

namespace loa::agent {
namespace {

double seconds(Duration d) {
    return std::chrono::duration<double>(d).count();
}

}  // namespace

AmplifierSequencer::AmplifierSequencer(std::string zone, IAmplifier& amplifier, const IClock& clock,
                                       AmplifierTiming timing)
    : zone_{std::move(zone)}, amplifier_{amplifier}, clock_{clock}, timing_{timing} {}

void AmplifierSequencer::update(const AmplifierDemand& demand) {
    const TimePoint now = clock_.now();
    const bool soon =
        demand.next_start && now >= *demand.next_start - timing_.lead - timing_.margin;
    const auto state = amplifier_.state();
    if (demand.playing || soon) {
        idle_since_.reset();
        if (state.on && !state.faulted) {
            return;
        }
        if (state.faulted && last_failure_ && now < *last_failure_ + timing_.retry) {
            return;  // tried a moment ago
        }
        switch_on(now, demand);
        return;
    }
    if (!state.on) {
        idle_since_.reset();
        return;
    }
    if (!idle_since_) {
        idle_since_ = now;
    }
    if (now >= *idle_since_ + timing_.hold) {
        if (state.faulted && last_failure_ && now < *last_failure_ + timing_.retry) {
            return;
        }
        switch_off(now, "hold time over");
    }
}

void AmplifierSequencer::switch_on(TimePoint now, const AmplifierDemand& demand) {
    const auto st = amplifier_.power(true);
    std::string why = "an item is playing";
    if (demand.next_start) {
        why = fmt::format("next item at {}, in {:.3f} s", format_utc(*demand.next_start),
                          seconds(*demand.next_start - now));
    }
    if (!st) {
        last_failure_ = now;
        spdlog::error("amplifier {} ({}): cannot switch on ({}): {}", zone_, amplifier_.describe(),
                      why, st.message());
        return;
    }
    last_failure_.reset();
    on_since_ = now;
    warm_until_us_.store(to_unix_us(now + timing_.lead));
    spdlog::info("amplifier {} ({}): on at {} ({})", zone_, amplifier_.describe(), format_utc(now),
                 why);
}

void AmplifierSequencer::switch_off(TimePoint now, const char* why) {
    const auto st = amplifier_.power(false);
    if (!st) {
        last_failure_ = now;
        spdlog::error("amplifier {} ({}): cannot switch off: {}", zone_, amplifier_.describe(),
                      st.message());
        return;
    }
    last_failure_.reset();
    idle_since_.reset();
    on_since_.reset();
    warm_until_us_.store(0);
    spdlog::info("amplifier {} ({}): off at {} ({}: {:.0f} s without an item)", zone_,
                 amplifier_.describe(), format_utc(now), why, seconds(timing_.hold));
}

void AmplifierSequencer::shutdown() {
    if (amplifier_.state().on) {
        const TimePoint now = clock_.now();
        const auto st = amplifier_.power(false);
        if (!st) {
            spdlog::error("amplifier {} ({}): cannot switch off at shutdown: {}", zone_,
                          amplifier_.describe(), st.message());
            return;
        }
        on_since_.reset();
        warm_until_us_.store(0);
        spdlog::info("amplifier {} ({}): off at {} (agent stopping)", zone_, amplifier_.describe(),
                     format_utc(now));
    }
}

bool AmplifierSequencer::ready() const {
    const auto state = amplifier_.state();
    return state.on && !state.faulted;
}

std::string AmplifierSequencer::not_ready_reason() const {
    const auto state = amplifier_.state();
    if (state.faulted) {
        return "amplifier fault: " + state.fault;
    }
    return state.on ? std::string{} : std::string{"amplifier off"};
}

bool AmplifierSequencer::warming(TimePoint now) const {
    const auto until = warm_until_us_.load();
    return until != 0 && to_unix_us(now) < until;
}

}  // namespace loa::agent
