#include "loa/audio/live_stream_source.hpp"

#include "gst_handles.hpp"

#include "loa/audio/format.hpp"
#include "loa/audio/gst_decoder.hpp"
#include "loa/audio/live_opus_encoder.hpp"

#include <fmt/format.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/pbutils/pbutils.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace loa::audio {

namespace {

constexpr Duration kFrameDuration = std::chrono::milliseconds{20};
// How soon a session thread that found a due frame's audio missing looks again.
constexpr Duration kRetry = std::chrono::milliseconds{5};
// Buffers (about 20-30 ms each) the appsink holds before it blocks the streaming thread.
constexpr guint kSinkBuffers = 8;
constexpr Duration kOpenPoll = std::chrono::milliseconds{20};

using gst::CapsPtr;
using gst::ErrorPtr;
using gst::MessagePtr;
using gst::ObjectPtr;
using gst::SamplePtr;
using gst::TextPtr;

std::string seconds_text(Duration d) {
    return fmt::format("{:g} s", std::chrono::duration<double>(d).count());
}

std::string media_of(const GstCaps* caps) {
    return caps != nullptr && gst_caps_get_size(caps) > 0
               ? gst_structure_get_name(gst_caps_get_structure(caps, 0))
               : "";
}

std::string describe_caps(const GstCaps* caps) {
    if (caps == nullptr || gst_caps_is_empty(caps) != FALSE || gst_caps_is_any(caps) != FALSE) {
        return {};
    }
    const TextPtr text{gst_pb_utils_get_codec_description(caps)};
    return text ? std::string{text.get()} : media_of(caps);
}

// Shared with GStreamer's streaming threads (the signal handlers below).
struct StreamLinks {
    GstElement* convert = nullptr;
    std::atomic<bool> linked{false};
    std::atomic<bool> no_more_pads{false};
    std::atomic<bool> received{false};  // the source has produced bytes
    std::mutex mutex;
    std::string media;   // what typefind found: "audio/mpeg", "text/html", ...
    std::string format;  // its description: "MPEG-1 Layer 3 (MP3)"
    std::vector<std::string> skipped;
};

void on_have_type(GstElement* /*typefind*/, guint /*probability*/, GstCaps* caps, gpointer user) {
    auto& links = *static_cast<StreamLinks*>(user);
    const std::string media = media_of(caps);
    // Tag and Icecast metadata wrappers say nothing of the format: the demuxer types again.
    if (media == "application/x-id3" || media == "application/x-apetag" ||
        media == "application/x-icy") {
        return;
    }
    auto text = describe_caps(caps);
    const std::lock_guard lock{links.mutex};
    links.media = media;
    links.format = std::move(text);
}

void on_pad_added(GstElement* /*decodebin*/, GstPad* pad, gpointer user) {
    auto& links = *static_cast<StreamLinks*>(user);
    CapsPtr caps{gst_pad_get_current_caps(pad)};
    if (!caps) {
        caps.reset(gst_pad_query_caps(pad, nullptr));
    }
    const std::string media = media_of(caps.get());
    if (!media.starts_with("audio/") || links.linked.load()) {
        const std::lock_guard lock{links.mutex};
        links.skipped.push_back(media);
        return;
    }
    const ObjectPtr<GstPad> sink{gst_element_get_static_pad(links.convert, "sink")};
    if (gst_pad_link(pad, sink.get()) == GST_PAD_LINK_OK) {
        links.linked = true;
    }
}

GstPadProbeReturn on_source_data(GstPad* /*pad*/, GstPadProbeInfo* /*info*/, gpointer user) {
    static_cast<StreamLinks*>(user)->received = true;
    return GST_PAD_PROBE_REMOVE;  // once is enough
}

void on_no_more_pads(GstElement* /*decodebin*/, gpointer user) {
    static_cast<StreamLinks*>(user)->no_more_pads = true;
}

template <class F>
void connect_signal(GstElement* element, const char* signal, F* handler, StreamLinks* links) {
    g_signal_connect_data(element, signal, reinterpret_cast<GCallback>(handler), links, nullptr,
                          GConnectFlags{});
}

}  // namespace

