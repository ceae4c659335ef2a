// Ingest benchmark: a 30-minute MP3 (made once and cached) through the whole ingest (GStreamer
// decode, EBU R128 normalisation with the limiter, Opus encode) with the process pinned to one
// core. Prints each run, the median speed in x real time (wall clock and CPU time) and each
// stage's share.
//
// usage: bench_ingest [MP3] [RUNS]   (default: ingest-30min.mp3 beside the program, 3 runs)

#include "loa/audio/gst_decoder.hpp"
#include "loa/audio/ingest.hpp"
#include "loa/audio/speech_synthesis.hpp"

#include <fmt/format.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <sched.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <numbers>
#include <string>
#include <vector>

namespace {

constexpr int kSourceRate = 48000;
constexpr double kMinutes = 30.0;
constexpr double kTargetSpeed = 100.0;

double cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// A programme as a commune station airs it: announcements read aloud alternating with music,
// each piece at its own level (so that the limiter has work of every kind).
std::vector<float> programme_minute(int index, const std::vector<float>& speech) {
    std::vector<float> out;
    out.reserve(static_cast<std::size_t>(kSourceRate) * 62);
    const double speech_gain = std::pow(10.0, (-3.0 * (index % 3)) / 20.0);
    while (out.size() < static_cast<std::size_t>(kSourceRate) * 30) {
        for (const float x : speech) {
            out.push_back(static_cast<float>(x * speech_gain));
        }
        out.insert(out.end(), kSourceRate / 2, 0.0F);  // a pause between sentences
    }
    const double chords[4][3] = {
        {261.6, 329.6, 392.0}, {220.0, 261.6, 329.6}, {174.6, 220.0, 261.6}, {196.0, 246.9, 293.7}};
    const double music_gain = 0.08 + 0.04 * (index % 4);
    const std::size_t start = out.size();
    const std::size_t end = static_cast<std::size_t>(kSourceRate) * 60;
    for (std::size_t i = start; i < end; ++i) {
        const double t = static_cast<double>(i - start) / kSourceRate;
        const auto& chord = chords[static_cast<std::size_t>(t / 2.0 + index) % 4];
        const double envelope = std::exp(-std::fmod(t, 0.5) * 4.0);
        double v = 0.0;
        for (const double f : chord) {
            for (int h = 1; h <= 4; ++h) {
                v += std::sin(2.0 * std::numbers::pi * f * h * t) / (h * h);
            }
        }
        out.push_back(static_cast<float>(music_gain * envelope * v));
    }
    out.resize(end);
    return out;
}

// Encodes kMinutes of programme to a 128 kbit/s stereo 44.1 kHz MP3 with GStreamer's LAME.
bool make_mp3(const std::filesystem::path& path) {
    auto speech = loa::audio::synthesize_speech(
        "Kính thưa bà con. Ủy ban nhân dân xã thông báo lịch tiêm phòng cho trẻ em dưới năm tuổi "
        "vào sáng thứ bảy tuần này tại trạm y tế xã. Đề nghị các hộ gia đình đưa trẻ đến đúng "
        "giờ và mang theo sổ tiêm chủng.",
        "vi");
    if (!speech) {
        fmt::print(stderr, "cannot synthesise speech: {}\n", speech.error().message);
        return false;
    }
    const auto tmp = path.string() + ".part";
    const std::string description = fmt::format(
        "appsrc name=src format=time caps=audio/x-raw,format=F32LE,rate={},channels=1,"
        "layout=interleaved ! audioconvert ! audioresample ! "
        "audio/x-raw,rate=44100,channels=2 ! lamemp3enc target=bitrate bitrate=128 cbr=true ! "
        "id3v2mux ! filesink location=\"{}\"",
        kSourceRate, tmp);
    GError* error = nullptr;
    GstElement* pipeline = gst_parse_launch(description.c_str(), &error);
    if (pipeline == nullptr || error != nullptr) {
        fmt::print(stderr, "cannot build the MP3 encoder: {}\n",
                   error != nullptr ? error->message : "?");
        return false;
    }
    GstElement* src = gst_bin_get_by_name(reinterpret_cast<GstBin*>(pipeline), "src");
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    std::uint64_t pushed = 0;
    for (int minute = 0; minute < static_cast<int>(kMinutes); ++minute) {
        const auto pcm = programme_minute(minute, *speech);
        constexpr std::size_t kChunk = 48000;
        for (std::size_t at = 0; at < pcm.size(); at += kChunk) {
            const std::size_t n = std::min(kChunk, pcm.size() - at);
            GstBuffer* buffer = gst_buffer_new_allocate(nullptr, n * sizeof(float), nullptr);
            gst_buffer_fill(buffer, 0, pcm.data() + at, n * sizeof(float));
            GST_BUFFER_PTS(buffer) = gst_util_uint64_scale(pushed, GST_SECOND, kSourceRate);
            GST_BUFFER_DURATION(buffer) = gst_util_uint64_scale(n, GST_SECOND, kSourceRate);
            pushed += n;
            if (gst_app_src_push_buffer(reinterpret_cast<GstAppSrc*>(src), buffer) != GST_FLOW_OK) {
                fmt::print(stderr, "the MP3 encoder refused audio\n");
                return false;
            }
        }
    }
    gst_app_src_end_of_stream(reinterpret_cast<GstAppSrc*>(src));
    GstBus* bus = gst_element_get_bus(pipeline);
    GstMessage* msg = gst_bus_timed_pop_filtered(
        bus, GST_CLOCK_TIME_NONE, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    const bool ok = msg != nullptr && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS;
    if (msg != nullptr) {
        gst_message_unref(msg);
    }
    gst_object_unref(bus);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(src);
    gst_object_unref(pipeline);
    if (!ok) {
        fmt::print(stderr, "the MP3 encoder failed\n");
        return false;
    }
    std::filesystem::rename(tmp, path);
    return true;
}

struct Run {
    loa::audio::IngestReport report;
    double cpu = 0.0;
};

}  // namespace

int main(int argc, char** argv) {
    // One core, the one we are on, before GStreamer makes its threads (they inherit the mask).
    const int cpu = std::max(0, sched_getcpu());
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
        fmt::print(stderr, "cannot pin to CPU {}\n", cpu);
        return 1;
    }
    gst_init(&argc, &argv);
    if (auto st = loa::audio::init_gstreamer(); !st) {
        fmt::print(stderr, "{}\n", st.message());
        return 1;
    }
    const std::filesystem::path mp3 =
        argc > 1 ? std::filesystem::path{argv[1]}
                 : std::filesystem::path{argv[0]}.parent_path() / "ingest-30min.mp3";
    const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 3;
    if (!std::filesystem::exists(mp3)) {
        fmt::print("making {} ({} minutes of speech and music, 128 kbit/s stereo MP3)...\n",
                   mp3.string(), kMinutes);
        if (!make_mp3(mp3)) {
            return 1;
        }
    }
    fmt::print("ingest of {} ({:.1f} MB), pinned to CPU {}, {} runs\n", mp3.string(),
               static_cast<double>(std::filesystem::file_size(mp3)) / 1e6, cpu, runs);

