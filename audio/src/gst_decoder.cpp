#include "loa/audio/gst_decoder.hpp"

#include "gst_handles.hpp"
#include "loa/audio/format.hpp"
#include "truncation_check.hpp"

#include <fmt/format.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/pbutils/pbutils.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <system_error>

namespace loa::audio {
namespace {

// The audio may stop this much short of the length the file announces (encoder padding,
// rounding, estimates from a bit rate) before it counts as truncated.
constexpr double kTruncatedShareMissing = 0.02;
constexpr std::uint64_t kTruncatedMinMissingFrames = kSampleRate / 2;

template <class T>
using GstPtr = gst::ObjectPtr<T>;
using gst::CapsPtr;
using gst::ErrorPtr;
using gst::MessagePtr;
using gst::SamplePtr;
using gst::TextPtr;

struct InitOutcome {
    bool ok = false;
    std::string error;
};

const InitOutcome& init_once() {
    static const InitOutcome outcome = [] {
        InitOutcome o;
        GError* raw = nullptr;
        if (gst_init_check(nullptr, nullptr, &raw) == FALSE) {
            const ErrorPtr error{raw};
            o.error = fmt::format("cannot initialise GStreamer: {}",
                                  error ? error->message : "unknown error");
            return o;
        }
        gst_pb_utils_init();
        // decodebin takes the best-ranked decoder; libmpg123's is as good as libav's for MP3
        // and twice as fast, but both rank "marginal" and libav's wins by name.
        GstRegistry* registry = gst_registry_get();
        if (GstPluginFeature* mpg123 =
                gst_registry_find_feature(registry, "mpg123audiodec", GST_TYPE_ELEMENT_FACTORY)) {
            gst_plugin_feature_set_rank(mpg123, GST_RANK_PRIMARY);
            gst_object_unref(mpg123);
        }
        o.ok = true;
        return o;
    }();
    return outcome;
}

std::string describe_caps(const GstCaps* caps) {
    if (caps == nullptr || gst_caps_is_empty(caps) != FALSE || gst_caps_is_any(caps) != FALSE) {
        return {};
    }
    const TextPtr text{gst_pb_utils_get_codec_description(caps)};
    if (text) {
        return text.get();
    }
    return gst_structure_get_name(gst_caps_get_structure(caps, 0));
}

// State shared with GStreamer's streaming threads (the callbacks below).
struct StreamState {
    GstElement* convert = nullptr;
    std::atomic<bool> linked{false};
    std::atomic<bool> no_more_pads{false};
    std::mutex mutex;
    std::string container;             // from typefind
    std::vector<std::string> skipped;  // media types of streams that are not audio
};

void on_have_type(GstElement* /*typefind*/, guint /*probability*/, GstCaps* caps, gpointer user) {
    auto& state = *static_cast<StreamState*>(user);
    // A tag header (ID3, APE) in front of the audio says nothing of the format.
    const std::string media = caps != nullptr && gst_caps_get_size(caps) > 0
                                  ? gst_structure_get_name(gst_caps_get_structure(caps, 0))
                                  : "";
    if (media == "application/x-id3" || media == "application/x-apetag") {
        return;
    }
    auto text = describe_caps(caps);
    std::lock_guard lock{state.mutex};
    state.container = std::move(text);
}

void on_pad_added(GstElement* /*decodebin*/, GstPad* pad, gpointer user) {
    auto& state = *static_cast<StreamState*>(user);
    CapsPtr caps{gst_pad_get_current_caps(pad)};
    if (!caps) {
        caps.reset(gst_pad_query_caps(pad, nullptr));
    }
    const char* media = caps && gst_caps_get_size(caps.get()) > 0
                            ? gst_structure_get_name(gst_caps_get_structure(caps.get(), 0))
                            : "";
    if (std::strncmp(media, "audio/", 6) != 0 || state.linked.load()) {
        std::lock_guard lock{state.mutex};
        state.skipped.emplace_back(media);
        return;
    }
    const GstPtr<GstPad> sink{gst_element_get_static_pad(state.convert, "sink")};
    if (gst_pad_link(pad, sink.get()) == GST_PAD_LINK_OK) {
        state.linked = true;
    }
}

void on_no_more_pads(GstElement* /*decodebin*/, gpointer user) {
    static_cast<StreamState*>(user)->no_more_pads = true;
}

template <class F>
void connect(GstElement* element, const char* signal, F* handler, StreamState* state) {
    g_signal_connect_data(element, signal, reinterpret_cast<GCallback>(handler), state, nullptr,
                          GConnectFlags{});
}

// "1:02:03" or "4:05".
std::string clock_text(std::uint64_t frames) {
    const std::uint64_t s = (frames + kSampleRate / 2) / kSampleRate;
    if (s >= 3600) {
        return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
    }
    return fmt::format("{}:{:02}", s / 60, s % 60);
}

std::uint64_t frames_of(gint64 ns) {
    return ns <= 0 ? 0
                   : static_cast<std::uint64_t>(static_cast<double>(ns) * kSampleRate / 1e9 + 0.5);
}

std::string too_long(std::uint64_t frames, std::uint64_t max_frames, bool known) {
    return fmt::format("too long: it lasts {}{}, longer than the limit of {}", known ? "" : "over ",
                       clock_text(frames), clock_text(max_frames));
}

// Owns a pipeline: stops it (state NULL, which joins GStreamer's streaming threads) and drops
// it on every way out.
struct PipelineOwner {
    GstElement* pipeline = nullptr;
    void stop() {
        if (pipeline != nullptr) {
            gst_element_set_state(pipeline, GST_STATE_NULL);
        }
    }
    ~PipelineOwner() {
        if (pipeline != nullptr) {
            gst_element_set_state(pipeline, GST_STATE_NULL);
            gst_object_unref(pipeline);
        }
    }
};

std::string error_text(GstMessage* message) {
    GError* raw = nullptr;
    gchar* debug = nullptr;
    gst_message_parse_error(message, &raw, &debug);
    const ErrorPtr error{raw};
    const TextPtr debug_text{debug};
    if (!error) {
        return "unknown error";
    }
    if (error->domain == GST_STREAM_ERROR && error->code == GST_STREAM_ERROR_TYPE_NOT_FOUND) {
        return fmt::format("GStreamer cannot tell what kind of data it is ({})", error->message);
    }
    if ((error->domain == GST_CORE_ERROR && error->code == GST_CORE_ERROR_MISSING_PLUGIN) ||
        (error->domain == GST_STREAM_ERROR && error->code == GST_STREAM_ERROR_CODEC_NOT_FOUND)) {
        return fmt::format("no decoder is installed for it ({})", error->message);
    }
    return error->message;
}

// One decode. The samples are appended on GStreamer's streaming thread (appsink's new-sample
// callback: no hand-over per buffer); the calling thread watches the bus, the length and the
// progress, and reads the samples once the pipeline has stopped.
class Decode {
public:
    Decode(const std::filesystem::path& path, const DecodeOptions& options)
        : path_{path},
          options_{options},
          clock_{options.clock != nullptr ? *options.clock : SystemClock::instance()} {}

