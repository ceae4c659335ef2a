#pragma once

#include "loa/common/result.hpp"

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

namespace loa::audio {

// Decodes a WAV, FLAC or Ogg Vorbis/Opus file (libsndfile) to 48 kHz mono float: channels are
// averaged, other rates resampled (libsamplerate). Fails, naming the file and the reason, on a
// file that is missing, not audio, empty or all silence.
Result<std::vector<float>> decode_to_pcm(const std::filesystem::path& path);

// Encodes 48 kHz mono float to Ogg Opus (libopusenc), speech-tuned, at `bitrate` bit/s. Writes
// to `out` (replacing it). Fails on an I/O or encoder error, leaving no file behind.
Status encode_ogg_opus(std::span<const float> pcm, const std::filesystem::path& out,
                       int bitrate = 32000);

struct OpusEncodeSettings {
    int bitrate = 32000;  // bit/s, 6000..510000
    int complexity = -1;  // 0..10 (speed against quality); -1: libopus's default
    int frame_ms = 20;    // 20, 40 or 60 (others: 20): longer frames cost less CPU and bytes
    // The highest audio frequency kept, in Hz: 4000, 6000, 8000 (wideband), 12000 or 20000
    // (fullband); other values take the next one up.
    int max_bandwidth_hz = 20000;
};

// encode_ogg_opus with every setting.
Status encode_ogg_opus(std::span<const float> pcm, const std::filesystem::path& out,
                       const OpusEncodeSettings& settings);

struct TranscodeInfo {
    std::uint64_t frames = 0;  // at 48 kHz
    std::uint32_t duration_ms = 0;
};

// decode_to_pcm, then encode_ogg_opus: the scheduler's ingest of one file.
Result<TranscodeInfo> transcode_to_opus(const std::filesystem::path& in,
                                        const std::filesystem::path& out, int bitrate = 32000);

}  // namespace loa::audio
