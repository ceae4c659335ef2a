// Runs the real loa-scheduler executable.
#include "loa/transport/curve_keys.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <nlohmann/json.hpp>

using namespace loa;
namespace test = loa::scheduler::test;
using namespace std::chrono_literals;

namespace {

const std::string kExe = std::string{LOA_BINARY_DIR} + "/scheduler/loa-scheduler";

// A child process with its stdout and stderr in one pipe.
class Process {
public:
    explicit Process(std::vector<std::string> args,
                     std::vector<std::pair<std::string, std::string>> env = {}) {
        std::array<int, 2> fds{};
        if (::pipe(fds.data()) != 0) {
            throw std::runtime_error{"pipe"};
        }
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(fds[1], 1);
            ::dup2(fds[1], 2);
            ::close(fds[0]);
            ::close(fds[1]);
            std::vector<char*> argv;
            argv.push_back(const_cast<char*>(kExe.c_str()));
            for (auto& a : args) {
                argv.push_back(a.data());
            }
            argv.push_back(nullptr);
            ::unsetenv("NOTIFY_SOCKET");
            for (const auto& [key, value] : env) {
                ::setenv(key.c_str(), value.c_str(), 1);
            }
            ::execv(kExe.c_str(), argv.data());
            ::_exit(127);
        }
        ::close(fds[1]);
        out_ = fds[0];
    }
    ~Process() {
        if (pid_ > 0 && !exited_) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        ::close(out_);
    }
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    // Reads output until `text` appears; false on end of output or timeout.
    bool wait_for(const std::string& text, std::chrono::milliseconds timeout = 10s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (output_.find(text) == std::string::npos) {
            if (!read_some(deadline)) {
                return false;
            }
        }
        return true;
    }
    // Reads to the end of output and answers the exit code (-1 on timeout or signal).
    int wait_exit(std::chrono::milliseconds timeout = 10s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (read_some(deadline)) {
        }
        int status = 0;
        if (::waitpid(pid_, &status, 0) != pid_) {
            return -1;
        }
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    void signal(int sig) { ::kill(pid_, sig); }
    const std::string& output() const { return output_; }

private:
    bool read_some(std::chrono::steady_clock::time_point deadline) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return false;
        }
        pollfd p{out_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
            return false;
        }
        std::array<char, 4096> buf{};
        const auto n = ::read(out_, buf.data(), buf.size());
        if (n <= 0) {
            return false;
        }
        output_.append(buf.data(), static_cast<std::size_t>(n));
        return true;
    }

    pid_t pid_ = -1;
    int out_ = -1;
    bool exited_ = false;
    std::string output_;
};

std::vector<std::string> serve_args(const std::filesystem::path& state,
                                    const std::filesystem::path& ready) {
    return {"--state-dir",       state.string(), "--api-listen", "127.0.0.1:0", "--link-listen",
            "tcp://127.0.0.1:*", "--ready-file", ready.string(), "--log-level", "info"};
}

}  // namespace

TEST(SchedulerMain, HelpNamesEveryOption) {
    Process p{{"--help"}};
    EXPECT_EQ(p.wait_exit(), 0);
    for (const char* option :
         {"--config", "--state-dir", "--api-listen", "--link-listen", "--link-public-endpoint",
          "--log-level", "--ready-file", "--version"}) {
        EXPECT_NE(p.output().find(option), std::string::npos) << option;
    }
}

TEST(SchedulerMain, VersionIsPrinted) {
    Process p{{"--version"}};
    EXPECT_EQ(p.wait_exit(), 0);
    EXPECT_NE(p.output().find("loa-scheduler 0."), std::string::npos) << p.output();
}

TEST(SchedulerMain, ABadConfigIsOneClearLineAndExitCode2) {
    test::TempDir dir;
    const auto file = dir.path() / "scheduler.toml";
    test::write_file(file, "[api]\nlisten = 8640\n");
    Process p{{"--config", file.string()}};
    EXPECT_EQ(p.wait_exit(), 2);
    EXPECT_NE(p.output().find(file.string()), std::string::npos) << p.output();
    EXPECT_NE(p.output().find("listen"), std::string::npos) << p.output();
    EXPECT_EQ(std::count(p.output().begin(), p.output().end(), '\n'), 1) << p.output();

    Process missing{{"--config", (dir.path() / "absent.toml").string()}};
    EXPECT_EQ(missing.wait_exit(), 2);
    Process bad_level{{"--log-level", "loud"}};
    EXPECT_EQ(bad_level.wait_exit(), 2);
    EXPECT_NE(bad_level.output().find("loud"), std::string::npos);
    Process bad_listen{{"--api-listen", "nowhere"}};
    EXPECT_EQ(bad_listen.wait_exit(), 2);
    Process unknown{{"--colour", "red"}};
    EXPECT_EQ(unknown.wait_exit(), 2);
}

