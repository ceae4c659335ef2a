#include "cli_runner.hpp"

#include "loa/cli/cli_app.hpp"
#include "loa/test/temp_dir.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <sstream>

namespace loa::cli::test {
namespace {

// Gives the whole test program its own config folder, removed at the end.
class ConfigHome : public ::testing::Environment {
public:
    void SetUp() override {
        dir_ = std::make_unique<test_support::TempDir>();
        ::setenv("XDG_CONFIG_HOME", dir_->path().c_str(), 1);
        ::unsetenv("LOA_TOKEN");
        ::unsetenv("LOA_TOKEN_FILE");
        ::unsetenv("LOA_SERVER");
    }
    void TearDown() override { dir_.reset(); }
    std::string path() const { return dir_->path().string(); }

private:
    std::unique_ptr<test_support::TempDir> dir_;
};

ConfigHome* const kConfigHome =
    static_cast<ConfigHome*>(::testing::AddGlobalTestEnvironment(new ConfigHome));  // NOLINT

}  // namespace

std::string config_home() {
    return kConfigHome->path();
}

Outcome run_loa(const std::vector<std::string>& args) {
    std::vector<const char*> argv{"loa"};
    for (const auto& a : args) {
        argv.push_back(a.c_str());
    }
    std::ostringstream out;
    std::ostringstream err;
    FakeClock clock{kNow};
    CliApp app{out, err, clock};
    const int code = app.run(static_cast<int>(argv.size()), argv.data());
    return {code, out.str(), err.str()};
}

}  // namespace loa::cli::test
