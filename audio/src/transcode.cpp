#include "loa/audio/transcode.hpp"

#include "loa/audio/format.hpp"
#include "loa/common/digest.hpp"

#include <fmt/format.h>
#include <fmt/std.h>
#include <opusenc.h>
#include <samplerate.h>
#include <sndfile.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <system_error>

namespace loa::audio {

namespace {

// Anything quieter than this (-80 dBFS peak) counts as silence.
constexpr float kSilencePeak = 1e-4F;
constexpr std::size_t kChunkFrames = 8192;

struct SndfileCloser {
    void operator()(SNDFILE* f) const { sf_close(f); }
};
using SndfilePtr = std::unique_ptr<SNDFILE, SndfileCloser>;

struct SrcDeleter {
    void operator()(SRC_STATE* s) const { src_delete(s); }
};
using SrcPtr = std::unique_ptr<SRC_STATE, SrcDeleter>;

Error decode_error(const std::filesystem::path& path, std::string_view reason) {
    return Error{fmt::format("cannot decode {}: {}", path, reason)};
}

// Appends what libsamplerate makes of `in` (mono) to `out`.
bool resample_chunk(SRC_STATE* src, double ratio, std::span<const float> in, bool last,
                    std::vector<float>& buffer, std::vector<float>& out, std::string& error) {
    SRC_DATA data{};
    data.data_in = in.data();
    data.input_frames = static_cast<long>(in.size());
    data.src_ratio = ratio;
    data.end_of_input = last ? 1 : 0;
    // Loop until the input is consumed (and, for the last chunk, the filter flushed).
    for (;;) {
        data.data_out = buffer.data();
        data.output_frames = static_cast<long>(buffer.size());
        if (const int rc = src_process(src, &data); rc != 0) {
            error = src_strerror(rc);
            return false;
        }
        out.insert(out.end(), buffer.begin(), buffer.begin() + data.output_frames_gen);
        data.data_in += data.input_frames_used;
        data.input_frames -= data.input_frames_used;
        if (data.input_frames == 0 && (!last || data.output_frames_gen == 0)) {
            return true;
        }
    }
}

// libopusenc writes through these callbacks so that we can fsync before the rename and see
// every write error.
struct OutputFile {
    std::FILE* file = nullptr;
    bool failed = false;
};

int write_cb(void* user, const unsigned char* ptr, opus_int32 len) {
    auto& out = *static_cast<OutputFile*>(user);
    if (std::fwrite(ptr, 1, static_cast<std::size_t>(len), out.file) !=
        static_cast<std::size_t>(len)) {
        out.failed = true;
        return 1;
    }
    return 0;
}

int close_cb(void* user) {
    auto& out = *static_cast<OutputFile*>(user);
    if (out.file == nullptr) {
        return 0;
    }
    if (std::fflush(out.file) != 0 || ::fsync(fileno(out.file)) != 0) {
        out.failed = true;
    }
    if (std::fclose(out.file) != 0) {
        out.failed = true;
    }
    out.file = nullptr;
    return out.failed ? 1 : 0;
}

struct EncoderDeleter {
    void operator()(OggOpusEnc* e) const { ope_encoder_destroy(e); }
};
struct CommentsDeleter {
    void operator()(OggOpusComments* c) const { ope_comments_destroy(c); }
};

}  // namespace

Result<std::vector<float>> decode_to_pcm(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        return decode_error(path, "no such file");
    }
    if (!std::filesystem::is_regular_file(path, ec)) {
        return decode_error(path, "not a regular file");
    }
    if (std::filesystem::file_size(path, ec) == 0) {
        return decode_error(path, "the file is empty");
    }

    SF_INFO info{};
    SndfilePtr file{sf_open(path.c_str(), SFM_READ, &info)};
    if (!file) {
        return decode_error(path,
                            fmt::format("not a readable audio file ({})", sf_strerror(nullptr)));
    }
    if (info.channels <= 0 || info.samplerate <= 0) {
        return decode_error(path, "the file declares no channels or no sample rate");
    }
    if (info.frames == 0) {
        return decode_error(path, "the file holds no audio (0 frames)");
    }

