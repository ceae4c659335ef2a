#include "truncation_check.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <fstream>

namespace loa::audio {
namespace {

using Bytes4 = std::array<std::uint8_t, 4>;

// Reads n bytes at `offset`; false past the end.
bool read_at(std::ifstream& in, std::uint64_t offset, void* out, std::size_t n) {
    in.clear();
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(static_cast<char*>(out), static_cast<std::streamsize>(n));
    return static_cast<std::size_t>(in.gcount()) == n;
}

std::uint32_t be32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

std::uint32_t le32(const std::uint8_t* p) {
    return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
           (std::uint32_t{p[3]} << 24);
}

// One MPEG audio frame header.
struct FrameHeader {
    std::uint32_t length = 0;  // bytes, header included
    bool mpeg1 = false;
    bool mono = false;
    bool layer3 = false;
};

std::optional<FrameHeader> parse_header(const Bytes4& h) {
    if (h[0] != 0xFF || (h[1] & 0xE0) != 0xE0) {
        return std::nullopt;
    }
    const int version = (h[1] >> 3) & 3;  // 0: 2.5, 2: 2, 3: 1
    const int layer = (h[1] >> 1) & 3;    // 1: III, 2: II, 3: I
    const int bitrate_index = h[2] >> 4;
    const int rate_index = (h[2] >> 2) & 3;
    if (version == 1 || layer == 0 || bitrate_index == 0 || bitrate_index == 15 ||
        rate_index == 3) {
        return std::nullopt;  // reserved, or free format (no length to follow)
    }
    static constexpr std::array<std::array<int, 15>, 5> kKbps{{
        {0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448},  // V1 L1
        {0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384},     // V1 L2
        {0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320},      // V1 L3
        {0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256},     // V2 L1
        {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},          // V2 L2/L3
    }};
    static constexpr std::array<std::array<int, 3>, 4> kRates{
        {{11025, 12000, 8000}, {0, 0, 0}, {22050, 24000, 16000}, {44100, 48000, 32000}}};
    const bool v1 = version == 3;
    const std::size_t table = v1 ? (layer == 3 ? 0 : layer == 2 ? 1 : 2) : (layer == 3 ? 3 : 4);
    const int bitrate = kKbps[table][static_cast<std::size_t>(bitrate_index)] * 1000;
    const int rate =
        kRates[static_cast<std::size_t>(version)][static_cast<std::size_t>(rate_index)];
    const int padding = (h[2] >> 1) & 1;
    FrameHeader f;
    if (layer == 3) {  // Layer I
        f.length = static_cast<std::uint32_t>((12 * bitrate / rate + padding) * 4);
    } else if (layer == 1 && !v1) {  // Layer III, MPEG-2 and 2.5
        f.length = static_cast<std::uint32_t>(72 * bitrate / rate + padding);
    } else {
        f.length = static_cast<std::uint32_t>(144 * bitrate / rate + padding);
    }
    f.mpeg1 = v1;
    f.mono = (h[3] >> 6) == 3;
    f.layer3 = layer == 1;
    return f.length >= 4 ? std::optional{f} : std::nullopt;
}

// The frame count of a Xing/Info header in `first`, when there is one.
std::optional<std::uint32_t> xing_frames(std::ifstream& in, std::uint64_t offset,
                                         const FrameHeader& first) {
    if (!first.layer3) {
        return std::nullopt;
    }
    const std::uint64_t side = first.mpeg1 ? (first.mono ? 17 : 32) : (first.mono ? 9 : 17);
    std::array<std::uint8_t, 12> tag{};
    if (!read_at(in, offset + 4 + side, tag.data(), tag.size())) {
        return std::nullopt;
    }
    if (std::memcmp(tag.data(), "Xing", 4) != 0 && std::memcmp(tag.data(), "Info", 4) != 0) {
        return std::nullopt;
    }
    if ((be32(tag.data() + 4) & 1U) == 0) {
        return std::nullopt;
    }
    return be32(tag.data() + 8);
}

// True when a tag (ID3v1, APE, Lyrics3) starts at `offset`: the audio ended before it.
bool tag_at(std::ifstream& in, std::uint64_t offset) {
    std::array<char, 8> b{};
    if (!read_at(in, offset, b.data(), 3)) {
        return false;
    }
    if (std::memcmp(b.data(), "TAG", 3) == 0) {
        return true;
    }
    return read_at(in, offset, b.data(), 8) &&
           (std::memcmp(b.data(), "APETAGEX", 8) == 0 || std::memcmp(b.data(), "LYRICSBE", 8) == 0);
}

std::optional<std::string> check_mpeg(std::ifstream& in, std::uint64_t size) {
    std::uint64_t pos = 0;
    std::array<std::uint8_t, 10> id3{};
    if (read_at(in, 0, id3.data(), id3.size()) && std::memcmp(id3.data(), "ID3", 3) == 0) {
        const std::uint64_t tag_size = (std::uint64_t{id3[6] & 0x7FU} << 21) |
                                       (std::uint64_t{id3[7] & 0x7FU} << 14) |
                                       (std::uint64_t{id3[8] & 0x7FU} << 7) | (id3[9] & 0x7FU);
        pos = 10 + tag_size + ((id3[5] & 0x10) != 0 ? 10 : 0);
    }
    Bytes4 h{};
    // The first frame: a header right where the ID3 tag ends, confirmed by the next one.
    if (!read_at(in, pos, h.data(), h.size())) {
        return std::nullopt;
    }
    const auto first = parse_header(h);
    if (!first) {
        return std::nullopt;  // not plain MPEG audio: leave it to GStreamer
    }
    const auto announced = xing_frames(in, pos, *first);
    std::uint64_t frames = 0;
    while (pos + 4 <= size) {
        if (!read_at(in, pos, h.data(), h.size())) {
            break;
        }
        const auto header = parse_header(h);
        if (!header) {
            break;  // a tag or trailing bytes: the frames ended
        }
        if (pos + header->length > size) {
            if (tag_at(in, pos)) {
                break;
            }
            return fmt::format(
                "the last MP3 frame lacks {} of its {} bytes (the file was cut "
                "off after {} bytes)",
                pos + header->length - size, header->length, size);
        }
        pos += header->length;
        ++frames;
    }
    // The Xing/Info frame itself carries no audio.
    if (announced && frames > 0 && frames - 1 + 2 < *announced) {
        return fmt::format("it holds {} MP3 frames where its header announces {}", frames - 1,
                           *announced);
    }
    return std::nullopt;
}

std::optional<std::string> check_wav(std::ifstream& in, std::uint64_t size) {
    std::array<std::uint8_t, 12> riff{};
    if (!read_at(in, 0, riff.data(), riff.size()) || std::memcmp(riff.data(), "RIFF", 4) != 0 ||
        std::memcmp(riff.data() + 8, "WAVE", 4) != 0) {
        return std::nullopt;
    }
    std::uint64_t pos = 12;
    std::array<std::uint8_t, 8> chunk{};
    while (read_at(in, pos, chunk.data(), chunk.size())) {
        const std::uint32_t length = le32(chunk.data() + 4);
        if (std::memcmp(chunk.data(), "data", 4) == 0) {
            // 0 and 0xFFFFFFFF: a writer that streamed and never went back to fill it in.
            if (length == 0 || length == 0xFFFFFFFFU) {
                return std::nullopt;
            }
            const std::uint64_t held = size - std::min(size, pos + 8);
            if (held < length) {
                return fmt::format("its data chunk announces {} bytes but the file holds {}",
                                   length, held);
            }
            return std::nullopt;
        }
        pos += 8 + length + (length & 1U);
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> find_truncation(const std::filesystem::path& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) {
        return std::nullopt;
    }
    std::ifstream in{path, std::ios::binary};
    if (!in) {
        return std::nullopt;
    }
    if (auto wav = check_wav(in, size)) {
        return wav;
    }
    return check_mpeg(in, size);
}

}  // namespace loa::audio
