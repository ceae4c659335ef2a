#pragma once

#include "loa/agent/amplifier.hpp"

#include <chrono>
#include <mutex>
#include <vector>

namespace loa::agent {

// An amplifier switched by external programs: `on_argv` to switch on, `off_argv` to switch off
// (run directly, no shell, stdin from /dev/null, with the agent's stdout and stderr). Exit
// status 0 means done; any other status, a signal, a program that cannot be started or one that
// runs longer than `timeout` (it is then killed) faults the amplifier with a message naming the
// program and what happened.
//
// Threads: thread-safe; power() blocks until the program ends (at most `timeout`), so it is
// called from the feeder thread at moments when the zone plays nothing.
class CommandAmplifier final : public IAmplifier {
public:
    CommandAmplifier(std::vector<std::string> on_argv, std::vector<std::string> off_argv,
                     std::chrono::milliseconds timeout = std::chrono::seconds{10});

    Status power(bool on) override;
    AmplifierState state() const override;
    std::string describe() const override;

private:
    std::vector<std::string> on_argv_;
    std::vector<std::string> off_argv_;
    std::chrono::milliseconds timeout_;
    mutable std::mutex mu_;
    AmplifierState state_;
};

}  // namespace loa::agent
