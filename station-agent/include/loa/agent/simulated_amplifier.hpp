#pragma once

#include "loa/agent/amplifier.hpp"

#include <filesystem>
#include <mutex>
#include <vector>

namespace loa::agent {

// An amplifier with no hardware: it records every switch with the (injected) clock's time, and
// a test can inject a fault, after which every switch fails until the fault is cleared. With a
// `fault_file`, the amplifier is also faulted while that file exists (its first line is the
// fault), so a fault can be shown on a running agent. Thread-safe: any thread.
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
    std::string describe() const override;

    // From now on the amplifier is faulted with `what` (its on/off state stays as it was).
    void inject_fault(std::string what);
    void clear_fault();
    // Every successful switch so far, in order.
    std::vector<Switch> switches() const;

private:
    std::string fault_locked() const;

    const IClock& clock_;
    std::filesystem::path fault_file_;
    mutable std::mutex mu_;
    bool on_ = false;
    std::string fault_;
    std::vector<Switch> switches_;
};

}  // namespace loa::agent
