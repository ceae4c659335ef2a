#pragma once

#include "loa/common/result.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace loa::agent {

// Content-addressed asset files under <state_dir>/assets: a verified asset is `<sha>.opus`, a
// download in progress `<sha>.part`. An id is accepted only when it is 64 lower-case hex digits
// (loa::is_sha256_hex), so no id can name a path outside the cache.
//
// Threads: append(), finish() and discard_partial() are called by the link thread ("loa-link")
// only; has(), path_of() and partial_size() by any thread (a verified file appears by an atomic
// rename, so readers never see half of one).
class AssetCache {
public:
    // Creates `dir` when missing. Throws std::filesystem::filesystem_error when it cannot.
    explicit AssetCache(std::filesystem::path dir);

    const std::filesystem::path& dir() const { return dir_; }

    // True when `<id>.opus` is present (it was verified before it was put in place).
    bool has(std::string_view asset_id) const;
    // The verified file of `asset_id`, when present.
    std::optional<std::filesystem::path> path_of(std::string_view asset_id) const;
    // Bytes received so far of a download (the size of `<id>.part`, 0 when there is none).
    Result<std::uint64_t> partial_size(std::string_view asset_id) const;

    // Appends `data` at `offset` of the download; `offset` must equal partial_size(), so the
    // part is always a prefix of the file.
    Status append(std::string_view asset_id, std::uint64_t offset,
                  std::span<const std::uint8_t> data);
    // The part is complete: hashes it and, when the SHA-256 equals the id, renames it to
    // `<id>.opus`. On a mismatch the part is deleted (the download starts again) and the error
    // names both digests.
    Status finish(std::string_view asset_id);
    // Deletes the part of a download.
    void discard_partial(std::string_view asset_id);

private:
    Status check_id(std::string_view asset_id) const;
    std::filesystem::path final_path(std::string_view asset_id) const;
    std::filesystem::path part_path(std::string_view asset_id) const;

    std::filesystem::path dir_;
};

}  // namespace loa::agent
