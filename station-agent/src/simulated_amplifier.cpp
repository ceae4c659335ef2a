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

AmplifierStatus SimulatedAmplifier::status() const {
    std::lock_guard lock{mu_};
    auto fault = fault_locked();
    AmplifierStatus st;
    st.state = {on_, !fault.empty(), std::move(fault)};
    if (mains_ok_ || battery_percent_) {
        st.mains_ok = mains_ok_.value_or(true);
        st.battery_percent = battery_percent_.value_or(100.0);
    }
    st.temperature_c = temperature_c_;
    st.speaker_line_fault = speaker_line_fault_;
    return st;
}

void SimulatedAmplifier::set_mains(bool ok) {
    std::lock_guard lock{mu_};
    mains_ok_ = ok;
}

void SimulatedAmplifier::set_battery_percent(double percent) {
    std::lock_guard lock{mu_};
    battery_percent_ = percent;
}

void SimulatedAmplifier::set_temperature_c(double celsius) {
    std::lock_guard lock{mu_};
    temperature_c_ = celsius;
}

void SimulatedAmplifier::set_speaker_line_fault(std::string what) {
    std::lock_guard lock{mu_};
    speaker_line_fault_ = std::move(what);
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