    Result<DecodedAudio> run() {
        if (auto st = build(); !st) {
            return Error{st.message()};
        }
        start_ = clock_.now();
        last_report_ = start_;
        if (gst_element_set_state(owner_.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
            if (auto failure = drain_bus(); !failure.empty()) {
                return Error{failure};
            }
            return Error{"not audio: GStreamer cannot start decoding it"};
        }
        const GstPtr<GstBus> bus{gst_element_get_bus(owner_.pipeline)};
        const auto wait = std::min<Duration>(options_.progress_interval, kBusPoll);
        const auto wait_ns = static_cast<GstClockTime>(std::max<std::int64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count(), 1'000'000));
        bool ended = false;
        while (!ended) {
            MessagePtr message{gst_bus_timed_pop(bus.get(), wait_ns)};
            if (message) {
                if (GST_MESSAGE_TYPE(message.get()) == GST_MESSAGE_EOS) {
                    ended = true;
                } else if (auto failure = handle(message.get()); !failure.empty()) {
                    return Error{failure};
                }
            }
            if (state_.no_more_pads && !state_.linked) {
                return Error{no_audio_stream()};
            }
            if (frames_.load() > 0 && !duration_checked_) {
                // Ask once, early: an over-long file is refused before it is decoded, and the
                // buffer is sized for the rest.
                duration_checked_ = true;
                query_duration();
            }
            if (auto failure = check_length(frames_.load()); !failure.empty()) {
                return Error{failure};
            }
            if (!ended) {
                report_progress(false);
            }
        }
        // An error posted just before the end of the stream still counts.
        if (auto failure = drain_bus(); !failure.empty()) {
            return Error{failure};
        }
        if (!state_.linked) {
            return Error{no_audio_stream()};
        }
        query_duration();
        owner_.stop();  // the streaming threads are done with out_ from here on
        report_progress(true);
        if (out_.pcm.empty()) {
            return Error{"empty: it holds no audio samples"};
        }
        if (auto failure = check_length(out_.pcm.size()); !failure.empty()) {
            return Error{failure};
        }
        if (out_.announced_frames > 0) {
            const std::uint64_t missing = out_.announced_frames > out_.pcm.size()
                                              ? out_.announced_frames - out_.pcm.size()
                                              : 0;
            const auto allowed = std::max<std::uint64_t>(
                kTruncatedMinMissingFrames,
                static_cast<std::uint64_t>(kTruncatedShareMissing *
                                           static_cast<double>(out_.announced_frames)));
            if (missing > allowed) {
                return Error{
                    fmt::format("truncated: the audio stops at {} but the file announces {}{}",
                                clock_text(out_.pcm.size()), clock_text(out_.announced_frames),
                                warning_.empty() ? "" : fmt::format(" ({})", warning_))};
            }
        }
        if (auto cut = find_truncation(path_)) {
            return Error{fmt::format("truncated: {}", *cut)};
        }
        out_.format = format_name();
        return std::move(out_);
    }

private:
    static constexpr Duration kBusPoll = std::chrono::milliseconds{50};

