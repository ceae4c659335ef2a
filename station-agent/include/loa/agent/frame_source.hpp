#pragma once

#include "loa/common/result.hpp"

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace loa::agent {

// Decoded audio of one asset, 48 kHz mono float, read front to back. Owned and called by the
// feeder thread ("loa-feeder") only.
class IFrameSource {
public:
    virtual ~IFrameSource() = default;
    // Fills up to out.size() frames; returns how many, 0 at the end of the stream.
    virtual std::size_t read(std::span<float> out) = 0;
    // Why the stream ended early (a decode error); empty when it did not.
    virtual std::string error() const = 0;
};

// Opens the audio of a verified asset file. The product uses open_opus_frame_source
// (opus_frame_source.hpp); unit tests plug in sources of known samples.
using FrameSourceOpener =
    std::function<Result<std::unique_ptr<IFrameSource>>(const std::filesystem::path&)>;

}  // namespace loa::agent