TEST(SchedulerMain, ServesReportsWhereAndStopsCleanlyOnSigterm) {
    test::TempDir dir;
    const auto state = dir.path() / "state";
    const auto ready = dir.path() / "ready.json";
    std::string public_key;
    // The first admin, made on the machine; its password file must be private.
    const auto password = dir.path() / "pw";
    test::write_file(password, "correct horse battery\n");
    std::filesystem::permissions(
        password, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    {
        Process create{{"--state-dir", state.string(), "--create-admin", "admin", "--password-file",
                        password.string()}};
        EXPECT_EQ(create.wait_exit(), 0) << create.output();
        EXPECT_EQ(create.output().find("correct horse"), std::string::npos);
        Process again{{"--state-dir", state.string(), "--create-admin", "admin", "--password-file",
                       password.string()}};
        EXPECT_EQ(again.wait_exit(), 1);
        EXPECT_NE(again.output().find("exists already"), std::string::npos) << again.output();
        std::filesystem::permissions(password, std::filesystem::perms::others_read,
                                     std::filesystem::perm_options::add);
        Process loose{{"--state-dir", state.string(), "--create-admin", "other", "--password-file",
                       password.string()}};
        EXPECT_EQ(loose.wait_exit(), 1);
        EXPECT_NE(loose.output().find("chmod 600"), std::string::npos) << loose.output();
    }
    {
        Process p{serve_args(state, ready)};
        ASSERT_TRUE(p.wait_for("API listening on http://127.0.0.1:")) << p.output();
        ASSERT_TRUE(p.wait_for("link listening on tcp://127.0.0.1:")) << p.output();
        ASSERT_TRUE(std::filesystem::exists(ready)) << p.output();
        const auto info = nlohmann::json::parse(test::read_file(ready));
        const std::string api = info["api"];
        public_key = info["public_key"];
        EXPECT_TRUE(transport::check_curve_key(public_key, "public_key").ok());
        EXPECT_EQ(info["signing_key"].get<std::string>().size(), 64U);
        EXPECT_EQ(info["link"].get<std::string>().rfind("tcp://127.0.0.1:", 0), 0U);
        EXPECT_NE(p.output().find(api), std::string::npos);
        EXPECT_NE(p.output().find(public_key), std::string::npos);

        httplib::Client client{api};
        const auto health = client.Get("/api/v1/health");
        ASSERT_TRUE(health);
        EXPECT_EQ(health->status, 200);
        const auto refused = client.Get("/api/v1/link");
        ASSERT_TRUE(refused);
        EXPECT_EQ(refused->status, 401);
        const auto login =
            client.Post("/api/v1/login", R"({"user":"admin","password":"correct horse battery"})",
                        "application/json");
        ASSERT_TRUE(login);
        ASSERT_EQ(login->status, 201) << login->body;
        client.set_bearer_token_auth(
            nlohmann::json::parse(login->body)["token"].get<std::string>());
        const auto link = client.Get("/api/v1/link");
        ASSERT_TRUE(link);
        EXPECT_EQ(nlohmann::json::parse(link->body)["public_key"], public_key);

        p.signal(SIGTERM);
        EXPECT_EQ(p.wait_exit(), 0) << p.output();
        EXPECT_TRUE(std::filesystem::exists(state / "scheduler.db"));
        EXPECT_TRUE(std::filesystem::exists(state / "scheduler-keys.toml"));
    }
    // A second start reuses the keys.
    std::filesystem::remove(ready);
    Process again{serve_args(state, ready)};
    ASSERT_TRUE(again.wait_for("API listening on")) << again.output();
    EXPECT_EQ(nlohmann::json::parse(test::read_file(ready))["public_key"], public_key);
    again.signal(SIGINT);
    EXPECT_EQ(again.wait_exit(), 0) << again.output();
}

namespace {

// A datagram socket standing in for systemd's notify socket.
class NotifySocket {
public:
    explicit NotifySocket(const std::filesystem::path& path) : path_{path} {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
        if (::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
            throw std::runtime_error{"bind notify socket"};
        }
    }
    ~NotifySocket() { ::close(fd_); }
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;

    // The next datagram, or "" after `timeout`.
    std::string receive(std::chrono::milliseconds timeout = 10s) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
            return {};
        }
        std::array<char, 1024> buf{};
        const auto n = ::recv(fd_, buf.data(), buf.size(), 0);
        return n > 0 ? std::string(buf.data(), static_cast<std::size_t>(n)) : std::string{};
    }

private:
    std::filesystem::path path_;
    int fd_ = -1;
};

}  // namespace

TEST(SchedulerMain, TellsSystemdWhenReadyFeedsTheWatchdogAndSaysWhenStopping) {
    test::TempDir dir;
    NotifySocket notify{dir.path() / "notify.sock"};
    Process p{
        serve_args(dir.path() / "state", dir.path() / "ready.json"),
        {{"NOTIFY_SOCKET", (dir.path() / "notify.sock").string()}, {"WATCHDOG_USEC", "200000"}}};
    EXPECT_EQ(notify.receive(), "READY=1") << p.output();
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "ready.json"));
    // Fed every 100 ms while the link thread answers.
    EXPECT_EQ(notify.receive(2s), "WATCHDOG=1");
    EXPECT_EQ(notify.receive(2s), "WATCHDOG=1");
    p.signal(SIGTERM);
    std::string last;
    for (std::string m = notify.receive(5s); !m.empty(); m = notify.receive(5s)) {
        last = m;
        if (m == "STOPPING=1") {
            break;
        }
    }
    EXPECT_EQ(last, "STOPPING=1");
    EXPECT_EQ(p.wait_exit(), 0) << p.output();
}
