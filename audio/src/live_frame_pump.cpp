#include "loa/audio/live_frame_pump.hpp"

#include "loa/audio/gst_decoder.hpp"

#include <algorithm>
#include <chrono>

namespace loa::audio {

namespace {
constexpr Duration kFrameDuration = std::chrono::milliseconds{20};
}

LiveFramePump::LiveFramePump(std::vector<float> pcm, std::unique_ptr<LiveOpusEncoder> encoder,
                             TimePoint first_capture)
    : pcm_{std::move(pcm)},
      encoder_{std::move(encoder)},
      first_capture_{first_capture},
      total_{(pcm_.size() + kLiveFrameSamples - 1) / kLiveFrameSamples},
      frame_(kLiveFrameSamples) {}

Result<std::unique_ptr<LiveFramePump>> LiveFramePump::open_file(const std::filesystem::path& path,
                                                                TimePoint first_capture) {
    auto decoded = decode_file(path);
    if (!decoded) {
        return Error{path.string() + ": " + decoded.error().message};
    }
    auto encoder = LiveOpusEncoder::create();
    if (!encoder) {
        return Error{encoder.error().message};
    }
    return std::make_unique<LiveFramePump>(std::move(decoded->pcm), std::move(encoder).value(),
                                           first_capture);
}

TimePoint LiveFramePump::next_due() const {
    return first_capture_ + kFrameDuration * static_cast<std::int64_t>(next_ + 1);
}

Result<std::vector<EncodedLiveFrame>> LiveFramePump::poll(TimePoint now, std::size_t max) {
    std::vector<EncodedLiveFrame> out;
    while (!finished() && out.size() < max && next_due() <= now) {
        const std::size_t begin = static_cast<std::size_t>(next_) * kLiveFrameSamples;
        const std::size_t n = std::min(kLiveFrameSamples, pcm_.size() - begin);
        std::fill(frame_.begin(), frame_.end(), 0.0F);
        std::copy_n(pcm_.begin() + static_cast<long>(begin), n, frame_.begin());
        auto packet = encoder_->encode(frame_);
        if (!packet) {
            return Error{packet.error().message};
        }
        out.push_back({next_, first_capture_ + kFrameDuration * static_cast<std::int64_t>(next_),
                       std::move(packet).value()});
        ++next_;
    }
    return out;
}

}  // namespace loa::audio
