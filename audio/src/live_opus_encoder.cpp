#include "loa/audio/live_opus_encoder.hpp"

#include <fmt/format.h>
#include <opus.h>

namespace loa::audio {

struct LiveOpusEncoder::State {
    OpusEncoder* encoder = nullptr;
    ~State() {
        if (encoder != nullptr) {
            opus_encoder_destroy(encoder);
        }
    }
};

LiveOpusEncoder::LiveOpusEncoder(std::unique_ptr<State> state) : state_{std::move(state)} {}

LiveOpusEncoder::~LiveOpusEncoder() = default;

Result<std::unique_ptr<LiveOpusEncoder>> LiveOpusEncoder::create(
    const LiveEncoderOptions& options) {
    auto state = std::make_unique<State>();
    int err = OPUS_OK;
    state->encoder = opus_encoder_create(48000, 1, OPUS_APPLICATION_AUDIO, &err);
    if (err != OPUS_OK || state->encoder == nullptr) {
        state->encoder = nullptr;
        return Error{fmt::format("opus encoder: {}", opus_strerror(err))};
    }
    opus_encoder_ctl(state->encoder, OPUS_SET_BITRATE(options.bitrate));
    opus_encoder_ctl(state->encoder, OPUS_SET_INBAND_FEC(1));
    opus_encoder_ctl(state->encoder, OPUS_SET_PACKET_LOSS_PERC(options.expected_loss_percent));
    return std::unique_ptr<LiveOpusEncoder>{new LiveOpusEncoder{std::move(state)}};
}

Result<std::string> LiveOpusEncoder::encode(std::span<const float> frame) {
    if (frame.size() != kLiveFrameSamples) {
        return Error{fmt::format("opus encode: frame of {} samples, expected {}", frame.size(),
                                 kLiveFrameSamples)};
    }
    std::string packet(1275, '\0');
    const int n = opus_encode_float(
        state_->encoder, frame.data(), static_cast<int>(kLiveFrameSamples),
        reinterpret_cast<unsigned char*>(packet.data()), static_cast<opus_int32>(packet.size()));
    if (n < 0) {
        return Error{fmt::format("opus encode: {}", opus_strerror(n))};
    }
    packet.resize(static_cast<std::size_t>(n));
    return packet;
}

}  // namespace loa::audio