    const auto out = std::filesystem::temp_directory_path() / "loa-bench-ingest.opus";
    std::vector<Run> results;
    for (int i = 0; i < runs; ++i) {
        const double cpu_start = cpu_seconds();
        auto report = loa::audio::ingest_file(mp3, out, loa::audio::IngestSettings{});
        const double cpu_used = cpu_seconds() - cpu_start;
        if (!report) {
            fmt::print(stderr, "ingest failed: {}\n", report.error().message);
            return 1;
        }
        const auto& r = *report;
        fmt::print(
            "run {}: {:.1f} min of audio in {:.2f} s = {:.0f}x real time (CPU {:.2f} s = "
            "{:.0f}x); decode {:.2f} s, normalise {:.2f} s, encode {:.2f} s; "
            "{:.1f} -> {:.1f} LUFS, limiter {:.1f} dB, {} passes + {} estimates, asset {:.1f} MB\n",
            i + 1, r.duration_ms / 60000.0, r.total_seconds, r.speed, cpu_used,
            r.duration_ms / 1000.0 / cpu_used, r.decode_seconds, r.normalise_seconds,
            r.encode_seconds, r.loudness.before.integrated_lufs, r.loudness.after.integrated_lufs,
            r.loudness.limiter_reduction_db, r.loudness.passes, r.loudness.estimates,
            static_cast<double>(std::filesystem::file_size(out)) / 1e6);
        results.push_back(Run{r, cpu_used});
    }
    std::error_code ec;
    std::filesystem::remove(out, ec);

    std::sort(results.begin(), results.end(),
              [](const Run& a, const Run& b) { return a.report.speed < b.report.speed; });
    const Run& median = results[results.size() / 2];
    const auto& m = median.report;
    const double audio_seconds = m.duration_ms / 1000.0;
    fmt::print("median: {:.0f}x real time (wall), {:.0f}x (CPU time); target >= {:.0f}x: {}\n",
               m.speed, audio_seconds / median.cpu, kTargetSpeed,
               m.speed >= kTargetSpeed ? "met" : "NOT met");
    fmt::print(
        "stage shares: decode {:.0f} %, normalise {:.0f} %, encode {:.0f} % "
        "(decode {:.0f}x, normalise {:.0f}x, encode {:.0f}x real time)\n",
        100.0 * m.decode_seconds / m.total_seconds, 100.0 * m.normalise_seconds / m.total_seconds,
        100.0 * m.encode_seconds / m.total_seconds, audio_seconds / m.decode_seconds,
        audio_seconds / m.normalise_seconds, audio_seconds / m.encode_seconds);
    return 0;
}
