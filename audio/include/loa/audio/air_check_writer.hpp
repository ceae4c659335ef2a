#pragma once

#include "loa/common/clock.hpp"
#include "loa/common/result.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace loa::audio {

struct SndfileLibrary;

enum class AirCheckFormat {
    opus,  // Ogg Opus through libsndfile, bitrate_kbps VBR
    flac,  // FLAC 16-bit through libsndfile (lossless)
};

struct AirCheckOptions {
    std::filesystem::path dir;  // files go to <dir>/<zone>/
    std::string zone = "main";
    AirCheckFormat format = AirCheckFormat::opus;
    int bitrate_kbps = 16;  // Opus only (6 to 256)
    int keep_days = 31;     // files whose hour ended more than this many days ago are deleted
};

// Writes what a zone aired into one compressed file per UTC hour:
// <dir>/<zone>/2026-11-27T10Z.opus (.flac), beside it 2026-11-27T10Z.opus.json with
// {"zone": ..., "format": ..., "sample_rate": 48000, "first_sample_utc_us": ...} (and, once the
// file is closed, "frames"), so sample i of the file was heard at first_sample_utc_us + i / 48000
// s. A file that has to start again within the same hour (agent restarted, clock stepped) gets a
// suffix: 2026-11-27T10Z-2.opus, -3, ...
//
// Chunks are placed by their wall-clock time: a chunk crossing an hour boundary is split at the
// exact frame; a gap (frames the tap dropped, an output that paused) is filled with silence so
// later audio stays at its true offset; up to kMaxTrim of overlap (an output clock slightly
// faster than the wall clock) is trimmed; a larger jump starts a new file. Deviations below
// kTolerance are ignored.
//
// Ogg Opus pages reach the file at least every 500 ms and FLAC frames every 4096 samples, so a
// file cut off by kill -9 or a power cut still decodes up to its last complete page or frame.
//
// Retention: prune() deletes this zone's air-check files (and sidecars) whose hour ended more
// than keep_days days before clock.now(); it runs in the constructor and at every hour roll.
// Only names this class makes are ever deleted.
//
// Threads: not thread-safe; one thread (the "loa-aircheck" thread of AirCheckRecorder, or a
// test) uses it. It does file I/O: never call it from a real-time thread.
class AirCheckWriter {
public:
    static constexpr Duration kTolerance = std::chrono::milliseconds{20};
    static constexpr Duration kMaxTrim = std::chrono::seconds{1};

    // Loads libsndfile (dlopen: processes without air-check never map it), creates <dir>/<zone>/
    // and prunes old files. Start-up code: throws std::runtime_error naming the directory that
    // cannot be made, the option that is out of range, or the library that cannot be loaded.
    AirCheckWriter(AirCheckOptions options, const IClock& clock);
    ~AirCheckWriter();
    AirCheckWriter(const AirCheckWriter&) = delete;
    AirCheckWriter& operator=(const AirCheckWriter&) = delete;

    // Appends `frames`, heard from first_frame_time on. An error (a file that cannot be made or
    // written) names the file; the writer then skips audio until the next hour and tries again.
    Status write(std::span<const float> frames, TimePoint first_frame_time);
    // Finishes the current file (closes it and completes its sidecar). Idempotent.
    Status close();
    // Deletes this zone's files older than keep_days; returns how many files were deleted.
    std::size_t prune();

    // The file being written (empty when none is open).
    std::filesystem::path current_file() const;
    const std::filesystem::path& zone_dir() const { return zone_dir_; }
    std::uint64_t files_opened() const { return files_opened_; }
    std::uint64_t frames_written() const { return frames_written_; }  // silence padding included
    std::uint64_t padded_frames() const { return padded_frames_; }    // silence put into gaps
    std::uint64_t trimmed_frames() const { return trimmed_frames_; }  // overlap left out

    // "2026-11-27T10Z": the name of the UTC hour holding `t`.
    static std::string hour_name(TimePoint t);
    // The start of the hour a file name (with or without suffix, extension or ".json") names;
    // nullopt when it is no air-check name.
    static std::optional<TimePoint> parse_hour_name(std::string_view file_name);

    struct OpenFile;

private:
    Status open(TimePoint first_sample_time);
    Status append(std::span<const float> frames);
    Status write_silence(std::size_t frames);
    Status write_sidecar(bool closed);

    AirCheckOptions options_;
    const IClock& clock_;
    const SndfileLibrary* lib_ = nullptr;  // libsndfile, loaded when the first writer is made
    std::filesystem::path zone_dir_;
    std::unique_ptr<OpenFile> file_;
    // After a failure, nothing is tried again before this hour starts.
    std::optional<TimePoint> failed_until_;
    std::vector<float> silence_;
    std::uint64_t files_opened_ = 0;
    std::uint64_t frames_written_ = 0;
    std::uint64_t padded_frames_ = 0;
    std::uint64_t trimmed_frames_ = 0;
};

}  // namespace loa::audio