struct LiveStreamSource::Impl {
    Impl(std::string u, const IClock& c, const LiveSourceOptions& o)
        : url{std::move(u)}, clock{c}, options{o} {}
    ~Impl() {
        if (pipeline != nullptr) {
            // Joins the streaming threads (an appsink waiting for room, a blocked HTTP read).
            gst_element_set_state(pipeline, GST_STATE_NULL);
            gst_object_unref(pipeline);
        }
    }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    Status build();
    Status wait_for_audio();
    // The failure the bus reports, or "" (EOS and everything else are left to the appsink).
    std::string drain_bus();
    std::string error_text(GstMessage* message);
    std::string not_audio();
    // Pulls what the appsink holds (without waiting) until a frame's worth is pending.
    void fill(TimePoint now);
    bool pull(GstClockTime timeout);
    std::size_t pending() const { return pcm.size() - read; }
    Status emit(std::vector<EncodedLiveFrame>& out);
    TimePoint due(std::uint64_t n) const {
        return first_capture + kFrameDuration * static_cast<std::int64_t>(n + 1);
    }

    std::string url;
    const IClock& clock;
    LiveSourceOptions options;
    std::unique_ptr<LiveOpusEncoder> encoder;
    StreamLinks links;  // before the pipeline: outlives its threads
    GstElement* pipeline = nullptr;
    GstAppSink* sink = nullptr;

    std::vector<float> pcm;  // pending samples from pcm[read] on
    std::size_t read = 0;
    std::vector<float> frame = std::vector<float>(kLiveFrameSamples);
    TimePoint first_capture{};
    TimePoint last_data{};
    TimePoint last_poll{};
    std::uint64_t next = 0;
    std::uint64_t skipped = 0;
    bool eos = false;
    bool finished = false;
    bool waiting = false;
};

Status LiveStreamSource::Impl::build() {
    pipeline = gst_pipeline_new("loa-live-stream");
    if (pipeline == nullptr) {
        return Error{"cannot make a GStreamer pipeline"};
    }
    GError* raw = nullptr;
    GstElement* source = gst_element_make_from_uri(GST_URI_SRC, url.c_str(), nullptr, &raw);
    const ErrorPtr uri_error{raw};
    if (source == nullptr) {
        return Error{
            fmt::format("GStreamer cannot read this URL ({}); install "
                        "gstreamer1.0-plugins-good for http and https",
                        uri_error ? uri_error->message : "no source element")};
    }
    GstElement* decode = gst_element_factory_make("decodebin", nullptr);
    GstElement* convert = gst_element_factory_make("audioconvert", nullptr);
    GstElement* resample = gst_element_factory_make("audioresample", nullptr);
    GstElement* appsink = gst_element_factory_make("appsink", nullptr);
    gst_bin_add(GST_BIN(pipeline), source);
    for (auto* e : {decode, convert, resample, appsink}) {
        if (e == nullptr) {
            for (auto* made : {decode, convert, resample, appsink}) {
                if (made != nullptr) {
                    gst_object_unref(made);
                }
            }
            return Error{
                "GStreamer lacks one of decodebin, audioconvert, audioresample, appsink "
                "(install gstreamer1.0-plugins-base)"};
        }
    }
    gst_bin_add_many(GST_BIN(pipeline), decode, convert, resample, appsink, nullptr);
    GObjectClass* klass = G_OBJECT_GET_CLASS(source);
    if (g_object_class_find_property(klass, "timeout") != nullptr) {
        const auto seconds = std::max<long>(
            1, static_cast<long>(
                   std::ceil(std::chrono::duration<double>(options.open_timeout).count())));
        g_object_set(source, "timeout", static_cast<guint>(seconds), nullptr);
    }
    if (g_object_class_find_property(klass, "user-agent") != nullptr) {
        g_object_set(source, "user-agent", "loa-scheduler", nullptr);
    }
    const CapsPtr caps{gst_caps_new_simple("audio/x-raw", "format", G_TYPE_STRING, "F32LE", "rate",
                                           G_TYPE_INT, kSampleRate, "channels", G_TYPE_INT, 1,
                                           "layout", G_TYPE_STRING, "interleaved", nullptr)};
    g_object_set(appsink, "caps", caps.get(), "sync", FALSE, "emit-signals", FALSE, "max-buffers",
                 kSinkBuffers, "drop", FALSE, nullptr);
    sink = GST_APP_SINK(appsink);
    if (gst_element_link(source, decode) == FALSE ||
        gst_element_link_many(convert, resample, appsink, nullptr) == FALSE) {
        return Error{"cannot link the GStreamer stream pipeline"};
    }
    links.convert = convert;
    if (const ObjectPtr<GstPad> out{gst_element_get_static_pad(source, "src")}) {
        gst_pad_add_probe(out.get(), GST_PAD_PROBE_TYPE_BUFFER, &on_source_data, &links, nullptr);
    }
    connect_signal(decode, "pad-added", &on_pad_added, &links);
    connect_signal(decode, "no-more-pads", &on_no_more_pads, &links);
    if (const ObjectPtr<GstElement> typefind{gst_bin_get_by_name(GST_BIN(decode), "typefind")}) {
        connect_signal(typefind.get(), "have-type", &on_have_type, &links);
    }
    return Status::success();
}

