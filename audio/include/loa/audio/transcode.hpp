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

struct TranscodeInfo {
    std::uint64_t frames = 0;  // at 48 kHz
    std::uint32_t duration_ms = 0;
};

// decode_to_pcm, then encode_ogg_opus: the scheduler's ingest of one file.
Result<TranscodeInfo> transcode_to_opus(const std::filesystem::path& in,
                                        const std::filesystem::path& out, int bitrate = 32000);

}  // namespace loa::audio
