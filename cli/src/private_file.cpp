#include "private_file.hpp"

#include "messages.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

namespace loa::cli {

PrivateFile::PrivateFile(std::string path) : path_{std::move(path)} {}

PrivateFile::~PrivateFile() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
    if (created_ && !kept_) {
        ::unlink(path_.c_str());
    }
}

std::string PrivateFile::create() {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd_ < 0) {
        return errno == EEXIST
                   ? fmt::format(text::kFileExists, path_)
                   : fmt::format(text::kCannotWrite, path_, std::generic_category().message(errno));
    }
    created_ = true;
    return {};
}

std::string PrivateFile::write(std::string_view content, bool sync) {
    while (!content.empty()) {
        const auto n = ::write(fd_, content.data(), content.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return fmt::format(text::kCannotWrite, path_, std::generic_category().message(errno));
        }
        content.remove_prefix(static_cast<std::size_t>(n));
    }
    if ((sync && ::fsync(fd_) != 0) || ::close(std::exchange(fd_, -1)) != 0) {
        return fmt::format(text::kCannotWrite, path_, std::generic_category().message(errno));
    }
    kept_ = true;
    return {};
}

void PrivateFile::discard() {
    if (fd_ >= 0) {
        ::close(std::exchange(fd_, -1));
    }
    if (created_) {
        ::unlink(path_.c_str());
        created_ = false;
    }
    kept_ = false;
}

}  // namespace loa::cli
