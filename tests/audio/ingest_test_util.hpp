#pragma once

#include "audio_test_util.hpp"
#include "loa/audio/opus_reader.hpp"

#include <ebur128.h>
#include <gst/gst.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numbers>
#include <random>
#include <string>
#include <vector>

namespace loa::audio::test {

// Runs "filesrc location=<wav> ! wavparse ! audioconvert ! audioresample ! <encoder> ! filesink
// location=<out>" to its end. Answers "" on success, else GStreamer's message.
inline std::string encode_with_gstreamer(const std::filesystem::path& wav,
                                         const std::filesystem::path& out,
                                         const std::string& encoder) {
    gst_init(nullptr, nullptr);
    const std::string description = "filesrc location=\"" + wav.string() +
                                    "\" ! wavparse ! audioconvert ! audioresample ! " + encoder +
                                    " ! filesink location=\"" + out.string() + "\"";
    GError* error = nullptr;
    GstElement* pipeline = gst_parse_launch(description.c_str(), &error);
    if (pipeline == nullptr || error != nullptr) {
        std::string what = error != nullptr ? error->message : "cannot build the pipeline";
        if (error != nullptr) {
            g_error_free(error);
        }
        if (pipeline != nullptr) {
            gst_object_unref(pipeline);
        }
        return what;
    }
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    GstBus* bus = gst_element_get_bus(pipeline);
    GstMessage* message = gst_bus_timed_pop_filtered(
        bus, 30 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    std::string what;
    if (message == nullptr) {
        what = "timed out";
    } else if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
        GError* e = nullptr;
        gst_message_parse_error(message, &e, nullptr);
        what = e != nullptr ? e->message : "error";
        if (e != nullptr) {
            g_error_free(e);
        }
    }
    if (message != nullptr) {
        gst_message_unref(message);
    }
    gst_object_unref(bus);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(pipeline);
    return what;
}

inline bool has_gstreamer_element(const char* name) {
    gst_init(nullptr, nullptr);
    GstElementFactory* f = gst_element_factory_find(name);
    if (f == nullptr) {
        return false;
    }
    gst_object_unref(f);
    return true;
}

// The reference measurement: libebur128 itself, integrated loudness and true peak (its own 4x
// oversampling), mono of weight 1.
struct Reference {
    double lufs = 0.0;
    double true_peak_db = 0.0;
    double sample_peak_db = 0.0;
};

inline Reference reference_loudness(const std::vector<float>& pcm, int rate = 48000) {
    ebur128_state* st =
        ebur128_init(1, static_cast<unsigned long>(rate),
                     EBUR128_MODE_I | EBUR128_MODE_TRUE_PEAK | EBUR128_MODE_SAMPLE_PEAK);
    ebur128_set_channel(st, 0, EBUR128_CENTER);
    ebur128_add_frames_float(st, pcm.data(), pcm.size());
    Reference r;
    ebur128_loudness_global(st, &r.lufs);
    double tp = 0.0;
    double sp = 0.0;
    ebur128_true_peak(st, 0, &tp);
    ebur128_sample_peak(st, 0, &sp);
    r.true_peak_db = 20.0 * std::log10(tp);
    r.sample_peak_db = 20.0 * std::log10(sp);
    ebur128_destroy(&st);
    return r;
}

// Every sample of an Ogg Opus file.
inline std::vector<float> read_opus(const std::filesystem::path& path) {
    std::vector<float> all;
    auto reader = OpusReader::open(path);
    if (!reader) {
        return all;
    }
    std::vector<float> chunk(4800);
    while (const std::size_t n = (*reader)->read(chunk)) {
        all.insert(all.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
    }
    return all;
}

// Music-like material: a chord progression of harmonic tones with note envelopes and a little
// noise, `seconds` long at `rate`, peak about 0.5.
inline std::vector<float> music(double seconds, int rate) {
    const auto frames = static_cast<std::size_t>(seconds * rate);
    std::vector<float> out(frames);
    const double chords[4][3] = {
        {261.6, 329.6, 392.0}, {220.0, 261.6, 329.6}, {174.6, 220.0, 261.6}, {196.0, 246.9, 293.7}};
    std::minstd_rand noise{7};
    std::uniform_real_distribution<float> uniform{-1.0F, 1.0F};
    for (std::size_t i = 0; i < frames; ++i) {
        const double t = static_cast<double>(i) / rate;
        const auto& chord = chords[static_cast<std::size_t>(t / 2.0) % 4];
        const double beat = std::fmod(t, 0.5);
        const double envelope = std::exp(-beat * 4.0);
        double v = 0.0;
        for (const double f : chord) {
            for (int h = 1; h <= 4; ++h) {
                v += std::sin(2.0 * std::numbers::pi * f * h * t) / (h * h);
            }
        }
        out[i] = static_cast<float>(0.12 * envelope * v + 0.01 * uniform(noise));
    }
    return out;
}

inline std::vector<float> scaled(std::vector<float> x, double db) {
    const auto g = static_cast<float>(std::pow(10.0, db / 20.0));
    for (float& v : x) {
        v *= g;
    }
    return x;
}

inline std::vector<float> hard_clipped(std::vector<float> x, double gain_db) {
    x = scaled(std::move(x), gain_db);
    for (float& v : x) {
        v = std::clamp(v, -1.0F, 1.0F);
    }
    return x;
}

inline std::size_t entries_in(const std::filesystem::path& dir) {
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator{dir},
                                                  std::filesystem::directory_iterator{}));
}

}  // namespace loa::audio::test
