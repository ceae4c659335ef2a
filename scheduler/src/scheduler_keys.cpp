#include "loa/scheduler/scheduler_keys.hpp"

#include "loa/common/logging.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

namespace loa::scheduler {
namespace {

std::string errno_text(int error) {
    return std::error_code{error, std::generic_category()}.message();
}

[[noreturn]] void fail(const std::filesystem::path& file, const std::string& what) {
    throw std::runtime_error{fmt::format("{}: {}", file.string(), what)};
}

std::string required(const toml::table& table, const std::filesystem::path& file,
                     std::string_view section, std::string_view key) {
    const auto value = table[section][key].value<std::string>();
    if (!value) {
        fail(file, fmt::format("{}.{}: missing (a string is required)", section, key));
    }
    return *value;
}

SchedulerKeys read_keys(const std::filesystem::path& file) {
    toml::table table;
    try {
        table = toml::parse_file(file.string());
    } catch (const toml::parse_error& e) {
        fail(file, fmt::format("not valid TOML: {}", e.description()));
    }
    SchedulerKeys keys;
    auto curve = transport::CurveKeyPair::from_secret(required(table, file, "curve", "secret_key"));
    if (!curve) {
        fail(file, "curve.secret_key: " + curve.error().message);
    }
    if (curve->public_key != required(table, file, "curve", "public_key")) {
        fail(file, "curve.public_key: does not belong to curve.secret_key");
    }
    auto signing =
        protocol::SigningKeyPair::from_secret(required(table, file, "signing", "secret_key"));
    if (!signing) {
        fail(file, "signing.secret_key: " + signing.error().message);
    }
    if (signing->public_key != required(table, file, "signing", "public_key")) {
        fail(file, "signing.public_key: does not belong to signing.secret_key");
    }
    keys.curve = std::move(curve).value();
    keys.signing = std::move(signing).value();

    struct stat st {};
    if (::stat(file.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
        spdlog::warn("{} can be read by others (mode {:o}); it holds the scheduler's secret keys",
                     file.string(), st.st_mode & 0777);
    }
    return keys;
}

void write_all(int fd, const std::string& text, const std::filesystem::path& file) {
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            fail(file, fmt::format("cannot write: {}", errno_text(errno)));
        }
        done += static_cast<std::size_t>(n);
    }
}

void write_keys(const std::filesystem::path& file, const SchedulerKeys& keys) {
    const std::string text = fmt::format(
        "# loa-scheduler keys. Keep this file secret: whoever holds it can speak as the "
        "scheduler.\n"
        "# Agents trust curve.public_key ([scheduler] public_key) and signing.public_key\n"
        "# ([scheduler] signing_key).\n\n"
        "[curve]\npublic_key = \"{}\"\nsecret_key = \"{}\"\n\n"
        "[signing]\npublic_key = \"{}\"\nsecret_key = \"{}\"\n",
        keys.curve.public_key, keys.curve.secret_key, keys.signing.public_key,
        keys.signing.secret_key);
    const std::filesystem::path tmp = file.string() + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        fail(tmp, fmt::format("cannot create: {}", errno_text(errno)));
    }
    try {
        ::fchmod(fd, 0600);  // in case an old temporary file was there with another mode
        write_all(fd, text, tmp);
        if (::fsync(fd) != 0) {
            fail(tmp, fmt::format("cannot sync: {}", errno_text(errno)));
        }
    } catch (...) {
        ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    }
    ::close(fd);
    if (::rename(tmp.c_str(), file.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        fail(file, fmt::format("cannot rename {} into place: {}", tmp.string(), errno_text(err)));
    }
    const int dir = ::open(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
}

}  // namespace

SchedulerKeys SchedulerKeys::load_or_create(const std::filesystem::path& state_dir) {
    const auto file = state_dir / kFileName;
    std::error_code ec;
    if (std::filesystem::exists(file, ec)) {
        return read_keys(file);
    }
    if (ec) {
        fail(file, ec.message());
    }
    SchedulerKeys keys;
    keys.curve = transport::CurveKeyPair::generate();
    keys.signing = protocol::SigningKeyPair::generate();
    write_keys(file, keys);
    spdlog::info("created new scheduler keys in {}", file.string());
    return keys;
}

}  // namespace loa::scheduler