    const auto channels = static_cast<std::size_t>(info.channels);
    const bool resample = info.samplerate != kSampleRate;
    const double ratio = static_cast<double>(kSampleRate) / info.samplerate;
    SrcPtr src;
    if (resample) {
        int err = 0;
        src.reset(src_new(SRC_SINC_MEDIUM_QUALITY, 1, &err));
        if (!src) {
            return decode_error(path, fmt::format("resampler: {}", src_strerror(err)));
        }
    }

    std::vector<float> out;
    // Reserve what the header announces, up to 10 minutes (some formats announce no length).
    constexpr double kMaxReserve = 600.0 * kSampleRate;
    out.reserve(static_cast<std::size_t>(
        std::min(static_cast<double>(info.frames) * ratio + 1024.0, kMaxReserve)));
    std::vector<float> interleaved(kChunkFrames * channels);
    std::vector<float> mono(kChunkFrames);
    std::vector<float> resampled(
        resample ? static_cast<std::size_t>(std::ceil(kChunkFrames * ratio)) + 64 : 0);
    std::uint64_t frames_in = 0;
    float peak = 0.0F;
    std::string error;
    for (;;) {
        const sf_count_t got =
            sf_readf_float(file.get(), interleaved.data(), static_cast<sf_count_t>(kChunkFrames));
        if (got < 0) {
            return decode_error(path, sf_strerror(file.get()));
        }
        const auto n = static_cast<std::size_t>(got);
        for (std::size_t i = 0; i < n; ++i) {
            float sum = 0.0F;
            for (std::size_t c = 0; c < channels; ++c) {
                sum += interleaved[i * channels + c];
            }
            mono[i] = sum / static_cast<float>(channels);
            peak = std::max(peak, std::fabs(mono[i]));
        }
        frames_in += n;
        const bool last = n < kChunkFrames;
        if (resample) {
            if (!resample_chunk(src.get(), ratio, std::span{mono}.first(n), last, resampled, out,
                                error)) {
                return decode_error(path, fmt::format("resampler: {}", error));
            }
        } else {
            out.insert(out.end(), mono.begin(), mono.begin() + static_cast<std::ptrdiff_t>(n));
        }
        if (last) {
            break;
        }
    }
    if (const int err = sf_error(file.get()); err != SF_ERR_NO_ERROR) {
        return decode_error(path, sf_error_number(err));
    }
    if (frames_in == 0 || out.empty()) {
        return decode_error(path, "the file holds no audio (0 frames)");
    }
    if (peak < kSilencePeak) {
        return decode_error(path, "the audio is all silence (peak below -80 dBFS)");
    }
    return out;
}

Status encode_ogg_opus(std::span<const float> pcm, const std::filesystem::path& out, int bitrate) {
    OpusEncodeSettings settings;
    settings.bitrate = bitrate;
    return encode_ogg_opus(pcm, out, settings);
}

