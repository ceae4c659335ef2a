#pragma once

#include "loa/common/result.hpp"

#include <memory>
#include <span>
#include <string_view>

namespace loa::audio {

// Decodes the 20 ms Opus packets of a live session to 48 kHz mono float, with Opus packet-loss
// concealment for a missing frame and recovery from the in-band FEC of the next one.
// Threads: one thread at a time (the agent's feeder thread).
class LiveOpusDecoder {
public:
    static Result<std::unique_ptr<LiveOpusDecoder>> create();
    ~LiveOpusDecoder();
    LiveOpusDecoder(const LiveOpusDecoder&) = delete;
    LiveOpusDecoder& operator=(const LiveOpusDecoder&) = delete;

    // Each fills exactly kLiveFrameSamples samples of `out` (which must hold as many).
    // decode: a received packet; fails on a corrupt one (the caller conceals instead).
    Status decode(std::string_view packet, std::span<float> out);
    // recover: the missing frame from the FEC data of the packet that follows it (falls back to
    // concealment inside libopus when that packet carries none).
    Status recover(std::string_view next_packet, std::span<float> out);
    // conceal: Opus PLC for a frame that never came.
    Status conceal(std::span<float> out);

    struct State;

private:
    explicit LiveOpusDecoder(std::unique_ptr<State> state);
    Status run(const unsigned char* data, int size, std::span<float> out, int fec);
    std::unique_ptr<State> state_;
};

}  // namespace loa::audio
