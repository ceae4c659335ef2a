#include "loa/agent/command_amplifier.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <optional>

namespace loa::agent {
namespace {

std::string command_line(const std::vector<std::string>& argv) {
    return fmt::format("{}", fmt::join(argv, " "));
}

// Waits up to `timeout` for `pid` to end; returns its wait status, or nullopt on timeout.
std::optional<int> wait_for_exit(pid_t pid, std::chrono::milliseconds timeout) {
    int status = 0;
    // A pidfd becomes readable when the process ends: no polling loop (Linux 5.3 and later).
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd >= 0) {
        pollfd p{pidfd, POLLIN, 0};
        int ready = 0;
        do {
            ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
        } while (ready < 0 && errno == EINTR);
        ::close(pidfd);
        if (ready == 0) {
            return std::nullopt;
        }
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        return status;
    }
    // Without pidfd: look every 10 ms.
    const auto step = std::chrono::milliseconds{10};
    for (auto waited = std::chrono::milliseconds{0}; waited <= timeout; waited += step) {
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) {
            return status;
        }
        const timespec pause{0, static_cast<long>(step.count()) * 1'000'000};
        ::nanosleep(&pause, nullptr);
    }
    return std::nullopt;
}

// Runs `argv` and waits for it; the error names the program and what happened.
Status run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
    const std::string what = "command '" + command_line(argv) + "'";
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // The agent blocks SIGTERM and SIGINT in every thread; the program must not inherit that.
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        return Error{fmt::format("{} cannot be started: {}", what, std::strerror(rc))};
    }
    const auto status = wait_for_exit(pid, timeout);
    if (!status) {
        ::kill(pid, SIGKILL);
        while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        return Error{
            fmt::format("{} did not finish within {} ms and was killed", what, timeout.count())};
    }
    if (WIFEXITED(*status) && WEXITSTATUS(*status) == 0) {
        return {};
    }
    if (WIFEXITED(*status)) {
        return Error{fmt::format("{} exited with status {}", what, WEXITSTATUS(*status))};
    }
    if (WIFSIGNALED(*status)) {
        return Error{fmt::format("{} was killed by signal {}", what, WTERMSIG(*status))};
    }
    return Error{what + " ended abnormally"};
}

}  // namespace

CommandAmplifier::CommandAmplifier(std::vector<std::string> on_argv,
                                   std::vector<std::string> off_argv,
                                   std::chrono::milliseconds timeout)
    : on_argv_{std::move(on_argv)}, off_argv_{std::move(off_argv)}, timeout_{timeout} {}

Status CommandAmplifier::power(bool on) {
    std::lock_guard lock{mu_};
    const auto& argv = on ? on_argv_ : off_argv_;
    Status result = argv.empty() ? Status{Error{"no command is configured"}} : run(argv, timeout_);
    if (result) {
        state_ = {on, false, {}};
    } else {
        state_.faulted = true;
        state_.fault = result.message();
    }
    return result;
}

AmplifierState CommandAmplifier::state() const {
    std::lock_guard lock{mu_};
    return state_;
}

std::string CommandAmplifier::describe() const {
    return "command " + (on_argv_.empty() ? std::string{"(none)"} : on_argv_.front());
}

}  // namespace loa::agent
