#include "loa/audio/live_source.hpp"

#include "loa/audio/live_capture_source.hpp"
#include "loa/audio/live_frame_pump.hpp"
#include "loa/audio/live_stream_source.hpp"

namespace loa::audio {

Result<std::unique_ptr<ILiveSource>> open_live_source(const std::string& source,
                                                      const IClock& clock,
                                                      const LiveSourceOptions& options) {
    if (source == "mic" || source.starts_with("mic:")) {
        std::string device = source == "mic" ? "default" : source.substr(4);
        std::string host_api = options.mic_host_api;
        // "mic:HOST API / DEVICE", as the device lists print them.
        if (const auto slash = device.find(" / "); slash != std::string::npos) {
            host_api = device.substr(0, slash);
            device = device.substr(slash + 3);
        }
        if (device.empty()) {
            return Error{"mic: give a device name after \"mic:\", or \"mic\" for the default"};
        }
        auto capture = LiveCaptureSource::open(device, host_api, clock, options);
        if (!capture) {
            return Error{source + ": " + capture.error().message};
        }
        return std::unique_ptr<ILiveSource>{std::move(capture).value()};
    }
    if (source.starts_with("http://") || source.starts_with("https://")) {
        auto stream = LiveStreamSource::open(source, clock, options);
        if (!stream) {
            return stream.error();
        }
        return std::unique_ptr<ILiveSource>{std::move(stream).value()};
    }
    auto pump = LiveFramePump::open_file(source, clock.now());
    if (!pump) {
        return pump.error();
    }
    return std::unique_ptr<ILiveSource>{std::move(pump).value()};
}

}  // namespace loa::audio
