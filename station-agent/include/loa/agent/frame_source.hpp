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
    // True when the last read() returned 0 only because nothing is due yet (a live source whose
    // next frame plays later): the stream has not ended, the caller reads again later.
    virtual bool pending() const { return false; }
};

// Opens the audio of a verified asset file. The product uses open_opus_frame_source
// (opus_frame_source.hpp); unit tests plug in sources of known samples.
using FrameSourceOpener =
    std::function<Result<std::unique_ptr<IFrameSource>>(const std::filesystem::path&)>;

}  // namespace loa::agent
