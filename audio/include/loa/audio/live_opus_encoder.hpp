#pragma once

#include "loa/common/result.hpp"

#include <cstddef>
#include <memory>
#include <span>
#include <string>

namespace loa::audio {

// Samples in one live frame: 20 ms at 48 kHz, mono.
inline constexpr std::size_t kLiveFrameSamples = 960;

struct LiveEncoderOptions {
    int bitrate = 32000;             // bits per second
    int expected_loss_percent = 10;  // tunes the in-band FEC (Opus LBRR) redundancy
};

// Encodes 20 ms frames of 48 kHz mono float to Opus packets with in-band FEC, so that a
// receiver missing frame n can recover most of it from frame n + 1.
// Threads: one thread at a time (the live session's source thread).
class LiveOpusEncoder {
public:
    static Result<std::unique_ptr<LiveOpusEncoder>> create(const LiveEncoderOptions& options = {});
    ~LiveOpusEncoder();
    LiveOpusEncoder(const LiveOpusEncoder&) = delete;
    LiveOpusEncoder& operator=(const LiveOpusEncoder&) = delete;

    // Encodes exactly kLiveFrameSamples samples; fails ("opus encode: ...") on a libopus error
    // or another frame size.
    Result<std::string> encode(std::span<const float> frame);

    struct State;

private:
    explicit LiveOpusEncoder(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

}  // namespace loa::audio