std::string LiveStreamSource::Impl::not_audio() {
    const std::lock_guard lock{links.mutex};
    if (!links.media.empty() && !links.media.starts_with("audio/")) {
        return fmt::format("not audio: the server sent {}", links.media);
    }
    if (!links.skipped.empty()) {
        return fmt::format("not audio: the stream holds no audio, only {}", links.skipped.front());
    }
    return "not audio: the stream holds no audio";
}

std::string LiveStreamSource::Impl::error_text(GstMessage* message) {
    GError* raw = nullptr;
    gchar* debug = nullptr;
    gst_message_parse_error(message, &raw, &debug);
    const ErrorPtr error{raw};
    const TextPtr debug_text{debug};
    if (!error) {
        return "unknown GStreamer error";
    }
    if ((error->domain == GST_STREAM_ERROR && (error->code == GST_STREAM_ERROR_TYPE_NOT_FOUND ||
                                               error->code == GST_STREAM_ERROR_CODEC_NOT_FOUND ||
                                               error->code == GST_STREAM_ERROR_WRONG_TYPE)) ||
        (error->domain == GST_CORE_ERROR && error->code == GST_CORE_ERROR_MISSING_PLUGIN)) {
        const std::string what = not_audio();
        bool page = false;
        {
            const std::lock_guard lock{links.mutex};
            page = links.media.starts_with("text/") || links.media.starts_with("image/");
        }
        // A web page or a picture needs no word on missing plug-ins; anything else may.
        return page ? what : fmt::format("{} ({})", what, error->message);
    }
    // souphttpsrc: message "Not Found", debug "<where>:\nNot Found (404), URL: ..., Redirect
    // to: ..."; a status under 100 is libsoup's own: message "Could not establish connection to
    // server.", debug "...\nCould not connect: Connection refused (4), URL: ...".
    std::string text = error->message;
    if (text.ends_with(".")) {
        text.pop_back();
    }
    if (debug_text && error->domain == GST_RESOURCE_ERROR) {
        const std::string d = debug_text.get();
        if (const auto url_at = d.find(", URL:"); url_at != std::string::npos) {
            const auto line = d.rfind('\n', url_at);
            const auto from = line == std::string::npos ? 0 : line + 1;
            std::string status = d.substr(from, url_at - from);
            const auto open = status.rfind(" (");
            if (open != std::string::npos && status.ends_with(")") &&
                std::atoi(status.c_str() + open + 2) < 100) {
                status.erase(open);
                if (const auto colon = status.rfind(": "); colon != std::string::npos) {
                    status.erase(0, colon + 2);
                }
            }
            if (!status.empty() && status != text) {
                text = status.starts_with(text) ? status : text + ": " + status;
            }
        }
    }
    return text;
}

std::string LiveStreamSource::Impl::drain_bus() {
    const ObjectPtr<GstBus> bus{gst_element_get_bus(pipeline)};
    if (MessagePtr message{gst_bus_pop_filtered(bus.get(), GST_MESSAGE_ERROR)}) {
        return error_text(message.get());
    }
    return {};
}

bool LiveStreamSource::Impl::pull(GstClockTime timeout) {
    const SamplePtr sample{gst_app_sink_try_pull_sample(sink, timeout)};
    if (!sample) {
        if (gst_app_sink_is_eos(sink) != FALSE) {
            eos = true;
        }
        return false;
    }
    GstBuffer* buffer = gst_sample_get_buffer(sample.get());
    GstMapInfo map{};
    if (buffer == nullptr || gst_buffer_map(buffer, &map, GST_MAP_READ) == FALSE) {
        return true;
    }
    if (read > 0 && read >= pcm.size() / 2) {
        pcm.erase(pcm.begin(), pcm.begin() + static_cast<std::ptrdiff_t>(read));
        read = 0;
    }
    const auto* data = reinterpret_cast<const float*>(map.data);
    pcm.insert(pcm.end(), data, data + map.size / sizeof(float));
    gst_buffer_unmap(buffer, &map);
    return true;
}

