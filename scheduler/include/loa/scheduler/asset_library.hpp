#pragma once

#include "loa/common/result.hpp"

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace loa::scheduler {

// The scheduler's asset files: <state_dir>/assets/<sha256>.opus, made from uploads through
// <state_dir>/tmp. Holds no state but paths: any thread may call any method; two threads
// installing the same content both succeed (the rename is atomic and the content identical).
class AssetLibrary {
public:
    // A transcoded upload waiting in tmp/: installed with install(), or its temporary file is
    // removed when it is destroyed.
    class Pending {
    public:
        Pending() = default;
        Pending(Pending&& other) noexcept;
        Pending& operator=(Pending&& other) noexcept;
        Pending(const Pending&) = delete;
        Pending& operator=(const Pending&) = delete;
        ~Pending();

        const std::string& id() const { return id_; }  // SHA-256 of the Opus file
        std::uint64_t size_bytes() const { return size_bytes_; }
        std::uint32_t duration_ms() const { return duration_ms_; }
        const std::string& source_sha256() const { return source_sha256_; }

    private:
        friend class AssetLibrary;
        std::filesystem::path temp_;
        std::string id_;
        std::uint64_t size_bytes_ = 0;
        std::uint32_t duration_ms_ = 0;
        std::string source_sha256_;
    };

    // Creates assets/ and tmp/ under `state_dir` and empties tmp/ of what a crash left there.
    // Start-up only: throws std::filesystem::filesystem_error when the folders cannot be made.
    explicit AssetLibrary(const std::filesystem::path& state_dir);

    const std::filesystem::path& assets_dir() const { return assets_dir_; }
    std::filesystem::path path_of(const std::string& asset_id) const;

    // SHA-256 of uploaded bytes, to find an upload that was ingested before.
    static std::string source_digest(std::span<const std::uint8_t> bytes);

    // Writes the uploaded bytes to tmp/, transcodes them to Ogg Opus in tmp/ and hashes the
    // result. Fails with the transcoder's message (naming the upload as `name`), leaving nothing
    // behind. Slow (decodes and encodes the whole file): call it without holding locks.
    Result<Pending> transcode(std::span<const std::uint8_t> bytes, std::string_view name) const;

    // Moves a transcoded file to assets/<id>.opus. When that file exists already (same content)
    // the temporary file is simply dropped.
    Status install(Pending& pending) const;

    // Removes assets/<id>.opus (undoing an install whose database row could not be written).
    void remove(const std::string& asset_id) const;

private:
    std::filesystem::path assets_dir_;
    std::filesystem::path tmp_dir_;
};

}  // namespace loa::scheduler
