#pragma once

#include "loa/common/result.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>

struct OggOpusFile;

namespace loa::audio {

// Reads an Ogg Opus file (libopusfile) as 48 kHz mono float. Not thread-safe: one thread
// (the agent's feeder) owns a reader.
class OpusReader {
public:
    static Result<std::unique_ptr<OpusReader>> open(const std::filesystem::path& path);
    ~OpusReader();
    OpusReader(const OpusReader&) = delete;
    OpusReader& operator=(const OpusReader&) = delete;

    // Fills up to out.size() frames; returns the number written, 0 at the end of the stream.
    // A decode error ends the stream early and is kept in error().
    std::size_t read(std::span<float> out);
    // Total length in frames, if the file says.
    std::uint64_t total_frames() const;
    // Moves to frame `frame` from the start.
    Status seek(std::uint64_t frame);
    const std::string& error() const { return error_; }

private:
    explicit OpusReader(OggOpusFile* file);
    OggOpusFile* file_;
    std::string error_;
};

}  // namespace loa::audio
