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

namespace {

// An agent config as `loa station add --agent-config` writes it (the parts the fleet reads).
void write_agent_config(const std::filesystem::path& file, const std::string& station,
                        const std::filesystem::path& state, const TestScheduler& scheduler,
                        const std::string& signing_key, const std::string& secret_key) {
    std::ofstream out{file};
    out << "[store]\nstate_dir = \"" << state.string() << "\"\n"
        << "[station]\nid = \"" << station << "\"\n"
        << "[scheduler]\nendpoint = \"" << scheduler.endpoint() << "\"\npublic_key = \""
        << scheduler.keys().public_key << "\"\nsigning_key = \"" << signing_key << "\"\n"
        << "[keys]\nsecret_key = \"" << secret_key << "\"\n";
}

}  // namespace

TEST(AgentFleet, RunsAnAgentPerConfigEachWithItsOwnKeyStoreAndSinkAndStopsOnSigterm) {
    TempDir dir;
    const auto signer = protocol::SigningKeyPair::generate();
    const auto key_a = transport::CurveKeyPair::generate();
    const auto key_b = transport::CurveKeyPair::generate();
    // Each scheduler admits one key: a Hello on each proves each agent used its own.
    TestScheduler scheduler_a{key_a.public_key, "30280"};
    TestScheduler scheduler_b{key_b.public_key, "30281"};
    const auto fleet = dir / "fleet";
    std::filesystem::create_directories(fleet);
    // Both keep the default-like shared state dir: the fleet gives each a subdirectory.
    write_agent_config(fleet / "30280.toml", "30280", dir / "state", scheduler_a, signer.public_key,
                       key_a.secret_key);
    write_agent_config(fleet / "30281.toml", "30281", dir / "state", scheduler_b, signer.public_key,
                       key_b.secret_key);
    std::ofstream{fleet / "README"} << "not a config\n";
    const auto ready = dir / "ready.json";
    AgentProcess agents{dir, {"--fleet", fleet.string(), "--ready-file", ready.string()}};

    const auto hello_a = scheduler_a.expect(wire::Envelope::kHello);
    const auto hello_b = scheduler_b.expect(wire::Envelope::kHello);
    ASSERT_TRUE(hello_a && hello_b) << agents.err();
    ASSERT_TRUE(wait_for_file(ready, 5s)) << agents.err();
    const auto json = nlohmann::json::parse(slurp(ready));
    ASSERT_EQ(json.at("count"), 2);
    EXPECT_EQ(json.at("agents").at(0).at("station_id"), "30280");
    EXPECT_EQ(json.at("agents").at(0).at("public_key"), key_a.public_key);
    EXPECT_EQ(json.at("agents").at(1).at("public_key"), key_b.public_key);
    EXPECT_NE(json.at("agents").at(1).at("output").get<std::string>().find(
                  (dir / "state" / "30281" / "output.wav").string()),
              std::string::npos);
    // Both welcomed: the fleet says so once.
    scheduler_a.welcome(to_unix_us(SystemClock::instance().now()));
    scheduler_b.welcome(to_unix_us(SystemClock::instance().now()));
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (agents.err().find("all 2 agents welcomed") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
        ASSERT_FALSE(agents.wait(50ms).has_value()) << agents.err();
    }

    agents.signal(SIGTERM);
    EXPECT_EQ(agents.wait(5s), 0) << agents.err();
    const auto err = agents.err();
    EXPECT_NE(err.find("all 2 agents welcomed"), std::string::npos) << err;
    // Each agent's lines name its station.
    EXPECT_NE(err.find("[30280] link: welcomed as station 30280"), std::string::npos) << err;
    EXPECT_NE(err.find("[30281] link: welcomed as station 30281"), std::string::npos) << err;
    EXPECT_TRUE(std::filesystem::exists(dir / "state" / "30280" / "agent.db"));
    EXPECT_TRUE(std::filesystem::exists(dir / "state" / "30281" / "agent.db"));
    EXPECT_TRUE(std::filesystem::exists(dir / "state" / "30280" / "output.wav.json"));
}

TEST(AgentFleet, BadConfigsAreNamedAndNothingStarts) {
    TempDir dir;
    const auto fleet = dir / "fleet";
    std::filesystem::create_directories(fleet);
    AgentProcess empty{dir, {"--fleet", fleet.string()}};
    EXPECT_EQ(empty.wait(), 2);
    EXPECT_NE(empty.err().find("no agent config"), std::string::npos) << empty.err();

    const auto signer = protocol::SigningKeyPair::generate();
    const auto key = transport::CurveKeyPair::generate();
    TestScheduler scheduler{key.public_key};
    write_agent_config(fleet / "a.toml", "30280", dir / "a", scheduler, signer.public_key,
                       key.secret_key);
    write_agent_config(fleet / "b.toml", "30281", dir / "b", scheduler, signer.public_key,
                       key.secret_key);
    std::ofstream{fleet / "c.toml"} << "[store]\nstate_dir = \"x\"\ncolour = \"blue\"\n";
    AgentProcess bad{dir, {"--fleet", fleet.string()}};
    EXPECT_EQ(bad.wait(), 2);
    const auto err = bad.err();
    EXPECT_NE(err.find("c.toml"), std::string::npos) << err;
    EXPECT_NE(err.find("colour"), std::string::npos) << err;
    EXPECT_NE(err.find("b.toml: [keys] secret_key is the same as in"), std::string::npos) << err;
    EXPECT_FALSE(std::filesystem::exists(dir / "a" / "agent.db"));
    EXPECT_FALSE(scheduler.receive(100ms).has_value());

    AgentProcess mixed{dir, {"--fleet", fleet.string(), "--config", "x.toml"}};
    EXPECT_EQ(mixed.wait(), 2);
    EXPECT_NE(mixed.err().find("--config cannot be combined"), std::string::npos) << mixed.err();
}
