// Runs the real loa-agent executable.
#include "loa/protocol/signing.hpp"
#include "temp_dir.hpp"
#include "test_scheduler.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>

#include <csignal>
#include <fstream>
#include <sstream>

extern char** environ;

using namespace loa;
using namespace std::chrono_literals;
using loa::agent::test::TempDir;
using loa::agent::test::TestScheduler;

namespace {

const std::string kAgent = std::string{LOA_BINARY_DIR} + "/station-agent/loa-agent";

std::string slurp(const std::filesystem::path& file) {
    std::ifstream in{file};
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// One run of loa-agent with stdout and stderr captured in files.
class AgentProcess {
public:
    AgentProcess(const TempDir& dir, std::vector<std::string> args)
        : out_{dir / ("out-" + std::to_string(++runs_))}, err_{out_.string() + ".err"} {
        args.insert(args.begin(), kAgent);
        std::vector<char*> argv;
        for (auto& a : args) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                         0644);
        posix_spawn_file_actions_addopen(&actions, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                         0644);
        EXPECT_EQ(posix_spawn(&pid_, kAgent.c_str(), &actions, nullptr, argv.data(), environ), 0);
        posix_spawn_file_actions_destroy(&actions);
        pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
    }
    ~AgentProcess() {
        if (!exited_) {
            kill(pid_, SIGKILL);
            (void)wait(5s);
        }
        if (pidfd_ >= 0) {
            close(pidfd_);
        }
    }

    // The exit status, waiting up to `timeout`; nullopt when it is still running.
    std::optional<int> wait(std::chrono::milliseconds timeout = 10s) {
        if (exited_) {
            return status_;
        }
        pollfd p{pidfd_, POLLIN, 0};
        if (poll(&p, 1, static_cast<int>(timeout.count())) != 1) {
            return std::nullopt;
        }
        int status = 0;
        waitpid(pid_, &status, 0);
        exited_ = true;
        status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return status_;
    }
    void signal(int sig) const { kill(pid_, sig); }
    std::string out() const { return slurp(out_); }
    std::string err() const { return slurp(err_); }

private:
    static inline int runs_ = 0;
    std::filesystem::path out_;
    std::filesystem::path err_;
    pid_t pid_ = -1;
    int pidfd_ = -1;
    bool exited_ = false;
    int status_ = -1;
};

// Waits up to `timeout` for `file` to be put in place (created or renamed into its directory).
bool wait_for_file(const std::filesystem::path& file, std::chrono::milliseconds timeout) {
    const int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    inotify_add_watch(fd, file.parent_path().c_str(), IN_MOVED_TO | IN_CLOSE_WRITE);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool found = std::filesystem::exists(file);
    while (!found && std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0))) == 1) {
            std::array<char, 4096> buf{};
            while (read(fd, buf.data(), buf.size()) > 0) {
            }
        }
        found = std::filesystem::exists(file);
    }
    close(fd);
    return found;
}

std::size_t lines(const std::string& text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace

TEST(AgentMain, HelpAndVersion) {
    TempDir dir;
    AgentProcess help{dir, {"--help"}};
    EXPECT_EQ(help.wait(), 0);
    for (const char* flag :
         {"--config", "--state-dir", "--scheduler", "--scheduler-key", "--signing-key", "--output",
          "--device", "--host-api", "--list-devices", "--print-public-key", "--log-level",
          "--ready-file", "--version"}) {
        EXPECT_NE(help.out().find(flag), std::string::npos) << flag;
    }
    AgentProcess version{dir, {"--version"}};
    EXPECT_EQ(version.wait(), 0);
    EXPECT_EQ(version.out().rfind("loa-agent ", 0), 0U) << version.out();
}

TEST(AgentMain, OnDefaultsItMakesAKeyAndNamesTheMissingSchedulerKey) {
    TempDir dir;
    AgentProcess agent{dir,
                       {"--state-dir", (dir / "state").string(), "--output",
                        "file:" + (dir / "air.wav").string()}};
    EXPECT_EQ(agent.wait(), 2);
    const auto err = agent.err();
    EXPECT_NE(err.find("register it with: loa station add ID --public-key"), std::string::npos)
        << err;
    EXPECT_NE(err.find("--scheduler-key"), std::string::npos) << err;
    struct stat st {};
    ASSERT_EQ(::stat((dir / "state" / "agent.key").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600U);

    // The key printed is the key kept.
    AgentProcess print{dir, {"--state-dir", (dir / "state").string(), "--print-public-key"}};
    EXPECT_EQ(print.wait(), 0);
    const auto key = print.out();
    EXPECT_NE(err.find(key.substr(0, 40)), std::string::npos);
    EXPECT_EQ(key.size(), 41U);
}

TEST(AgentMain, BadInputIsAOneLineErrorAndExit2) {
    TempDir dir;
    {
        std::ofstream cfg{dir / "agent.toml"};
        cfg << "[audio]\noutput = \"alsa\"\n";
    }
    AgentProcess bad_config{dir, {"--config", (dir / "agent.toml").string()}};
    EXPECT_EQ(bad_config.wait(), 2);
    EXPECT_EQ(lines(bad_config.err()), 1U) << bad_config.err();
    EXPECT_NE(bad_config.err().find("agent.toml"), std::string::npos) << bad_config.err();

    AgentProcess bad_output{dir, {"--state-dir", dir.path().string(), "--output", "alsa"}};
    EXPECT_EQ(bad_output.wait(), 2);
    EXPECT_EQ(lines(bad_output.err()), 1U) << bad_output.err();
    EXPECT_NE(bad_output.err().find("--output"), std::string::npos);

    AgentProcess bad_flag{dir, {"--no-such-flag"}};
    EXPECT_EQ(bad_flag.wait(), 2);
}

TEST(AgentMain, LinksToTheSchedulerWritesTheReadyFileAndStopsOnSigterm) {
    TempDir dir;
    const auto state = (dir / "state").string();
    AgentProcess print{dir, {"--state-dir", state, "--print-public-key"}};
    ASSERT_EQ(print.wait(), 0);
    const auto key = print.out().substr(0, 40);
    TestScheduler scheduler{key};
    const auto signer = protocol::SigningKeyPair::generate();
    const auto ready = dir / "ready.json";
    const auto air = dir / "air.wav";
    AgentProcess agent{
        dir,
        {"--state-dir", state, "--scheduler", scheduler.endpoint(), "--scheduler-key",
         scheduler.keys().public_key, "--signing-key", signer.public_key, "--output",
         "file:" + air.string(), "--ready-file", ready.string(), "--log-level", "debug"}};
    const auto hello = scheduler.expect(wire::Envelope::kHello);
    ASSERT_TRUE(hello.has_value()) << agent.err();
    EXPECT_EQ(hello->hello().timeline_revision(), 0U);
    ASSERT_TRUE(wait_for_file(ready, 5s));
    const auto json = nlohmann::json::parse(slurp(ready));
    EXPECT_EQ(json.at("public_key"), key);
    EXPECT_NE(json.at("output").get<std::string>().find(air.string()), std::string::npos);

    agent.signal(SIGTERM);
    EXPECT_EQ(agent.wait(5s), 0) << agent.err();
    const auto err = agent.err();
    EXPECT_NE(err.find(scheduler.endpoint()), std::string::npos) << err;
    EXPECT_NE(err.find("SIGTERM received"), std::string::npos) << err;
    EXPECT_TRUE(std::filesystem::exists(dir / "state" / "agent.db"));
}
