#pragma once

#include "loa/common/clock.hpp"
#include "loa/common/result.hpp"
#include "loa/config/config.hpp"

#include <memory>
#include <optional>
#include <string>

namespace loa::agent {

// What an amplifier reports about itself.
struct AmplifierState {
    bool on = false;       // switched on (as last commanded successfully)
    bool faulted = false;  // the last switch failed, or a fault was detected since
    std::string fault;     // what went wrong, for logs and as-run reasons; empty when not faulted

    friend bool operator==(const AmplifierState&, const AmplifierState&) = default;
};

// What a backend can tell beyond on/off, where its hardware has the sensors. Unknown facts stay
// empty.
struct AmplifierStatus {
    AmplifierState state;
    std::optional<bool> mains_ok;           // mains power present (false: on battery)
    std::optional<double> battery_percent;  // state of charge, 0 to 100
    std::optional<double> temperature_c;    // heat-sink temperature
    std::string speaker_line_fault;         // "open", "short", ...; empty: line fine or unknown

    friend bool operator==(const AmplifierStatus&, const AmplifierStatus&) = default;
};

// The power switch of one zone's amplifier. Backends: SimulatedAmplifier (tests, demo),
// GpioAmplifier (a libgpiod line drives the relay), CommandAmplifier (an external program).
//
// Threads: implementations are thread-safe; the product calls them from the feeder thread
// ("loa-feeder") through the AmplifierSequencer, and power() may block for a while (a command
// backend waits for its program), never from the real-time thread.
class IAmplifier {
public:
    virtual ~IAmplifier() = default;
    // Switches the amplifier on or off. On failure the amplifier is faulted and the error says
    // why; a later successful switch clears the fault.
    virtual Status power(bool on) = 0;
    virtual AmplifierState state() const = 0;
    // The state and whatever else the backend senses. The default knows only state(). Must not
    // block for long (read by the link thread once a second).
    virtual AmplifierStatus status() const { return AmplifierStatus{state(), {}, {}, {}, {}}; }
    // "simulated", "gpio gpiochip0 line 17 (active low)", "command /usr/local/bin/amp", for logs.
    virtual std::string describe() const = 0;
};

// The backend a zone's config asks for. A GPIO line that cannot be opened yet gives an
// amplifier that is faulted (and tries again on the next switch), not an exception.
std::unique_ptr<IAmplifier> make_amplifier(const config::ZoneConfig& zone, const IClock& clock);

}  // namespace loa::agent
