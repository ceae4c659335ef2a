#include "credentials.hpp"

#include "commands.hpp"
#include "messages.hpp"
#include "private_file.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <system_error>
#include <vector>

namespace loa::cli {
namespace {

std::string env(const char* name) {
    const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): one thread
    return value == nullptr ? std::string{} : std::string{value};
}

std::string trimmed(std::string text) {
    const auto end = text.find_last_not_of(" \t\r\n");
    text.erase(end == std::string::npos ? 0 : end + 1);
    const auto begin = text.find_first_not_of(" \t\r\n");
    return begin == std::string::npos ? std::string{} : text.substr(begin);
}

std::string os_error(int code) {
    return std::generic_category().message(code);
}

// The token held in `path`; `required` makes a missing file an error.
Result<std::string> read_token_file(const std::string& path, bool required) {
    std::error_code ec;
    if (!required && !std::filesystem::exists(path, ec)) {
        return std::string{};
    }
    auto content = read_file(path);
    if (!content) {
        return Error{fmt::format(text::kCannotReadToken, path, content.error().message)};
    }
    auto token = trimmed(std::move(content).value());
    if (token.empty() || token.find_first_of(" \t\r\n") != std::string::npos) {
        return Error{fmt::format(text::kBadTokenFile, path)};
    }
    return token;
}

// Restores the terminal's echo when it goes out of scope.
class EchoOff {
public:
    explicit EchoOff(int fd) : fd_{fd} {
        if (::tcgetattr(fd_, &saved_) == 0) {
            termios quiet = saved_;
            quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
            quiet.c_lflag |= ECHONL;
            active_ = ::tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
        }
    }
    ~EchoOff() {
        if (active_) {
            ::tcsetattr(fd_, TCSAFLUSH, &saved_);
        }
    }
    EchoOff(const EchoOff&) = delete;
    EchoOff& operator=(const EchoOff&) = delete;

private:
    int fd_;
    termios saved_{};
    bool active_ = false;
};

}  // namespace

std::string token_file_path(const std::string& option) {
    if (!option.empty()) {
        return option;
    }
    if (auto from_env = env("LOA_TOKEN_FILE"); !from_env.empty()) {
        return from_env;
    }
    std::filesystem::path base = env("XDG_CONFIG_HOME");
    if (base.empty() || base.is_relative()) {
        base = std::filesystem::path{env("HOME")} / ".config";
    }
    return (base / "loa" / "token").string();
}

Result<std::string> find_token(const std::string& option) {
    if (!option.empty()) {
        return read_token_file(option, true);
    }
    if (auto token = trimmed(env("LOA_TOKEN")); !token.empty()) {
        return token;
    }
    if (auto file = env("LOA_TOKEN_FILE"); !file.empty()) {
        return read_token_file(file, true);
    }
    return read_token_file(token_file_path(""), false);
}

Status save_token(const std::string& path, std::string_view token) {
    const std::filesystem::path file{path};
    const auto folder = file.parent_path();
    if (!folder.empty()) {
        // Only the folders made here get 0700: an existing one (/tmp, ~) is not ours to change.
        std::vector<std::filesystem::path> missing;
        std::error_code ec;
        for (auto p = folder; !p.empty() && !std::filesystem::exists(p, ec); p = p.parent_path()) {
            missing.push_back(p);
            if (p == p.parent_path()) {
                break;
            }
        }
        for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
            if (::mkdir(it->c_str(), 0700) != 0 && errno != EEXIST) {
                return Error{fmt::format(text::kCannotWrite, it->string(), os_error(errno))};
            }
        }
    }
    const std::string temporary = path + ".new";
    ::unlink(temporary.c_str());
    PrivateFile out{temporary};
    if (auto what = out.create(); !what.empty()) {
        return Error{what};
    }
    if (auto what = out.write(std::string{token} + "\n"); !what.empty()) {
        out.discard();
        return Error{what};
    }
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        const int code = errno;
        out.discard();
        return Error{fmt::format(text::kCannotWrite, path, os_error(code))};
    }
    return {};
}

Result<std::string> read_secret_file(const std::string& path) {
    std::ifstream in{path, std::ios::binary};
    if (!in) {
        return Error{fmt::format(text::kCannotRead, path, os_error(errno))};
    }
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
    if (line.empty()) {
        return Error{fmt::format(text::kEmptySecretFile, path)};
    }
    return line;
}

Result<std::string> ask_terminal(std::string_view prompt, bool hidden, std::string_view instead) {
    const int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        return Error{fmt::format(text::kNoTerminal, instead)};
    }
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> tty{::fdopen(fd, "r+"), &std::fclose};
    if (!tty) {
        ::close(fd);
        return Error{fmt::format(text::kNoTerminal, instead)};
    }
    std::fwrite(prompt.data(), 1, prompt.size(), tty.get());
    std::fflush(tty.get());
    std::string line;
    {
        std::optional<EchoOff> quiet;
        if (hidden) {
            quiet.emplace(fd);
        }
        int c = 0;
        while ((c = std::fgetc(tty.get())) != EOF && c != '\n') {
            line += static_cast<char>(c);
        }
    }
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
    return line;
}

}  // namespace loa::cli
