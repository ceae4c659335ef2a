#pragma once

#include "loa/agent/frame_source.hpp"

#include <vector>

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

// Decodes a whole Ogg Opus file into memory (a chime): 48 kHz mono float. Fails, naming the
// file, when it is not Ogg Opus, does not decode, is empty or is longer than `max_frames`.
// Start-up code; any thread.
Result<std::vector<float>> decode_opus_file(const std::filesystem::path& path,
                                            std::size_t max_frames);

}  // namespace loa::agent
