#include "loa/agent/simulated_amplifier.hpp"

#include <fstream>

namespace loa::agent {

SimulatedAmplifier::SimulatedAmplifier(const IClock& clock, std::filesystem::path fault_file)
    : clock_{clock}, fault_file_{std::move(fault_file)} {}

std::string SimulatedAmplifier::fault_locked() const {
    if (!fault_.empty() || fault_file_.empty()) {
        return fault_;
    }
    std::ifstream in{fault_file_};
    if (!in) {
        return {};
    }
    std::string line;
    std::getline(in, line);
    return line.empty() ? "fault file " + fault_file_.string() + " present" : line;
}

Status SimulatedAmplifier::power(bool on) {
    std::lock_guard lock{mu_};
    if (auto fault = fault_locked(); !fault.empty()) {
        return Error{fault};
    }
    on_ = on;
    switches_.push_back({clock_.now(), on});
    return {};
}

AmplifierState SimulatedAmplifier::state() const {
    std::lock_guard lock{mu_};
    auto fault = fault_locked();
    return {on_, !fault.empty(), std::move(fault)};
}

std::string SimulatedAmplifier::describe() const {
    return "simulated";
}

void SimulatedAmplifier::inject_fault(std::string what) {
    std::lock_guard lock{mu_};
    fault_ = what.empty() ? std::string{"injected fault"} : std::move(what);
}

void SimulatedAmplifier::clear_fault() {
    std::lock_guard lock{mu_};
    fault_.clear();
}

std::vector<SimulatedAmplifier::Switch> SimulatedAmplifier::switches() const {
    std::lock_guard lock{mu_};
    return switches_;
}

}  // namespace loa::agent
