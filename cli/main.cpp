// loa: the operator's command line over the scheduler's HTTP API (docs/api.md).
#include "loa/cli/cli_app.hpp"
#include "loa/common/clock.hpp"

#include <iostream>

int main(int argc, char** argv) {
    loa::cli::CliApp app{std::cout, std::cerr, loa::SystemClock::instance()};
    return app.run(argc, argv);
}
