#include "loa/audio/live_opus_decoder.hpp"

#include "loa/audio/live_opus_encoder.hpp"

#include <fmt/format.h>
#include <opus.h>

namespace loa::audio {

struct LiveOpusDecoder::State {
    OpusDecoder* decoder = nullptr;
    ~State() {
        if (decoder != nullptr) {
            opus_decoder_destroy(decoder);
        }
    }
};

LiveOpusDecoder::LiveOpusDecoder(std::unique_ptr<State> state) : state_{std::move(state)} {}

LiveOpusDecoder::~LiveOpusDecoder() = default;

Result<std::unique_ptr<LiveOpusDecoder>> LiveOpusDecoder::create() {
    auto state = std::make_unique<State>();
    int err = OPUS_OK;
    state->decoder = opus_decoder_create(48000, 1, &err);
    if (err != OPUS_OK || state->decoder == nullptr) {
        state->decoder = nullptr;
        return Error{fmt::format("opus decoder: {}", opus_strerror(err))};
    }
    return std::unique_ptr<LiveOpusDecoder>{new LiveOpusDecoder{std::move(state)}};
}

Status LiveOpusDecoder::run(const unsigned char* data, int size, std::span<float> out, int fec) {
    if (out.size() < kLiveFrameSamples) {
        return Error{"opus decode: output smaller than one frame"};
    }
    const int n = opus_decode_float(state_->decoder, data, size, out.data(),
                                    static_cast<int>(kLiveFrameSamples), fec);
    if (n < 0) {
        return Error{fmt::format("opus decode: {}", opus_strerror(n))};
    }
    if (static_cast<std::size_t>(n) != kLiveFrameSamples) {
        return Error{
            fmt::format("opus decode: packet of {} samples, expected {}", n, kLiveFrameSamples)};
    }
    return {};
}

Status LiveOpusDecoder::decode(std::string_view packet, std::span<float> out) {
    if (packet.empty()) {
        return Error{"opus decode: empty packet"};
    }
    return run(reinterpret_cast<const unsigned char*>(packet.data()),
               static_cast<int>(packet.size()), out, 0);
}

Status LiveOpusDecoder::recover(std::string_view next_packet, std::span<float> out) {
    if (next_packet.empty()) {
        return conceal(out);
    }
    return run(reinterpret_cast<const unsigned char*>(next_packet.data()),
               static_cast<int>(next_packet.size()), out, 1);
}

Status LiveOpusDecoder::conceal(std::span<float> out) {
    return run(nullptr, 0, out, 0);
}

}  // namespace loa::audio
