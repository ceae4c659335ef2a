#include "loa/agent/opus_frame_source.hpp"

#include "loa/audio/format.hpp"
#include "loa/audio/opus_reader.hpp"

#include <fmt/format.h>

namespace loa::agent {

OpusFrameSource::OpusFrameSource(std::unique_ptr<audio::OpusReader> reader)
    : reader_{std::move(reader)} {}

OpusFrameSource::~OpusFrameSource() = default;

std::size_t OpusFrameSource::read(std::span<float> out) {
    return reader_->read(out);
}

std::string OpusFrameSource::error() const {
    return reader_->error();
}

Result<std::unique_ptr<IFrameSource>> open_opus_frame_source(const std::filesystem::path& path) {
    auto reader = audio::OpusReader::open(path);
    if (!reader) {
        return Error{reader.error().message};
    }
    return std::unique_ptr<IFrameSource>{
        std::make_unique<OpusFrameSource>(std::move(reader).value())};
}

Result<std::vector<float>> decode_opus_file(const std::filesystem::path& path,
                                            std::size_t max_frames) {
    auto reader = audio::OpusReader::open(path);
    if (!reader) {
        return Error{reader.error().message};
    }
    std::vector<float> pcm;
    std::vector<float> chunk(4800);
    for (;;) {
        const std::size_t n = (*reader)->read(chunk);
        if (n == 0) {
            break;
        }
        if (pcm.size() + n > max_frames) {
            return Error{fmt::format("{}: longer than {:.1f} s", path.string(),
                                     static_cast<double>(max_frames) / audio::kSampleRate)};
        }
        pcm.insert(pcm.end(), chunk.begin(), chunk.begin() + static_cast<long>(n));
    }
    if (!(*reader)->error().empty()) {
        return Error{fmt::format("{}: {}", path.string(), (*reader)->error())};
    }
    if (pcm.empty()) {
        return Error{path.string() + ": has no audio"};
    }
    return pcm;
}

}  // namespace loa::agent
