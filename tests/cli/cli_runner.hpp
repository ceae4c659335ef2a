#pragma once

#include "loa/common/clock.hpp"

#include <string>
#include <vector>

namespace loa::cli::test {

// 2026-11-27T10:00:00.250Z: "now" for every run of `loa` in the tests.
inline const TimePoint kNow = from_unix_us(1'795'773'600'250'000LL);

// What a run of `loa` did.
struct Outcome {
    int code = -1;
    std::string out;
    std::string err;
};

// Runs `loa args...` in this process with the clock at kNow. The tests' environment has no
// LOA_TOKEN or LOA_TOKEN_FILE, and XDG_CONFIG_HOME is a fresh folder (config_home()), so no
// token of the machine's user is read.
Outcome run_loa(const std::vector<std::string>& args);

// The XDG_CONFIG_HOME of the tests.
std::string config_home();

}  // namespace loa::cli::test