    Status build() {
        auto* pipeline = gst_pipeline_new("loa-decode");
        if (pipeline == nullptr) {
            return Error{"cannot make a GStreamer pipeline"};
        }
        owner_.pipeline = pipeline;
        GstElement* source = gst_element_factory_make("filesrc", nullptr);
        GstElement* decode = gst_element_factory_make("decodebin", nullptr);
        GstElement* convert = gst_element_factory_make("audioconvert", nullptr);
        GstElement* resample = gst_element_factory_make("audioresample", nullptr);
        GstElement* sink = gst_element_factory_make("appsink", nullptr);
        for (auto* e : {source, decode, convert, resample, sink}) {
            if (e == nullptr) {
                for (auto* made : {source, decode, convert, resample, sink}) {
                    if (made != nullptr) {
                        gst_object_unref(made);
                    }
                }
                return Error{
                    "GStreamer lacks one of filesrc, decodebin, audioconvert, audioresample, "
                    "appsink (install gstreamer1.0-plugins-base)"};
            }
        }
        gst_bin_add_many(reinterpret_cast<GstBin*>(pipeline), source, decode, convert, resample,
                         sink, nullptr);
        g_object_set(source, "location", path_.c_str(), nullptr);
        const CapsPtr caps{gst_caps_new_simple(
            "audio/x-raw", "format", G_TYPE_STRING, "F32LE", "rate", G_TYPE_INT, kSampleRate,
            "channels", G_TYPE_INT, 1, "layout", G_TYPE_STRING, "interleaved", nullptr)};
        g_object_set(sink, "caps", caps.get(), "sync", FALSE, "emit-signals", FALSE, nullptr);
        GstAppSinkCallbacks callbacks{};
        callbacks.new_sample = &Decode::on_new_sample;
        gst_app_sink_set_callbacks(reinterpret_cast<GstAppSink*>(sink), &callbacks, this, nullptr);
        if (gst_element_link(source, decode) == FALSE ||
            gst_element_link_many(convert, resample, sink, nullptr) == FALSE) {
            return Error{"cannot link the GStreamer decoding pipeline"};
        }
        state_.convert = convert;
        connect(decode, "pad-added", &on_pad_added, &state_);
        connect(decode, "no-more-pads", &on_no_more_pads, &state_);
        if (const GstPtr<GstElement> typefind{
                gst_bin_get_by_name(reinterpret_cast<GstBin*>(decode), "typefind")}) {
            connect(typefind.get(), "have-type", &on_have_type, &state_);
        }
        return Status::success();
    }