Status LiveStreamSource::Impl::wait_for_audio() {
    if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        if (auto failure = drain_bus(); !failure.empty()) {
            return Error{failure};
        }
        return Error{"GStreamer cannot start reading it"};
    }
    const TimePoint deadline = clock.now() + options.open_timeout;
    const auto poll_ns = static_cast<GstClockTime>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(kOpenPoll).count());
    for (;;) {
        if (auto failure = drain_bus(); !failure.empty()) {
            return Error{failure};
        }
        if (links.no_more_pads && !links.linked) {
            return Error{not_audio()};
        }
        if (pull(poll_ns) && pending() > 0) {
            return Status::success();
        }
        if (eos) {
            return Error{"empty: the stream ended before any audio"};
        }
        if (clock.now() >= deadline) {
            return Error{
                (links.received ? "no audio came within " : "the server sent nothing within ") +
                seconds_text(options.open_timeout)};
        }
    }
}

void LiveStreamSource::Impl::fill(TimePoint now) {
    while (pending() < kLiveFrameSamples && !eos && pull(0)) {
        last_data = now;
    }
}

Status LiveStreamSource::Impl::emit(std::vector<EncodedLiveFrame>& out) {
    const std::size_t n = std::min(kLiveFrameSamples, pending());
    std::fill(frame.begin(), frame.end(), 0.0F);
    std::copy_n(pcm.begin() + static_cast<std::ptrdiff_t>(read), n, frame.begin());
    read += n;
    auto packet = encoder->encode(frame);
    if (!packet) {
        return Error{packet.error().message};
    }
    out.push_back({next, first_capture + kFrameDuration * static_cast<std::int64_t>(next),
                   std::move(packet).value()});
    ++next;
    return Status::success();
}

Result<std::unique_ptr<LiveStreamSource>> LiveStreamSource::open(const std::string& url,
                                                                 const IClock& clock,
                                                                 const LiveSourceOptions& options) {
    if (auto st = init_gstreamer(); !st) {
        return Error{url + ": " + st.message()};
    }
    auto encoder = LiveOpusEncoder::create();
    if (!encoder) {
        return Error{encoder.error().message};
    }
    auto impl = std::make_unique<Impl>(url, clock, options);
    impl->encoder = std::move(encoder).value();
    if (auto st = impl->build(); !st) {
        return Error{url + ": " + st.message()};
    }
    if (auto st = impl->wait_for_audio(); !st) {
        return Error{url + ": " + st.message()};
    }
    impl->last_data = clock.now();
    spdlog::info("live: stream {} open: {}", url, impl->links.format);
    // The constructor is private, so std::make_unique cannot reach it; ownership is immediate.
    return std::unique_ptr<LiveStreamSource>{new LiveStreamSource(std::move(impl))};
}

LiveStreamSource::LiveStreamSource(std::unique_ptr<Impl> impl) : impl_{std::move(impl)} {}

LiveStreamSource::~LiveStreamSource() = default;

void LiveStreamSource::set_first_capture(TimePoint first_capture) {
    impl_->first_capture = first_capture;
    impl_->last_data = first_capture;
}

Result<std::vector<EncodedLiveFrame>> LiveStreamSource::poll(TimePoint now, std::size_t max) {
    Impl& d = *impl_;
    if (auto failure = d.drain_bus(); !failure.empty()) {
        return Error{"source failed: " + failure};
    }
    std::vector<EncodedLiveFrame> out;
    d.waiting = false;
    d.last_poll = now;
    while (!d.finished && out.size() < max && d.due(d.next) <= now) {
        d.fill(now);
        if (d.pending() >= kLiveFrameSamples) {
            if (auto st = d.emit(out); !st) {
                return Error{st.message()};
            }
            continue;
        }
        if (d.eos) {
            if (d.pending() > 0) {
                if (auto st = d.emit(out); !st) {
                    return Error{st.message()};
                }
            }
            d.finished = true;
            break;
        }
        if (now - d.last_data >= d.options.stall_timeout) {
            return Error{"source stalled " + seconds_text(d.options.stall_timeout)};
        }
        if (now >= d.due(d.next) + kLateTolerance) {
            ++d.next;  // its audio is late: the agents conceal it
            ++d.skipped;
            continue;
        }
        d.waiting = true;
        break;
    }
    return out;
}

TimePoint LiveStreamSource::next_due() const {
    return impl_->waiting ? impl_->last_poll + kRetry : impl_->due(impl_->next);
}

bool LiveStreamSource::finished() const {
    return impl_->finished;
}

std::string LiveStreamSource::format() const {
    const std::lock_guard lock{impl_->links.mutex};
    return impl_->links.format;
}

std::uint64_t LiveStreamSource::skipped_frames() const {
    return impl_->skipped;
}

}  // namespace loa::audio
