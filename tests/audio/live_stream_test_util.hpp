#pragma once
// Test helpers for live network streams: audio encoded by GStreamer in the test, served by a
// cpp-httplib server on 127.0.0.1 (chunked, paced or stalling), and a tone detector.

#include <gst/gst.h>
#include <httplib.h>

#include <unistd.h>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <numbers>
#include <span>
#include <sstream>
#include <string>
#include <thread>

namespace loa::audio::test {

// `seconds` of a sine tone of `freq` Hz (44.1 kHz mono) through `encoder` (a gst-launch
// fragment such as "lamemp3enc" or "avenc_aac ! aacparse ! audio/mpeg,stream-format=adts"):
// the encoded bytes, or "" when GStreamer fails.
inline std::string encode_tone(const std::string& encoder, double seconds, int freq = 1000) {
    gst_init(nullptr, nullptr);
    const std::string path =
        "/tmp/loa-live-tone-" + std::to_string(::getpid()) + "-" + std::to_string(freq) + ".bin";
    const int buffers = static_cast<int>(std::lround(seconds * 44100.0 / 1024.0));
    const std::string launch =
        "audiotestsrc wave=sine freq=" + std::to_string(freq) +
        " volume=0.5 num-buffers=" + std::to_string(buffers) +
        " samplesperbuffer=1024 ! audio/x-raw,rate=44100,channels=1 ! audioconvert ! " + encoder +
        " ! filesink location=" + path;
    GError* error = nullptr;
    GstElement* pipeline = gst_parse_launch(launch.c_str(), &error);
    if (error != nullptr) {
        g_error_free(error);
        if (pipeline != nullptr) {
            gst_object_unref(pipeline);
        }
        return {};
    }
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    GstBus* bus = gst_element_get_bus(pipeline);
    GstMessage* done = gst_bus_timed_pop_filtered(
        bus, 30 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    const bool ok = done != nullptr && GST_MESSAGE_TYPE(done) == GST_MESSAGE_EOS;
    if (done != nullptr) {
        gst_message_unref(done);
    }
    gst_object_unref(bus);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(pipeline);
    std::ifstream in{path, std::ios::binary};
    std::stringstream bytes;
    bytes << in.rdbuf();
    std::remove(path.c_str());
    return ok ? bytes.str() : std::string{};
}

// Power of `freq` in `x` (48 kHz) relative to the signal's total power: near 1 for a pure tone
// of that frequency, near 0 for anything else.
inline double tone_share(std::span<const float> x, double freq) {
    const double w = 2.0 * std::numbers::pi * freq / 48000.0;
    double re = 0.0;
    double im = 0.0;
    double total = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        re += x[i] * std::cos(w * static_cast<double>(i));
        im += x[i] * std::sin(w * static_cast<double>(i));
        total += static_cast<double>(x[i]) * x[i];
    }
    const double n = static_cast<double>(x.size());
    return total == 0.0 ? 0.0 : 2.0 * (re * re + im * im) / n / total;
}

// An HTTP server on 127.0.0.1 (an ephemeral port) serving:
//   /stream  `body` chunked, 4 KiB at a time, as fast as the client reads (a finite file)
//   /stall   the first `stall_after` bytes of `body`, then nothing more (until release())
//   /missing 404
//   /page    an HTML page
class TestStreamServer {
public:
    TestStreamServer(std::string body, std::string content_type, std::size_t stall_after = 0)
        : body_{std::move(body)}, type_{std::move(content_type)}, stall_after_{stall_after} {
        server_.Get("/stream", [this](const httplib::Request&, httplib::Response& res) {
            res.set_chunked_content_provider(
                type_, [this](std::size_t offset, httplib::DataSink& sink) {
                    if (offset >= body_.size()) {
                        sink.done();
                        return true;
                    }
                    const std::size_t n = std::min<std::size_t>(4096, body_.size() - offset);
                    return sink.write(body_.data() + offset, n);
                });
        });
        server_.Get("/stall", [this](const httplib::Request&, httplib::Response& res) {
            res.set_chunked_content_provider(
                type_, [this](std::size_t offset, httplib::DataSink& sink) {
                    if (offset < stall_after_) {
                        const std::size_t n = std::min<std::size_t>(4096, stall_after_ - offset);
                        return sink.write(body_.data() + offset, n);
                    }
                    std::unique_lock lock{mutex_};
                    wake_.wait(lock, [this] { return released_; });
                    return false;  // the connection drops
                });
        });
        server_.Get("/missing", [](const httplib::Request&, httplib::Response& res) {
            res.status = 404;
            res.set_content("<html><body>404 Not Found</body></html>", "text/html");
        });
        server_.Get("/page", [](const httplib::Request&, httplib::Response& res) {
            std::string page = "<!DOCTYPE html>\n<html><head><title>Radio</title></head><body>";
            for (int i = 0; i < 200; ++i) {
                page += "<p>Listen to the provincial station live.</p>\n";
            }
            page += "</body></html>\n";
            res.set_content(page, "text/html");
        });
        port_ = server_.bind_to_any_port("127.0.0.1");
        thread_ = std::thread{[this] { server_.listen_after_bind(); }};
    }
    ~TestStreamServer() {
        release();
        server_.stop();
        thread_.join();
    }
    TestStreamServer(const TestStreamServer&) = delete;
    TestStreamServer& operator=(const TestStreamServer&) = delete;

    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }
    void release() {
        {
            const std::lock_guard lock{mutex_};
            released_ = true;
        }
        wake_.notify_all();
    }

private:
    std::string body_;
    std::string type_;
    std::size_t stall_after_;
    httplib::Server server_;
    int port_ = 0;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool released_ = false;
};

}  // namespace loa::audio::test
