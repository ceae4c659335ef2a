#include "loa/audio/live_capture_source.hpp"

#include "loa/audio/format.hpp"
#include "loa/audio/live_opus_encoder.hpp"
#include "loa/audio/spsc_ring.hpp"
#include "port_audio_session.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <portaudio.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>

namespace loa::audio {

namespace {

constexpr Duration kFrameDuration = std::chrono::milliseconds{20};
constexpr Duration kMinRetry = std::chrono::milliseconds{2};
constexpr std::size_t kRingSamples = static_cast<std::size_t>(kSampleRate) * 2;  // 2 s
constexpr std::size_t kScratchFrames = 4096;

Duration seconds(double s) {
    return Duration{static_cast<std::int64_t>(std::llround(s * 1e9))};
}

std::string seconds_text(Duration d) {
    return fmt::format("{:g} s", std::chrono::duration<double>(d).count());
}

}  // namespace

struct LiveCaptureSource::Impl {
    Impl(std::shared_ptr<PortAudioSession> s, const IClock& c, const LiveSourceOptions& o)
        : session{std::move(s)}, clock{c}, options{o} {}
    ~Impl() {
        if (stream != nullptr) {
            Pa_AbortStream(stream);
            Pa_CloseStream(stream);
        }
    }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    static int callback(const void* input, void* output, unsigned long frame_count,
                        const PaStreamCallbackTimeInfo* time_info, PaStreamCallbackFlags flags,
                        void* user) noexcept;
    void publish(std::uint64_t position, double adc) noexcept;

    struct Stamp {
        std::uint64_t position = 0;  // ring position of a block's first sample
        double adc = 0.0;            // its capture time in stream time; 0: unknown
    };
    // The latest stamp the callback published; false before the first block.
    bool latest_stamp(Stamp& out) const noexcept;
    // The wall-clock capture time of ring position `p`, from the latest stamp and an anchor of
    // stream time to the wall clock read now.
    TimePoint capture_time(std::uint64_t p, const Stamp& stamp, TimePoint now) const;
    void discard(std::size_t n);

    std::shared_ptr<PortAudioSession> session;  // declared first: PortAudio outlives the stream
    const IClock& clock;
    LiveSourceOptions options;
    std::unique_ptr<LiveOpusEncoder> encoder;
    PaStream* stream = nullptr;
    std::string host_api;
    std::string device;
    int channels = 1;
    double input_latency = 0.0;

    // --- shared with the callback ---
    SpscRing ring{kRingSamples};
    std::array<float, kScratchFrames> scratch{};  // the callback's own (stereo to mono)
    std::atomic<std::uint64_t> written{0};        // samples the callback put in the ring
    std::atomic<std::uint64_t> overflowed{0};     // samples lost to a full ring
    std::atomic<std::uint64_t> stamp_seq{0};      // sequence lock: odd while being written
    std::atomic<std::uint64_t> stamp_position{0};
    std::atomic<double> stamp_adc{0.0};

