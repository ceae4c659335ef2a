#include "loa/scheduler/asset_library.hpp"

#include "loa/audio/transcode.hpp"
#include "loa/common/digest.hpp"
#include "loa/common/logging.hpp"

#include <fmt/format.h>

#include <fstream>
#include <utility>

namespace loa::scheduler {
namespace {

void remove_quietly(const std::filesystem::path& p) {
    if (p.empty()) {
        return;
    }
    std::error_code ec;
    std::filesystem::remove(p, ec);
}

// Replaces every occurrence of `from` in `text` by `to`.
std::string replace_all(std::string text, const std::string& from, std::string_view to) {
    if (from.empty()) {
        return text;
    }
    for (auto pos = text.find(from); pos != std::string::npos;
         pos = text.find(from, pos + to.size())) {
        text.replace(pos, from.size(), to);
    }
    return text;
}

}  // namespace

AssetLibrary::Pending::Pending(Pending&& other) noexcept
    : temp_{std::exchange(other.temp_, {})},
      id_{std::move(other.id_)},
      size_bytes_{other.size_bytes_},
      duration_ms_{other.duration_ms_},
      source_sha256_{std::move(other.source_sha256_)} {}

AssetLibrary::Pending& AssetLibrary::Pending::operator=(Pending&& other) noexcept {
    if (this != &other) {
        remove_quietly(temp_);
        temp_ = std::exchange(other.temp_, {});
        id_ = std::move(other.id_);
        size_bytes_ = other.size_bytes_;
        duration_ms_ = other.duration_ms_;
        source_sha256_ = std::move(other.source_sha256_);
    }
    return *this;
}

AssetLibrary::Pending::~Pending() {
    remove_quietly(temp_);
}

AssetLibrary::AssetLibrary(const std::filesystem::path& state_dir)
    : assets_dir_{state_dir / "assets"}, tmp_dir_{state_dir / "tmp"} {
    std::filesystem::create_directories(assets_dir_);
    std::filesystem::create_directories(tmp_dir_);
    for (const auto& entry : std::filesystem::directory_iterator{tmp_dir_}) {
        std::error_code ec;
        std::filesystem::remove_all(entry.path(), ec);
    }
}

std::filesystem::path AssetLibrary::path_of(const std::string& asset_id) const {
    return assets_dir_ / (asset_id + ".opus");
}

std::string AssetLibrary::source_digest(std::span<const std::uint8_t> bytes) {
    return sha256_hex(bytes);
}

Result<AssetLibrary::Pending> AssetLibrary::transcode(std::span<const std::uint8_t> bytes,
                                                      std::string_view name) const {
    const std::string token = random_id();
    const auto upload = tmp_dir_ / fmt::format("upload-{}", token);
    Pending pending;
    pending.temp_ = tmp_dir_ / fmt::format("asset-{}.opus", token);
    pending.source_sha256_ = source_digest(bytes);
    {
        std::ofstream out{upload, std::ios::binary | std::ios::trunc};
        out.write(reinterpret_cast<const char*>(bytes.data()),
                  static_cast<std::streamsize>(bytes.size()));
        out.close();
        if (!out) {
            remove_quietly(upload);
            return Error{fmt::format("cannot store the upload in {}", tmp_dir_.string())};
        }
    }
    auto info = audio::transcode_to_opus(upload, pending.temp_);
    remove_quietly(upload);
    if (!info) {
        return Error{replace_all(info.error().message, upload.string(), name)};
    }
    auto digest = sha256_file_hex(pending.temp_);
    if (!digest) {
        return Error{digest.error().message};
    }
    std::error_code ec;
    const auto size = std::filesystem::file_size(pending.temp_, ec);
    if (ec) {
        return Error{
            fmt::format("cannot read the size of {}: {}", pending.temp_.string(), ec.message())};
    }
    pending.id_ = std::move(digest).value();
    pending.size_bytes_ = size;
    pending.duration_ms_ = info->duration_ms;
    return pending;
}

Status AssetLibrary::install(Pending& pending) const {
    const auto target = path_of(pending.id_);
    std::error_code ec;
    std::filesystem::rename(pending.temp_, target, ec);
    if (ec) {
        return Error{fmt::format("cannot move the asset to {}: {}", target.string(), ec.message())};
    }
    pending.temp_.clear();
    return Status::success();
}

void AssetLibrary::remove(const std::string& asset_id) const {
    remove_quietly(path_of(asset_id));
}

}  // namespace loa::scheduler
