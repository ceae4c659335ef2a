#pragma once

#include "loa/audio/loudness_normalizer.hpp"
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

enum class IngestStage { decode, normalise, encode };
std::string_view stage_name(IngestStage stage);

// Reported on the ingesting thread: about once a progress_interval while decoding, and once
// as each later stage starts.
struct IngestProgress {
    IngestStage stage = IngestStage::decode;
    std::uint64_t frames = 0;        // decoded so far (48 kHz)
    std::uint64_t total_frames = 0;  // announced by the file; 0: unknown
    double speed = 0.0;              // x real time of the decode so far
};

// The ingest of one input into a distributable asset: decode (GStreamer) or speak (espeak-ng)
// -> 48 kHz mono -> loudness-normalised -> Ogg Opus, speech-tuned.
struct IngestSettings {
    LoudnessTarget loudness{};  // -16 LUFS, -1 dBTP
    // Opus at 32 kbit/s raises the peaks of limited audio by about 2 dB: the limiter holds the
    // audio this much below loudness.true_peak_dbtp so that the asset's peaks keep to it.
    double codec_headroom_db = 2.0;
    std::chrono::minutes max_duration{180};  // longer input fails; 0: no limit
    int bitrate = 32000;                     // Opus, bit/s
    // Opus encoder complexity 0..10: 1 keeps a 30-minute file's ingest above 100x real time
    // on one core; each step up costs about 10 % more time.
    int complexity = 1;
    int frame_ms = 60;  // Opus frame duration: 20, 40 or 60
    // Wideband (8 kHz audio bandwidth): all that horn loudspeakers reproduce, and the most
    // speech quality for the bits.
    int max_bandwidth_hz = 8000;
    std::function<void(const IngestProgress&)> on_progress;  // may be empty
    Duration progress_interval = std::chrono::seconds{1};
    const IClock* clock = nullptr;  // times the stages; nullptr: the system clock
};

struct IngestReport {
    std::uint64_t frames = 0;  // at 48 kHz
    std::uint32_t duration_ms = 0;
    std::string source_format;  // "MPEG-1 Layer 3 (MP3)", "speech (espeak-ng, vi)", ...
    LoudnessReport loudness;    // before and after normalisation
    // Seconds spent in each stage and in all, and the whole ingest's speed (x real time).
    double decode_seconds = 0.0;
    double normalise_seconds = 0.0;
    double encode_seconds = 0.0;
    double total_seconds = 0.0;
    double speed = 0.0;
};

// Decodes `in`, normalises it and writes Ogg Opus to `out` (through a temporary file beside it,
// renamed at the end). Fails with a message that starts with what is wrong: "not audio: ...",
// "empty: ...", "silent: ...", "truncated: ...", "too long: ...", or an encoder or I/O error;
// then nothing is left at `out`. Any thread; CPU-bound.
Result<IngestReport> ingest_file(const std::filesystem::path& in, const std::filesystem::path& out,
                                 const IngestSettings& settings);

// The same from 48 kHz mono audio already in memory (speech), `format` naming its source.
Result<IngestReport> ingest_pcm(std::vector<float> pcm, std::string format,
                                const std::filesystem::path& out, const IngestSettings& settings);

// Speaks `text` with `voice` (synthesize_speech) and ingests the speech.
Result<IngestReport> ingest_speech(std::string_view text, std::string_view voice,
                                   const std::filesystem::path& out,
                                   const IngestSettings& settings);

}  // namespace loa::audio
