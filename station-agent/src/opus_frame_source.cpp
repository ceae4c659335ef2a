#include "loa/agent/opus_frame_source.hpp"

#include "loa/audio/opus_reader.hpp"

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

}  // namespace loa::agent
