#pragma once

#include "loa/common/result.hpp"
#include "loa/config/config.hpp"

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace loa::audio {
struct IngestReport;
}

namespace loa::scheduler {

// What an ingest measured and how fast it went.
struct IngestFigures {
    double input_lufs = 0.0;            // integrated loudness of the input
    double input_true_peak_dbtp = 0.0;  // its true peak
    double gain_db = 0.0;               // gain applied ahead of the limiter
    double limiter_reduction_db = 0.0;  // the limiter's deepest cut; 0 when it was not needed
    double seconds = 0.0;               // decode + normalise + encode
    double speed = 0.0;                 // audio duration / seconds (x real time)
};

// The scheduler's asset files: <state_dir>/assets/<sha256>.opus, made from uploads and typed
// notices through <state_dir>/tmp by the ingest pipeline (loa::audio::ingest_file: GStreamer
// decode, EBU R128 loudness normalisation, Opus), set by the [ingest] config.
//
// Threads: any thread may call any method. Ingests (transcode(), speak()) run one at a time (a
// long file holds its decoded audio in memory: about 11.5 MB a minute); a second caller waits.
// Two threads installing the same content both succeed (the rename is atomic and the content
// identical).
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
        // The normalised audio's loudness and true peak, and what the input was.
        double loudness_lufs() const { return loudness_lufs_; }
        double true_peak_dbtp() const { return true_peak_dbtp_; }
        const std::string& source_format() const { return source_format_; }
        const IngestFigures& figures() const { return figures_; }

    private:
        friend class AssetLibrary;
        std::filesystem::path temp_;
        std::string id_;
        std::uint64_t size_bytes_ = 0;
        std::uint32_t duration_ms_ = 0;
        std::string source_sha256_;
        double loudness_lufs_ = 0.0;
        double true_peak_dbtp_ = 0.0;
        std::string source_format_;
        IngestFigures figures_;
    };

    // Creates assets/ and tmp/ under `state_dir` and empties tmp/ of what a crash left there.
    // Start-up only: throws std::filesystem::filesystem_error when the folders cannot be made,
    // std::runtime_error naming ingest.tts_voice when espeak-ng has no such voice.
    explicit AssetLibrary(const std::filesystem::path& state_dir, config::IngestConfig ingest = {});

    const std::filesystem::path& assets_dir() const { return assets_dir_; }
    std::filesystem::path path_of(const std::string& asset_id) const;

    // SHA-256 of uploaded bytes, to find an upload that was ingested before.
    static std::string source_digest(std::span<const std::uint8_t> bytes);

    // Writes the uploaded bytes to tmp/, ingests them to Ogg Opus in tmp/ and hashes the
    // result. Fails with "<name>: <what is wrong>" where what is wrong starts with "not audio:",
    // "empty:", "silent:", "truncated:" or "too long:", leaving nothing behind. Slow (decodes and
    // encodes the whole file, about 1 s for 2 minutes of audio): call it without holding locks.
    Result<Pending> transcode(std::span<const std::uint8_t> bytes, std::string_view name) const;

    // The same for a typed notice: espeak-ng speaks `text` with `voice` (empty: the configured
    // one). Fails on an unknown voice ("unknown voice 'x' (available: vi, ...)") or empty text.
    Result<Pending> speak(std::string_view text, std::string_view voice) const;

    // The language id of the installed voice `voice` names (empty: the configured one), as
    // speak() uses it ("vi", "vi-vn-x-south"); fails, listing some voices, when there is none.
    Result<std::string> find_voice(std::string_view voice) const;
    // What speak() keeps as the source digest: the same text in the same voice is the same
    // asset.
    static std::string speech_digest(std::string_view text, std::string_view voice);

    const config::IngestConfig& ingest_config() const { return ingest_; }

    // Moves a transcoded file to assets/<id>.opus. When that file exists already (same content)
    // the temporary file is simply dropped.
    Status install(Pending& pending) const;

    // Removes assets/<id>.opus (undoing an install whose database row could not be written).
    void remove(const std::string& asset_id) const;

private:
    // Takes the ingest's figures, hashes the Opus file and fills in the id and the size.
    static Result<Pending> finish(Pending pending, const audio::IngestReport& report);

    std::filesystem::path assets_dir_;
    std::filesystem::path tmp_dir_;
    config::IngestConfig ingest_;
    mutable std::mutex ingest_mutex_;
};

}  // namespace loa::scheduler
