#pragma once

#include "loa/agent/amplifier.hpp"

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace loa::agent {

// An amplifier with no hardware: it records every switch with the (injected) clock's time, and
// a test can inject a fault (and mains, battery, temperature and speaker-line readings), after
// which every switch fails until the fault is cleared. With a `fault_file`, the amplifier is also
// faulted while that file exists (its first line is the fault), so a fault can be shown on a
// running agent. Thread-safe: any thread.
class SimulatedAmplifier final : public IAmplifier {
public:
    struct Switch {
        TimePoint at{};
        bool on = false;

        friend bool operator==(const Switch&, const Switch&) = default;
    };

    explicit SimulatedAmplifier(const IClock& clock, std::filesystem::path fault_file = {});

    Status power(bool on) override;
    AmplifierState state() const override;
    AmplifierStatus status() const override;
    std::string describe() const override;

    // From now on the amplifier is faulted with `what` (its on/off state stays as it was).
    void inject_fault(std::string what);
    void clear_fault();
    // Sensors (issue 5): once any is set, status() reports mains and battery (defaults: mains
    // on, battery 100 %) or the temperature. A speaker-line fault ("open", "short") is reported
    // in status() only; it does not stop the amplifier switching.
    void set_mains(bool ok);
    void set_battery_percent(double percent);
    void set_temperature_c(double celsius);
    void set_speaker_line_fault(std::string what);
    // Every successful switch so far, in order.
    std::vector<Switch> switches() const;

private:
    std::string fault_locked() const;

    const IClock& clock_;
    std::filesystem::path fault_file_;
    mutable std::mutex mu_;
    bool on_ = false;
    std::string fault_;
    std::optional<bool> mains_ok_;
    std::optional<double> battery_percent_;
    std::optional<double> temperature_c_;
    std::string speaker_line_fault_;
    std::vector<Switch> switches_;
};

}  // namespace loa::agent
