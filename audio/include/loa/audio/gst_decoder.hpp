#pragma once

#include "loa/common/clock.hpp"
#include "loa/common/result.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace loa::audio {

// How far a decode has come, reported about once a `progress_interval`.
struct DecodeProgress {
    std::uint64_t frames = 0;        // decoded so far, at 48 kHz
    std::uint64_t total_frames = 0;  // the length the file announces, at 48 kHz; 0: unknown
    double speed = 0.0;              // audio time decoded / time taken so far (x real time)
};

struct DecodeOptions {
    // Input longer than this fails ("too long: ..."), as soon as the file announces its length
    // or the decoded audio passes it. 0: no limit.
    std::uint64_t max_frames = 0;
    // Called on the decoding thread; may be empty.
    std::function<void(const DecodeProgress&)> on_progress;
    Duration progress_interval = std::chrono::seconds{1};
    // Times the progress reports and the speed; nullptr: the system clock.
    const IClock* clock = nullptr;
};

struct DecodedAudio {
    std::vector<float> pcm;  // 48 kHz mono float
    // What the input was, in GStreamer's words: "MPEG-1 Layer 3 (MP3)", "FLAC", "Ogg (Opus)",
    // "WAV (Uncompressed 16-bit PCM audio)", ...
    std::string format;
    std::uint64_t announced_frames = 0;  // the length the file announced at the end; 0: none
};

// Decodes any audio file GStreamer can read to 48 kHz mono float:
// filesrc ! decodebin ! audioconvert ! audioresample ! audio/x-raw,F32LE,48000,1 ! appsink,
// pulled synchronously on the calling thread (GStreamer's own streaming threads do the work).
// The first audio stream is taken, others are left aside.
//
// Fails, with a message that starts with the kind of failure and gives GStreamer's words:
// "not audio: ..." (no type, no decoder, no audio stream, a decoder error), "empty: ..." (no
// file content or no samples), "truncated: ..." (the audio stops well before the length the
// file announces), "too long: ...". Nothing is kept on failure.
//
// Thread-safe: each call builds its own pipeline; GStreamer is initialised once per process on
// the first call.
Result<DecodedAudio> decode_file(const std::filesystem::path& path,
                                 const DecodeOptions& options = {});

// Initialises GStreamer (once per process; later calls only return the first outcome).
Status init_gstreamer();

// True when GStreamer has an element factory of that name ("amrnbdec", "avdec_aac", ...).
bool gstreamer_has_element(std::string_view factory);

}  // namespace loa::audio
