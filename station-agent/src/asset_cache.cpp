#include "loa/agent/asset_cache.hpp"

#include "loa/common/digest.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace loa::agent {
namespace {

// Closes a POSIX file descriptor at the end of a scope.
class Fd {
public:
    explicit Fd(int fd) : fd_{fd} {}
    ~Fd() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

std::string errno_text() {
    return std::generic_category().message(errno);
}

}  // namespace

AssetCache::AssetCache(std::filesystem::path dir) : dir_{std::move(dir)} {
    std::filesystem::create_directories(dir_);
}

Status AssetCache::check_id(std::string_view asset_id) const {
    if (!is_sha256_hex(asset_id)) {
        return Error{fmt::format("'{}' is not an asset id (64 lower-case hex digits)",
                                 asset_id.substr(0, 80))};
    }
    return {};
}

std::filesystem::path AssetCache::final_path(std::string_view asset_id) const {
    return dir_ / (std::string{asset_id} + ".opus");
}

std::filesystem::path AssetCache::part_path(std::string_view asset_id) const {
    return dir_ / (std::string{asset_id} + ".part");
}

bool AssetCache::has(std::string_view asset_id) const {
    if (!check_id(asset_id)) {
        return false;
    }
    std::error_code ec;
    return std::filesystem::is_regular_file(final_path(asset_id), ec);
}

std::optional<std::filesystem::path> AssetCache::path_of(std::string_view asset_id) const {
    if (!has(asset_id)) {
        return std::nullopt;
    }
    return final_path(asset_id);
}

Result<std::uint64_t> AssetCache::partial_size(std::string_view asset_id) const {
    if (auto st = check_id(asset_id); !st) {
        return Error{st.message()};
    }
    std::error_code ec;
    const auto size = std::filesystem::file_size(part_path(asset_id), ec);
    if (ec) {
        if (ec == std::errc::no_such_file_or_directory) {
            return std::uint64_t{0};
        }
        return Error{fmt::format("{}: {}", part_path(asset_id).string(), ec.message())};
    }
    return static_cast<std::uint64_t>(size);
}

Status AssetCache::append(std::string_view asset_id, std::uint64_t offset,
                          std::span<const std::uint8_t> data) {
    auto size = partial_size(asset_id);
    if (!size) {
        return Error{size.error().message};
    }
    if (*size != offset) {
        return Error{fmt::format("asset {}: chunk at offset {} does not follow the {} bytes held",
                                 asset_id, offset, *size)};
    }
    const auto path = part_path(asset_id);
    Fd fd{::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)};
    if (fd.get() < 0) {
        return Error{fmt::format("{}: cannot open: {}", path.string(), errno_text())};
    }
    std::size_t done = 0;
    while (done < data.size()) {
        const auto n = ::write(fd.get(), data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            const auto message = fmt::format("{}: write failed: {}", path.string(), errno_text());
            // Keep the part a clean prefix: cut off whatever of this chunk got written.
            if (::ftruncate(fd.get(), static_cast<off_t>(offset)) != 0) {
                discard_partial(asset_id);
            }
            return Error{message};
        }
        done += static_cast<std::size_t>(n);
    }
    return {};
}

Status AssetCache::finish(std::string_view asset_id) {
    if (auto st = check_id(asset_id); !st) {
        return st;
    }
    const auto part = part_path(asset_id);
    {
        Fd fd{::open(part.c_str(), O_RDONLY | O_CLOEXEC)};
        if (fd.get() < 0) {
            return Error{fmt::format("{}: cannot open: {}", part.string(), errno_text())};
        }
        ::fdatasync(fd.get());
    }
    auto digest = sha256_file_hex(part);
    if (!digest) {
        return Error{digest.error().message};
    }
    if (*digest != asset_id) {
        discard_partial(asset_id);
        return Error{
            fmt::format("asset {}: downloaded file has SHA-256 {}; discarded, will "
                        "download again",
                        asset_id, *digest)};
    }
    std::error_code ec;
    std::filesystem::rename(part, final_path(asset_id), ec);
    if (ec) {
        return Error{fmt::format("{}: cannot move into place: {}", part.string(), ec.message())};
    }
    // Make the rename durable too.
    Fd dir{::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (dir.get() >= 0) {
        ::fsync(dir.get());
    }
    return {};
}

void AssetCache::discard_partial(std::string_view asset_id) {
    if (!check_id(asset_id)) {
        return;
    }
    std::error_code ec;
    std::filesystem::remove(part_path(asset_id), ec);
}

}  // namespace loa::agent
