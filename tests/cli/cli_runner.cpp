#include "cli_runner.hpp"

#include "loa/cli/cli_app.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <system_error>

namespace loa::cli::test {
namespace {

// Gives the whole test program its own config folder, removed at the end.
class ConfigHome : public ::testing::Environment {
public:
    void SetUp() override {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "loa-cli-test-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error{"cannot make a temporary folder"};
        }
        path_ = pattern;
        ::setenv("XDG_CONFIG_HOME", path_.c_str(), 1);
        ::unsetenv("LOA_TOKEN");
        ::unsetenv("LOA_TOKEN_FILE");
        ::unsetenv("LOA_SERVER");
    }
    void TearDown() override {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
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
