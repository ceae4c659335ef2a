#pragma once

#include "loa/agent/amplifier.hpp"

#include <memory>
#include <mutex>

struct gpiod_chip;
struct gpiod_line;

namespace loa::agent {

// An amplifier whose power relay hangs on a GPIO line, driven through libgpiod (the character
// device API). The line is requested as an output, "off", when the amplifier is made; with
// `active_low` the relay closes on a low line. A chip or line that cannot be opened or set
// faults the amplifier with a message naming chip, line and the system's error; the next
// switch tries to open it again. The line is switched off and released on destruction.
//
// Threads: thread-safe (calls are serialised); called from the feeder thread.
class GpioAmplifier final : public IAmplifier {
public:
    // `chip`: "gpiochip0", "/dev/gpiochip0", "0" or a chip label.
    GpioAmplifier(std::string chip, unsigned line, bool active_low);
    ~GpioAmplifier() override;
    GpioAmplifier(const GpioAmplifier&) = delete;
    GpioAmplifier& operator=(const GpioAmplifier&) = delete;

    Status power(bool on) override;
    AmplifierState state() const override;
    std::string describe() const override;

private:
    Status open_locked();
    Status fail_locked(const std::string& what, int error);

    struct ChipCloser {
        void operator()(gpiod_chip* chip) const;
    };

    std::string chip_name_;
    unsigned offset_;
    bool active_low_;
    mutable std::mutex mu_;
    std::unique_ptr<gpiod_chip, ChipCloser> chip_;
    gpiod_line* line_ = nullptr;  // owned by chip_; requested while chip_ is open
    AmplifierState state_;
};

}  // namespace loa::agent