Status encode_ogg_opus(std::span<const float> pcm, const std::filesystem::path& out,
                       const OpusEncodeSettings& settings) {
    const int bitrate = settings.bitrate;
    if (pcm.empty()) {
        return Error{fmt::format("cannot encode {}: no audio to encode", out)};
    }
    if (bitrate < 6000 || bitrate > 510000) {
        return Error{fmt::format("cannot encode {}: bitrate {} is outside 6000..510000 bit/s", out,
                                 bitrate)};
    }
    const std::filesystem::path tmp =
        out.parent_path() / (out.filename().string() + ".tmp-" + random_id());
    OutputFile file;
    file.file = std::fopen(tmp.c_str(), "wb");
    if (file.file == nullptr) {
        return Error{fmt::format("cannot encode {}: cannot create {}: {}", out, tmp,
                                 std::generic_category().message(errno))};
    }
    auto fail = [&](std::string reason) -> Status {
        if (file.file != nullptr) {
            std::fclose(file.file);
            file.file = nullptr;
        }
        std::error_code ec;
        std::filesystem::remove(tmp, ec);
        return Error{fmt::format("cannot encode {}: {}", out, reason)};
    };

    std::unique_ptr<OggOpusComments, CommentsDeleter> comments{ope_comments_create()};
    if (!comments) {
        return fail("out of memory");
    }
    OpusEncCallbacks callbacks{write_cb, close_cb};
    int err = OPE_OK;
    std::unique_ptr<OggOpusEnc, EncoderDeleter> enc{ope_encoder_create_callbacks(
        &callbacks, &file, comments.get(), kSampleRate, kChannels, 0, &err)};
    if (!enc) {
        return fail(fmt::format("encoder: {}", ope_strerror(err)));
    }
    if ((err = ope_encoder_ctl(enc.get(), OPUS_SET_APPLICATION(OPUS_APPLICATION_VOIP))) != OPE_OK ||
        (err = ope_encoder_ctl(enc.get(), OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE))) != OPE_OK ||
        (err = ope_encoder_ctl(enc.get(), OPUS_SET_BITRATE(bitrate))) != OPE_OK) {
        return fail(fmt::format("encoder settings: {}", ope_strerror(err)));
    }
    if (settings.complexity >= 0 &&
        (err = ope_encoder_ctl(enc.get(),
                               OPUS_SET_COMPLEXITY(std::min(settings.complexity, 10)))) != OPE_OK) {
        return fail(fmt::format("encoder complexity: {}", ope_strerror(err)));
    }
    const int duration = settings.frame_ms == 60   ? OPUS_FRAMESIZE_60_MS
                         : settings.frame_ms == 40 ? OPUS_FRAMESIZE_40_MS
                                                   : OPUS_FRAMESIZE_20_MS;
    if ((err = ope_encoder_ctl(enc.get(), OPUS_SET_EXPERT_FRAME_DURATION(duration))) != OPE_OK) {
        return fail(fmt::format("encoder frame duration: {}", ope_strerror(err)));
    }
    const int hz = settings.max_bandwidth_hz;
    const int bandwidth = hz <= 4000    ? OPUS_BANDWIDTH_NARROWBAND
                          : hz <= 6000  ? OPUS_BANDWIDTH_MEDIUMBAND
                          : hz <= 8000  ? OPUS_BANDWIDTH_WIDEBAND
                          : hz <= 12000 ? OPUS_BANDWIDTH_SUPERWIDEBAND
                                        : OPUS_BANDWIDTH_FULLBAND;
    if ((err = ope_encoder_ctl(enc.get(), OPUS_SET_MAX_BANDWIDTH(bandwidth))) != OPE_OK) {
        return fail(fmt::format("encoder bandwidth: {}", ope_strerror(err)));
    }
    for (std::size_t at = 0; at < pcm.size(); at += kChunkFrames) {
        const std::size_t n = std::min(kChunkFrames, pcm.size() - at);
        if ((err = ope_encoder_write_float(enc.get(), pcm.data() + at, static_cast<int>(n))) !=
            OPE_OK) {
            return fail(file.failed ? "write error"
                                    : fmt::format("encoder: {}", ope_strerror(err)));
        }
    }
    if ((err = ope_encoder_drain(enc.get())) != OPE_OK) {
        return fail(file.failed ? "write error" : fmt::format("encoder: {}", ope_strerror(err)));
    }
    enc.reset();  // closes the file through close_cb (flush, fsync, close)
    if (file.failed || file.file != nullptr) {
        return fail("write error");
    }
    std::error_code ec;
    std::filesystem::rename(tmp, out, ec);
    if (ec) {
        return fail(fmt::format("cannot rename {} to it: {}", tmp, ec.message()));
    }
    return Status::success();
}

Result<TranscodeInfo> transcode_to_opus(const std::filesystem::path& in,
                                        const std::filesystem::path& out, int bitrate) {
    auto pcm = decode_to_pcm(in);
    if (!pcm) {
        return pcm.error();
    }
    if (auto st = encode_ogg_opus(*pcm, out, bitrate); !st) {
        return Error{st.message()};
    }
    TranscodeInfo info;
    info.frames = pcm->size();
    info.duration_ms =
        static_cast<std::uint32_t>((info.frames * 1000 + kSampleRate / 2) / kSampleRate);
    return info;
}

}  // namespace loa::audio
