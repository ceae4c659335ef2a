#include "loa/audio/ingest.hpp"

#include "loa/audio/format.hpp"
#include "loa/audio/gst_decoder.hpp"
#include "loa/audio/speech_synthesis.hpp"
#include "loa/audio/transcode.hpp"

#include <fmt/format.h>

#include <utility>

namespace loa::audio {
namespace {

double seconds_between(TimePoint a, TimePoint b) {
    return std::chrono::duration<double>(b - a).count();
}

const IClock& clock_of(const IngestSettings& settings) {
    return settings.clock != nullptr ? *settings.clock : SystemClock::instance();
}

std::uint64_t max_frames(const IngestSettings& settings) {
    return static_cast<std::uint64_t>(settings.max_duration.count()) * 60U * kSampleRate;
}

void report_stage(const IngestSettings& settings, IngestStage stage, std::uint64_t frames) {
    if (settings.on_progress) {
        IngestProgress p;
        p.stage = stage;
        p.frames = frames;
        p.total_frames = frames;
        settings.on_progress(p);
    }
}

// Normalises and encodes; `report` has the decode's figures already.
Result<IngestReport> finish(std::vector<float>& pcm, const std::filesystem::path& out,
                            const IngestSettings& settings, IngestReport report,
                            TimePoint started) {
    const IClock& clock = clock_of(settings);
    if (pcm.empty()) {
        return Error{"empty: it holds no audio samples"};
    }
    if (const auto max = max_frames(settings); max > 0 && pcm.size() > max) {
        return Error{fmt::format("too long: it lasts {:.1f} minutes, longer than the limit of {}",
                                 static_cast<double>(pcm.size()) / kSampleRate / 60.0,
                                 settings.max_duration.count())};
    }
    report.frames = pcm.size();
    report.duration_ms =
        static_cast<std::uint32_t>((report.frames * 1000 + kSampleRate / 2) / kSampleRate);

    report_stage(settings, IngestStage::normalise, pcm.size());
    const auto normalise_start = clock.now();
    LoudnessTarget target = settings.loudness;
    target.true_peak_dbtp -= settings.codec_headroom_db;
    auto loudness = normalize_loudness(pcm, target);
    if (!loudness) {
        return loudness.error();
    }
    report.loudness = *loudness;
    const auto encode_start = clock.now();
    report.normalise_seconds = seconds_between(normalise_start, encode_start);

    report_stage(settings, IngestStage::encode, pcm.size());
    OpusEncodeSettings encode;
    encode.bitrate = settings.bitrate;
    encode.complexity = settings.complexity;
    encode.frame_ms = settings.frame_ms;
    encode.max_bandwidth_hz = settings.max_bandwidth_hz;
    if (auto st = encode_ogg_opus(pcm, out, encode); !st) {
        return Error{st.message()};
    }
    const auto end = clock.now();
    report.encode_seconds = seconds_between(encode_start, end);
    report.total_seconds = seconds_between(started, end);
    const double audio_seconds = static_cast<double>(report.frames) / kSampleRate;
    report.speed = report.total_seconds > 0.0 ? audio_seconds / report.total_seconds : 0.0;
    return report;
}

}  // namespace

std::string_view stage_name(IngestStage stage) {
    switch (stage) {
        case IngestStage::decode:
            return "decode";
        case IngestStage::normalise:
            return "normalise";
        case IngestStage::encode:
            return "encode";
    }
    return "?";
}

Result<IngestReport> ingest_file(const std::filesystem::path& in, const std::filesystem::path& out,
                                 const IngestSettings& settings) {
    const IClock& clock = clock_of(settings);
    const auto started = clock.now();
    DecodeOptions options;
    options.max_frames = max_frames(settings);
    options.progress_interval = settings.progress_interval;
    options.clock = &clock;
    if (settings.on_progress) {
        options.on_progress = [&settings](const DecodeProgress& d) {
            IngestProgress p;
            p.stage = IngestStage::decode;
            p.frames = d.frames;
            p.total_frames = d.total_frames;
            p.speed = d.speed;
            settings.on_progress(p);
        };
    }
    auto decoded = decode_file(in, options);
    if (!decoded) {
        return decoded.error();
    }
    IngestReport report;
    report.source_format = std::move(decoded->format);
    report.decode_seconds = seconds_between(started, clock.now());
    return finish(decoded->pcm, out, settings, std::move(report), started);
}

Result<IngestReport> ingest_pcm(std::vector<float> pcm, std::string format,
                                const std::filesystem::path& out, const IngestSettings& settings) {
    IngestReport report;
    report.source_format = std::move(format);
    return finish(pcm, out, settings, std::move(report), clock_of(settings).now());
}

Result<IngestReport> ingest_speech(std::string_view text, std::string_view voice,
                                   const std::filesystem::path& out,
                                   const IngestSettings& settings) {
    const IClock& clock = clock_of(settings);
    const auto started = clock.now();
    auto found = find_voice(voice);
    if (!found) {
        return found.error();
    }
    auto speech = synthesize_speech(text, found->language);
    if (!speech) {
        return speech.error();
    }
    IngestReport report;
    report.source_format = fmt::format("speech (espeak-ng, {})", found->language);
    report.decode_seconds = seconds_between(started, clock.now());
    return finish(*speech, out, settings, std::move(report), started);
}

}  // namespace loa::audio
