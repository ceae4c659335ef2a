#pragma once

#include "loa/agent/frame_source.hpp"

namespace loa::audio {
class OpusReader;
}

namespace loa::agent {

// An Ogg Opus asset file, decoded by loa::audio::OpusReader. Feeder thread only.
class OpusFrameSource final : public IFrameSource {
public:
    explicit OpusFrameSource(std::unique_ptr<audio::OpusReader> reader);
    ~OpusFrameSource() override;
    std::size_t read(std::span<float> out) override;
    std::string error() const override;

private:
    std::unique_ptr<audio::OpusReader> reader_;
};

// The FrameSourceOpener of the product: fails, naming the file, when it is not Ogg Opus.
Result<std::unique_ptr<IFrameSource>> open_opus_frame_source(const std::filesystem::path& path);

}  // namespace loa::agent
