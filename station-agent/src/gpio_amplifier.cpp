#include "loa/agent/gpio_amplifier.hpp"

#include <gpiod.h>
#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace loa::agent {
namespace {

constexpr const char* kConsumer = "loa-agent";

}  // namespace

void GpioAmplifier::ChipCloser::operator()(gpiod_chip* chip) const {
    gpiod_chip_close(chip);
}

GpioAmplifier::GpioAmplifier(std::string chip, unsigned line, bool active_low)
    : chip_name_{std::move(chip)}, offset_{line}, active_low_{active_low} {
    std::lock_guard lock{mu_};
    if (auto st = open_locked(); !st) {
        spdlog::error("amplifier {}: {}", describe(), st.message());
    }
}

GpioAmplifier::~GpioAmplifier() {
    std::lock_guard lock{mu_};
    if (line_ != nullptr) {
        gpiod_line_set_value(line_, 0);
        gpiod_line_release(line_);
        line_ = nullptr;
    }
}

Status GpioAmplifier::fail_locked(const std::string& what, int error) {
    state_.faulted = true;
    state_.fault = fmt::format("gpio {} line {}: {}: {}", chip_name_, offset_, what,
                               std::strerror(error != 0 ? error : EIO));
    return Error{state_.fault};
}

Status GpioAmplifier::open_locked() {
    if (line_ != nullptr) {
        return {};
    }
    errno = 0;
    if (!chip_) {
        chip_.reset(gpiod_chip_open_lookup(chip_name_.c_str()));
        if (!chip_) {
            return fail_locked("cannot open the chip", errno);
        }
    }
    gpiod_line* line = gpiod_chip_get_line(chip_.get(), offset_);
    if (line == nullptr) {
        return fail_locked("no such line", errno);
    }
    const int flags = active_low_ ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0;
    if (gpiod_line_request_output_flags(line, kConsumer, flags, 0) < 0) {
        return fail_locked("cannot request the line as an output", errno);
    }
    line_ = line;
    state_ = {};
    return {};
}

Status GpioAmplifier::power(bool on) {
    std::lock_guard lock{mu_};
    if (auto st = open_locked(); !st) {
        return st;
    }
    errno = 0;
    if (gpiod_line_set_value(line_, on ? 1 : 0) < 0) {
        return fail_locked(on ? "cannot switch on" : "cannot switch off", errno);
    }
    state_ = {on, false, {}};
    return {};
}

AmplifierState GpioAmplifier::state() const {
    std::lock_guard lock{mu_};
    return state_;
}

std::string GpioAmplifier::describe() const {
    return fmt::format("gpio {} line {}{}", chip_name_, offset_,
                       active_low_ ? " (active low)" : "");
}

}  // namespace loa::agent
