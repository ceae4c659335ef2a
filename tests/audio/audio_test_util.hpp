#pragma once

#include "loa/test/temp_dir.hpp"

#include <sndfile.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <numbers>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace loa::audio::test {

using loa::test_support::TempDir;

// `frames` frames of amplitude * sin(2 pi freq t) at `rate`.
inline std::vector<float> sine(std::size_t frames, double freq, double amplitude, int rate) {
    std::vector<float> out(frames);
    for (std::size_t i = 0; i < frames; ++i) {
        out[i] = static_cast<float>(
            amplitude * std::sin(2.0 * std::numbers::pi * freq * static_cast<double>(i) / rate));
    }
    return out;
}

inline double rms(std::span<const float> x) {
    double sum = 0.0;
    for (float v : x) {
        sum += static_cast<double>(v) * v;
    }
    return x.empty() ? 0.0 : std::sqrt(sum / static_cast<double>(x.size()));
}

// Writes interleaved float samples with libsndfile; `format` is an SF_FORMAT_* combination.
inline bool write_sound_file(const std::filesystem::path& path, std::span<const float> interleaved,
                             int rate, int channels, int format) {
    SF_INFO info{};
    info.samplerate = rate;
    info.channels = channels;
    info.format = format;
    SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
    if (f == nullptr) {
        return false;
    }
    const auto frames = static_cast<sf_count_t>(interleaved.size() / channels);
    const bool ok = sf_writef_float(f, interleaved.data(), frames) == frames;
    return sf_close(f) == 0 && ok;
}

}  // namespace loa::audio::test
