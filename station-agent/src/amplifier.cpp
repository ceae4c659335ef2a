#include "loa/agent/amplifier.hpp"

#include "loa/agent/command_amplifier.hpp"
#include "loa/agent/gpio_amplifier.hpp"
#include "loa/agent/simulated_amplifier.hpp"

namespace loa::agent {

std::unique_ptr<IAmplifier> make_amplifier(const config::ZoneConfig& zone, const IClock& clock) {
    switch (zone.amplifier) {
        case config::AmplifierKind::gpio:
            return std::make_unique<GpioAmplifier>(zone.gpio_chip, zone.gpio_line,
                                                   zone.gpio_active_low);
        case config::AmplifierKind::command:
            return std::make_unique<CommandAmplifier>(zone.power_on_command,
                                                      zone.power_off_command);
        case config::AmplifierKind::simulated:
            break;
    }
    return std::make_unique<SimulatedAmplifier>(clock, zone.simulated_fault_file);
}

}  // namespace loa::agent