    // --- the session thread's ---
    std::uint64_t read = 0;  // samples taken from the ring
    std::vector<float> frame = std::vector<float>(kLiveFrameSamples);
    TimePoint first_capture{};
    bool aligned = false;
    std::uint64_t align_to = 0;  // ring position of first_capture, once known
    std::uint64_t next = 0;
    std::uint64_t skipped = 0;
    std::uint64_t dropped = 0;
    std::uint64_t last_written = 0;
    TimePoint last_data{};
    TimePoint last_poll{};
    Duration retry{};
};

// PortAudio's real-time callback: copies into the ring and publishes a stamp; no allocation,
// lock, log, clock or I/O.
int LiveCaptureSource::Impl::callback(const void* input, void* /*output*/,
                                      unsigned long frame_count,
                                      const PaStreamCallbackTimeInfo* time_info,
                                      PaStreamCallbackFlags /*flags*/, void* user) noexcept {
    Impl& d = *static_cast<Impl*>(user);
    double adc = time_info != nullptr ? time_info->inputBufferAdcTime : 0.0;
    if (adc == 0.0 && time_info != nullptr && time_info->currentTime != 0.0) {
        adc = time_info->currentTime - d.input_latency;
    }
    if (d.ring.write_available() < frame_count) {
        d.overflowed.fetch_add(frame_count, std::memory_order_relaxed);
        return paContinue;
    }
    const std::uint64_t position = d.written.load(std::memory_order_relaxed);
    const auto* in = static_cast<const float*>(input);
    std::size_t done = 0;
    while (done < frame_count) {
        const std::size_t n = std::min<std::size_t>(kScratchFrames, frame_count - done);
        if (in == nullptr) {
            std::fill_n(d.scratch.begin(), n, 0.0F);
        } else if (d.channels == 1) {
            std::copy_n(in + done, n, d.scratch.begin());
        } else {
            for (std::size_t i = 0; i < n; ++i) {
                const std::size_t at = (done + i) * static_cast<std::size_t>(d.channels);
                d.scratch[i] = 0.5F * (in[at] + in[at + 1]);
            }
        }
        d.ring.write(std::span<const float>{d.scratch.data(), n});
        done += n;
    }
    d.publish(position, adc);
    d.written.store(position + frame_count, std::memory_order_release);
    return paContinue;
}

void LiveCaptureSource::Impl::publish(std::uint64_t position, double adc) noexcept {
    const std::uint64_t seq = stamp_seq.load(std::memory_order_relaxed);
    stamp_seq.store(seq + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    stamp_position.store(position, std::memory_order_relaxed);
    stamp_adc.store(adc, std::memory_order_relaxed);
    stamp_seq.store(seq + 2, std::memory_order_release);
}

bool LiveCaptureSource::Impl::latest_stamp(Stamp& out) const noexcept {
    for (;;) {
        const std::uint64_t before = stamp_seq.load(std::memory_order_acquire);
        if (before == 0) {
            return false;
        }
        if ((before & 1U) != 0) {
            continue;
        }
        out.position = stamp_position.load(std::memory_order_relaxed);
        out.adc = stamp_adc.load(std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_acquire);
        if (stamp_seq.load(std::memory_order_relaxed) == before) {
            return true;
        }
    }
}

TimePoint LiveCaptureSource::Impl::capture_time(std::uint64_t p, const Stamp& stamp,
                                                TimePoint now) const {
    const double offset = (static_cast<double>(p) - static_cast<double>(stamp.position)) /
                          static_cast<double>(kSampleRate);
    if (stamp.adc != 0.0) {
        // Anchor stream time to the wall clock: two stream-time reads around one clock read.
        const double before = Pa_GetStreamTime(stream);
        const TimePoint wall = clock.now();
        const double after = Pa_GetStreamTime(stream);
        if (before != 0.0 || after != 0.0) {
            return wall - seconds((before + after) / 2.0 - (stamp.adc + offset));
        }
    }
    // No stream times from this host API: the newest sample counts as captured now, less the
    // input latency.
    const double behind =
        (static_cast<double>(written.load(std::memory_order_acquire)) - static_cast<double>(p)) /
        static_cast<double>(kSampleRate);
    return now - seconds(behind + input_latency);
}

void LiveCaptureSource::Impl::discard(std::size_t n) {
    while (n > 0) {
        const std::size_t got =
            ring.read(std::span<float>{frame.data(), std::min(n, frame.size())});
        if (got == 0) {
            return;
        }
        read += got;
        n -= got;
    }
}

Result<std::unique_ptr<LiveCaptureSource>> LiveCaptureSource::open(
    const std::string& device, const std::string& host_api, const IClock& clock,
    const LiveSourceOptions& options) {
    auto session = PortAudioSession::acquire();
    if (!session) {
        return session.error();
    }
    const auto found = PortAudioSession::find_device(device, host_api, true);
    if (!found) {
        return found.error();
    }
    const PaDeviceIndex index = *found;
    const PaDeviceInfo* info = Pa_GetDeviceInfo(index);
    auto encoder = LiveOpusEncoder::create();
    if (!encoder) {
        return Error{encoder.error().message};
    }
    auto impl = std::make_unique<Impl>(std::move(*session), clock, options);
    impl->encoder = std::move(encoder).value();
    impl->host_api = PortAudioSession::host_api_name(info->hostApi);
    impl->device = info->name;

    PaStreamParameters params{};
    params.device = index;
    params.channelCount = 1;
    params.sampleFormat = paFloat32;
    params.suggestedLatency = info->defaultLowInputLatency;
    PaError supported = Pa_IsFormatSupported(&params, nullptr, kSampleRate);
    if (supported != paFormatIsSupported && info->maxInputChannels >= 2) {
        params.channelCount = 2;  // some devices capture in stereo only: mixed down to mono
        supported = Pa_IsFormatSupported(&params, nullptr, kSampleRate);
    }
    if (supported != paFormatIsSupported) {
        return Error{fmt::format("PortAudio: {} / {} cannot capture 48 kHz float: {}",
                                 impl->host_api, impl->device, Pa_GetErrorText(supported))};
    }
    impl->channels = params.channelCount;
    if (const PaError err = Pa_OpenStream(&impl->stream, &params, nullptr, kSampleRate,
                                          paFramesPerBufferUnspecified, paClipOff | paDitherOff,
                                          &Impl::callback, impl.get());
        err != paNoError) {
        impl->stream = nullptr;
        return Error{fmt::format("PortAudio: cannot open {} / {} for capture: {}", impl->host_api,
                                 impl->device, Pa_GetErrorText(err))};
    }
    if (const PaStreamInfo* stream_info = Pa_GetStreamInfo(impl->stream); stream_info != nullptr) {
        impl->input_latency = stream_info->inputLatency;
    }
    if (const PaError err = Pa_StartStream(impl->stream); err != paNoError) {
        return Error{fmt::format("PortAudio: cannot start capture on {} / {}: {}", impl->host_api,
                                 impl->device, Pa_GetErrorText(err))};
    }
    impl->last_data = clock.now();
    spdlog::info("live: capturing from {} / {}, 48 kHz, {} channel(s), input latency {:.1f} ms",
                 impl->host_api, impl->device, impl->channels, impl->input_latency * 1000.0);
    // The constructor is private, so std::make_unique cannot reach it; ownership is immediate.
    return std::unique_ptr<LiveCaptureSource>{new LiveCaptureSource(std::move(impl))};
}

std::vector<std::string> LiveCaptureSource::list_devices() {
    auto session = PortAudioSession::acquire();
    if (!session) {
        return {};
    }
    return PortAudioSession::devices(true);
}

LiveCaptureSource::LiveCaptureSource(std::unique_ptr<Impl> impl) : impl_{std::move(impl)} {}

LiveCaptureSource::~LiveCaptureSource() = default;

void LiveCaptureSource::set_first_capture(TimePoint first_capture) {
    impl_->first_capture = first_capture;
    impl_->last_data = std::max(impl_->last_data, first_capture);
}

Result<std::vector<EncodedLiveFrame>> LiveCaptureSource::poll(TimePoint now, std::size_t max) {
    Impl& d = *impl_;
    std::vector<EncodedLiveFrame> out;
    d.last_poll = now;
    d.retry = kMinRetry;
    const std::uint64_t written = d.written.load(std::memory_order_acquire);
    if (written != d.last_written) {
        d.last_written = written;
        d.last_data = now;
    } else if (now - d.last_data >= d.options.stall_timeout) {
        return Error{"source stalled " + seconds_text(d.options.stall_timeout)};
    }
    if (Pa_IsStreamActive(d.stream) != 1) {
        return Error{"source failed: the input device stopped"};
    }
    Impl::Stamp stamp;
    if (!d.latest_stamp(stamp)) {
        return out;  // no block captured yet
    }
    if (!d.aligned) {
        // The ring position captured at first_capture: everything before it is dropped.
        const TimePoint newest = d.capture_time(stamp.position, stamp, now);
        const double ahead = std::chrono::duration<double>(d.first_capture - newest).count();
        const auto target = static_cast<std::int64_t>(stamp.position) +
                            std::llround(ahead * static_cast<double>(kSampleRate));
        d.align_to = static_cast<std::uint64_t>(
            std::max<std::int64_t>(target, static_cast<std::int64_t>(d.read)));
        d.aligned = true;
    }
    if (d.read < d.align_to) {
        d.discard(static_cast<std::size_t>(d.align_to - d.read));
        if (d.read < d.align_to) {
            return out;
        }
    }
    while (out.size() < max && d.ring.read_available() >= kLiveFrameSamples) {
        const TimePoint captured = d.capture_time(d.read, stamp, now);
        TimePoint stamp_time = d.first_capture + kFrameDuration * static_cast<std::int64_t>(d.next);
        if (captured - stamp_time < -LiveCaptureSource::kMaxStampError) {
            d.discard(kLiveFrameSamples);  // the device runs fast: drop 20 ms of audio
            ++d.dropped;
            continue;
        }
        while (captured - stamp_time > LiveCaptureSource::kMaxStampError) {
            ++d.next;  // the device runs slow: this index is never sent, the agents conceal it
            ++d.skipped;
            stamp_time += kFrameDuration;
        }
        d.read += d.ring.read(d.frame);
        auto packet = d.encoder->encode(d.frame);
        if (!packet) {
            return Error{packet.error().message};
        }
        out.push_back({d.next, stamp_time, std::move(packet).value()});
        ++d.next;
    }
    const std::size_t missing =
        kLiveFrameSamples - std::min(kLiveFrameSamples, d.ring.read_available());
    d.retry = std::max<Duration>(kMinRetry, seconds(static_cast<double>(missing) / kSampleRate));
    return out;
}

TimePoint LiveCaptureSource::next_due() const {
    return impl_->last_poll + impl_->retry;
}

std::string LiveCaptureSource::describe() const {
    return "portaudio:" + impl_->host_api + "/" + impl_->device;
}

std::uint64_t LiveCaptureSource::skipped_frames() const {
    return impl_->skipped;
}

std::uint64_t LiveCaptureSource::dropped_frames() const {
    return impl_->dropped;
}

std::uint64_t LiveCaptureSource::overflowed_samples() const {
    return impl_->overflowed.load(std::memory_order_relaxed);
}

}  // namespace loa::audio
