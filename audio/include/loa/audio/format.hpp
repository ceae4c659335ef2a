#pragma once

#include <cstddef>

namespace loa::audio {

// Everything inside Loa is 48 kHz mono float in [-1, 1].
inline constexpr int kSampleRate = 48000;
inline constexpr int kChannels = 1;

inline constexpr std::size_t frames_for_ms(std::size_t ms) {
    return ms * static_cast<std::size_t>(kSampleRate) / 1000;
}

}  // namespace loa::audio