    // Streaming thread: takes one buffer of 48 kHz mono float.
    static GstFlowReturn on_new_sample(GstAppSink* sink, gpointer user) {
        auto& self = *static_cast<Decode*>(user);
        const SamplePtr sample{gst_app_sink_pull_sample(sink)};
        if (!sample) {
            return GST_FLOW_EOS;
        }
        if (self.stop_.load()) {
            return GST_FLOW_EOS;
        }
        GstBuffer* buffer = gst_sample_get_buffer(sample.get());
        GstMapInfo map{};
        if (buffer == nullptr || gst_buffer_map(buffer, &map, GST_MAP_READ) == FALSE) {
            return GST_FLOW_OK;
        }
        auto& pcm = self.out_.pcm;
        if (const auto hint = self.reserve_hint_.load(); hint > pcm.capacity()) {
            pcm.reserve(static_cast<std::size_t>(hint));
        }
        const std::size_t n = map.size / sizeof(float);
        const auto* data = reinterpret_cast<const float*>(map.data);
        pcm.insert(pcm.end(), data, data + n);
        gst_buffer_unmap(buffer, &map);
        self.frames_.store(pcm.size());
        // Past the limit nothing more is needed: end the stream (the caller says why).
        const auto max = self.options_.max_frames;
        return max > 0 && pcm.size() > max ? GST_FLOW_EOS : GST_FLOW_OK;
    }

    // Handles one bus message; answers the failure, or "" when none.
    std::string handle(GstMessage* message) {
        switch (GST_MESSAGE_TYPE(message)) {
            case GST_MESSAGE_ERROR:
                return fmt::format("not audio: {}", error_text(message));
            case GST_MESSAGE_WARNING:
                if (warning_.empty()) {
                    GError* raw = nullptr;
                    gchar* debug = nullptr;
                    gst_message_parse_warning(message, &raw, &debug);
                    const ErrorPtr error{raw};
                    const TextPtr debug_text{debug};
                    warning_ = error ? error->message : "";
                }
                break;
            case GST_MESSAGE_TAG: {
                GstTagList* tags = nullptr;
                gst_message_parse_tag(message, &tags);
                gchar* codec = nullptr;
                if (tags != nullptr &&
                    gst_tag_list_get_string(tags, GST_TAG_AUDIO_CODEC, &codec) != FALSE) {
                    const TextPtr owned{codec};
                    if (codec_.empty()) {
                        codec_ = codec;
                    }
                }
                if (tags != nullptr) {
                    gst_tag_list_unref(tags);
                }
                break;
            }
            default:
                break;
        }
        return {};
    }

    // Handles what the bus holds; answers the failure, or "" when none.
    std::string drain_bus() {
        const GstPtr<GstBus> bus{gst_element_get_bus(owner_.pipeline)};
        while (MessagePtr message{gst_bus_pop(bus.get())}) {
            if (auto failure = handle(message.get()); !failure.empty()) {
                return failure;
            }
        }
        return {};
    }

