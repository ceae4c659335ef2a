#include "loa/audio/opus_reader.hpp"

#include <fmt/format.h>
#include <fmt/std.h>
#include <opusfile.h>

#include <array>
#include <system_error>

namespace loa::audio {

namespace {

const char* opusfile_error(int code) {
    switch (code) {
        case OP_FALSE:
            return "no data";
        case OP_EOF:
            return "end of file";
        case OP_HOLE:
            return "a gap in the data (corrupt or missing pages)";
        case OP_EREAD:
            return "read error";
        case OP_EFAULT:
            return "internal error or out of memory";
        case OP_EIMPL:
            return "unsupported feature";
        case OP_EINVAL:
            return "invalid argument";
        case OP_ENOTFORMAT:
            return "not an Ogg Opus file";
        case OP_EBADHEADER:
            return "bad Opus header";
        case OP_EVERSION:
            return "unsupported Opus version";
        case OP_ENOTAUDIO:
            return "not audio";
        case OP_EBADPACKET:
            return "bad audio packet";
        case OP_EBADLINK:
            return "bad link in the stream";
        case OP_ENOSEEK:
            return "the stream is not seekable";
        case OP_EBADTIMESTAMP:
            return "bad timestamp";
        default:
            return "unknown error";
    }
}

}  // namespace

Result<std::unique_ptr<OpusReader>> OpusReader::open(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        return Error{fmt::format("cannot open {}: no such file", path)};
    }
    if (!std::filesystem::is_regular_file(path, ec)) {
        return Error{fmt::format("cannot open {}: not a regular file", path)};
    }
    int err = 0;
    OggOpusFile* file = op_open_file(path.c_str(), &err);
    if (file == nullptr) {
        return Error{fmt::format("cannot open {}: {}", path, opusfile_error(err))};
    }
    // The constructor is private, so std::make_unique cannot reach it; ownership is immediate.
    return std::unique_ptr<OpusReader>{new OpusReader(file)};
}

OpusReader::OpusReader(OggOpusFile* file) : file_{file} {}

OpusReader::~OpusReader() {
    op_free(file_);
}

std::size_t OpusReader::read(std::span<float> out) {
    if (!error_.empty() || out.empty()) {
        return 0;
    }
    // The usual case, a single mono link, decodes straight into `out`.
    if (op_link_count(file_) == 1 && op_channel_count(file_, -1) == 1) {
        const int got = op_read_float(file_, out.data(), static_cast<int>(out.size()), nullptr);
        if (got < 0) {
            error_ = fmt::format("decode error: {}", opusfile_error(got));
            return 0;
        }
        return static_cast<std::size_t>(got);
    }
    // Anything else: opusfile's stereo downmix, then the average of left and right, in place.
    std::array<float, 2> one{};
    const bool tiny = out.size() < 2;
    float* buffer = tiny ? one.data() : out.data();
    const int capacity = tiny ? 2 : static_cast<int>(out.size() - out.size() % 2);
    const int got = op_read_float_stereo(file_, buffer, capacity);
    if (got < 0) {
        error_ = fmt::format("decode error: {}", opusfile_error(got));
        return 0;
    }
    const auto frames = static_cast<std::size_t>(got);
    for (std::size_t i = 0; i < frames; ++i) {
        out[i] = 0.5F * (buffer[2 * i] + buffer[2 * i + 1]);
    }
    return frames;
}

std::uint64_t OpusReader::total_frames() const {
    const ogg_int64_t total = op_pcm_total(file_, -1);
    return total < 0 ? 0 : static_cast<std::uint64_t>(total);
}

Status OpusReader::seek(std::uint64_t frame) {
    const int rc = op_pcm_seek(file_, static_cast<ogg_int64_t>(frame));
    if (rc != 0) {
        return Error{fmt::format("cannot seek to frame {}: {}", frame, opusfile_error(rc))};
    }
    error_.clear();
    return Status::success();
}

}  // namespace loa::audio
