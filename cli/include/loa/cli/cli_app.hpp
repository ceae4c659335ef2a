#pragma once

#include "loa/common/clock.hpp"

#include <ostream>
#include <string>

namespace loa::cli {

// The `loa` command: parses the command line, calls the scheduler's HTTP API and prints the
// answer as a table (or JSON with --json). Exit codes: 0 done, 1 the request failed (the
// scheduler's error or no scheduler), 2 a usage error. Not thread-safe: one run at a time.
class CliApp {
public:
    // Output goes to `out`, errors to `err`; `clock` gives "now" for relative times (+5m).
    CliApp(std::ostream& out, std::ostream& err, const IClock& clock);

    CliApp(const CliApp&) = delete;
    CliApp& operator=(const CliApp&) = delete;

    int run(int argc, const char* const* argv);

private:
    std::ostream& out_;
    std::ostream& err_;
    const IClock& clock_;
};

// The scheduler address used without --server and LOA_SERVER.
inline constexpr const char* kDefaultServer = "http://127.0.0.1:8640";

}  // namespace loa::cli