    void query_duration() {
        gint64 ns = 0;
        if (gst_element_query_duration(owner_.pipeline, GST_FORMAT_TIME, &ns) != FALSE) {
            out_.announced_frames = frames_of(ns);
            // Room for the announced length (a little more), so the buffer grows only once.
            std::uint64_t want = out_.announced_frames + out_.announced_frames / 50 + kSampleRate;
            if (options_.max_frames > 0) {
                want = std::min(want, options_.max_frames + kSampleRate);
            }
            reserve_hint_.store(want);
        }
    }

    std::string check_length(std::uint64_t frames) {
        const auto max = options_.max_frames;
        if (max == 0) {
            return {};
        }
        // Announced lengths can be estimates (a bit rate and a file size): a small excess waits
        // for the audio itself.
        if (out_.announced_frames > max + max / 20) {
            stop_ = true;
            return too_long(out_.announced_frames, max, true);
        }
        if (frames > max) {
            stop_ = true;
            return out_.announced_frames > max ? too_long(out_.announced_frames, max, true)
                                               : too_long(max, max, false);
        }
        return {};
    }

    void report_progress(bool last) {
        if (!options_.on_progress) {
            return;
        }
        const auto now = clock_.now();
        if (!last && now - last_report_ < options_.progress_interval) {
            return;
        }
        last_report_ = now;
        if (!last) {
            query_duration();
        }
        DecodeProgress p;
        p.frames = frames_.load();
        p.total_frames = out_.announced_frames;
        const double elapsed = std::chrono::duration<double>(now - start_).count();
        p.speed = elapsed > 0.0 ? static_cast<double>(p.frames) / kSampleRate / elapsed : 0.0;
        options_.on_progress(p);
    }

    std::string no_audio_stream() {
        std::lock_guard lock{state_.mutex};
        if (state_.skipped.empty()) {
            return "not audio: it holds no audio stream";
        }
        std::string kinds;
        for (const auto& s : state_.skipped) {
            kinds += kinds.empty() ? s : ", " + s;
        }
        return fmt::format("not audio: it holds no audio stream, only {}", kinds);
    }

    std::string format_name() {
        std::lock_guard lock{state_.mutex};
        if (state_.container.empty()) {
            return codec_;
        }
        if (codec_.empty() || codec_ == state_.container) {
            return state_.container;
        }
        return fmt::format("{} ({})", state_.container, codec_);
    }

    const std::filesystem::path& path_;
    const DecodeOptions& options_;
    const IClock& clock_;
    // Written by the streaming thread until the pipeline stops; declared before owner_ so that
    // the pipeline (and its threads) stops before they go.
    StreamState state_;
    DecodedAudio out_;
    std::atomic<std::uint64_t> frames_{0};
    std::atomic<std::uint64_t> reserve_hint_{0};
    std::atomic<bool> stop_{false};
    PipelineOwner owner_;
    std::string codec_;
    std::string warning_;
    bool duration_checked_ = false;
    TimePoint start_{};
    TimePoint last_report_{};
};

}  // namespace

Status init_gstreamer() {
    const auto& outcome = init_once();
    if (!outcome.ok) {
        return Error{outcome.error};
    }
    return Status::success();
}

bool gstreamer_has_element(std::string_view factory) {
    if (!init_once().ok) {
        return false;
    }
    const GstPtr<GstElementFactory> found{gst_element_factory_find(std::string{factory}.c_str())};
    return found != nullptr;
}

Result<DecodedAudio> decode_file(const std::filesystem::path& path, const DecodeOptions& options) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        return Error{"not audio: no such file"};
    }
    if (!std::filesystem::is_regular_file(path, ec)) {
        return Error{"not audio: not a regular file"};
    }
    if (std::filesystem::file_size(path, ec) == 0) {
        return Error{"empty: the file is 0 bytes long"};
    }
    if (auto st = init_gstreamer(); !st) {
        return Error{st.message()};
    }
    Decode decode{path, options};
    return decode.run();
}

}  // namespace loa::audio
