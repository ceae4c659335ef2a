#include "loa/audio/portaudio_output.hpp"

#include "loa/audio/device_timeline.hpp"
#include "loa/audio/format.hpp"
#include "loa/audio/frame_time.hpp"
#include "port_audio_session.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <portaudio.h>
#include <spdlog/spdlog.h>

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace loa::audio {

namespace {

std::string host_api_name(PaHostApiIndex index) {
    return PortAudioSession::host_api_name(index);
}

// "host API / device name" for every output device (PortAudio initialised).
std::vector<std::string> output_devices() {
    return PortAudioSession::devices(false);
}

Duration seconds(double s) {
    return Duration{static_cast<std::int64_t>(std::llround(s * 1e9))};
}

// How often the clock thread re-reads the wall clock against PortAudio's stream time.
constexpr auto kClockInterval = std::chrono::milliseconds{50};
// A reading whose two stream times lie further apart (the thread was preempted) is dropped.
constexpr double kMaxReadingSpread = 0.001;

}  // namespace

struct PortAudioOutput::Impl {
    Impl(std::shared_ptr<PortAudioSession> s, const IClock& c) : session{std::move(s)}, clock{c} {}

    static int callback(const void* input, void* output, unsigned long frame_count,
                        const PaStreamCallbackTimeInfo* time_info, PaStreamCallbackFlags flags,
                        void* user) noexcept;

    std::shared_ptr<PortAudioSession> session;  // declared first: PortAudio outlives the stream
    const IClock& clock;
    PaStream* stream = nullptr;
    std::string host_api;
    std::string device;
    bool running = false;

    // Reads the wall clock against the stream time; answers false (and keeps the mapping it had)
    // when preempted in between, unless `force`.
    bool read_anchor(bool force = false) noexcept;
    void follow_clock() noexcept;

    double output_latency = 0.0;
    // The wall-clock time (of `clock`, ns since the epoch) at stream time 0: set by start() while
    // the stream is stopped, then refreshed by "loa-audio-clock" every kClockInterval, so the
    // callback follows the clock's corrections; read by the callback (a relaxed atomic load).
    std::atomic<std::int64_t> wall_at_stream_zero{0};
    double start_stream = 0.0;  // stream time at start(), for hosts that report no times

    std::thread clock_thread;  // "loa-audio-clock", while running
    std::mutex clock_mutex;
    std::condition_variable clock_wake;
    bool clock_stop = false;  // guarded by clock_mutex

    DeviceTimeline timeline;  // the callback's own

    std::atomic<IRenderSource*> source{nullptr};
    std::atomic<std::uint64_t> frames{0};
    std::atomic<std::uint64_t> device_underflows{0};
};

// PortAudio's real-time callback: no allocation, lock, log or I/O.
int PortAudioOutput::Impl::callback(const void* /*input*/, void* output, unsigned long frame_count,
                                    const PaStreamCallbackTimeInfo* time_info,
                                    PaStreamCallbackFlags flags, void* user) noexcept {
    Impl& d = *static_cast<Impl*>(user);
    const std::span<float> out{static_cast<float*>(output), frame_count};
    IRenderSource* src = d.source.load(std::memory_order_acquire);
    const std::uint64_t done = d.frames.load(std::memory_order_relaxed);
    if (src == nullptr) {
        std::fill(out.begin(), out.end(), 0.0F);
    } else {
        // When out[0] reaches the DAC, in stream time; some host APIs leave it 0.
        double dac = time_info != nullptr ? time_info->outputBufferDacTime : 0.0;
        if (dac == 0.0 && time_info != nullptr && time_info->currentTime != 0.0) {
            dac = time_info->currentTime + d.output_latency;
        }
        // The stream time mapped to the wall clock as last read by "loa-audio-clock".
        const TimePoint zero{Duration{d.wall_at_stream_zero.load(std::memory_order_relaxed)}};
        const TimePoint reported = dac != 0.0
                                       ? zero + seconds(dac)
                                       : zero + seconds(d.start_stream + d.output_latency) +
                                             frames_to_duration(static_cast<std::int64_t>(done));
        src->render(out, d.timeline.next(reported, frame_count));
    }
    d.frames.store(done + frame_count, std::memory_order_relaxed);
    if ((flags & paOutputUnderflow) != 0) {
        d.device_underflows.fetch_add(1, std::memory_order_relaxed);
    }
    return paContinue;
}

bool PortAudioOutput::Impl::read_anchor(bool force) noexcept {
    const double before = Pa_GetStreamTime(stream);
    const TimePoint wall = clock.now();
    const double after = Pa_GetStreamTime(stream);
    if (!force && (after - before > kMaxReadingSpread || after < before)) {
        return false;
    }
    const TimePoint zero = wall - seconds((before + after) / 2.0);
    wall_at_stream_zero.store(zero.time_since_epoch().count(), std::memory_order_relaxed);
    return true;
}

// "loa-audio-clock": keeps the callback's stream-to-wall mapping on the clock, which the link
// corrects at any time (a slew, or a step at start-up). The callback's DeviceTimeline smooths
// what it reads and re-anchors once on a step.
void PortAudioOutput::Impl::follow_clock() noexcept {
    std::unique_lock lock{clock_mutex};
    while (!clock_wake.wait_for(lock, kClockInterval, [this] { return clock_stop; })) {
        lock.unlock();
        read_anchor();
        lock.lock();
    }
}

Result<std::unique_ptr<PortAudioOutput>> PortAudioOutput::open(const std::string& device,
                                                               const std::string& host_api,
                                                               const IClock& clock) {
    auto session = PortAudioSession::acquire();
    if (!session) {
        return session.error();
    }

    const auto found = PortAudioSession::find_device(device, host_api, false);
    if (!found) {
        return found.error();
    }
    const PaDeviceIndex index = *found;
    const PaDeviceInfo* info = Pa_GetDeviceInfo(index);

    auto impl = std::make_unique<Impl>(std::move(*session), clock);
    impl->host_api = host_api_name(info->hostApi);
    impl->device = info->name;

    PaStreamParameters params{};
    params.device = index;
    params.channelCount = kChannels;
    params.sampleFormat = paFloat32;
    params.suggestedLatency = info->defaultHighOutputLatency;
    params.hostApiSpecificStreamInfo = nullptr;
    if (const PaError err = Pa_IsFormatSupported(nullptr, &params, kSampleRate);
        err != paFormatIsSupported) {
        return Error{fmt::format("PortAudio: {} / {} cannot play 48 kHz mono float: {}",
                                 impl->host_api, impl->device, Pa_GetErrorText(err))};
    }
    if (const PaError err = Pa_OpenStream(&impl->stream, nullptr, &params, kSampleRate,
                                          paFramesPerBufferUnspecified, paClipOff | paDitherOff,
                                          &Impl::callback, impl.get());
        err != paNoError) {
        impl->stream = nullptr;
        return Error{fmt::format("PortAudio: cannot open {} / {}: {}", impl->host_api, impl->device,
                                 Pa_GetErrorText(err))};
    }
    if (const PaStreamInfo* stream_info = Pa_GetStreamInfo(impl->stream); stream_info != nullptr) {
        impl->output_latency = stream_info->outputLatency;
    }
    spdlog::info("audio output {} / {} open, 48 kHz mono, output latency {:.1f} ms", impl->host_api,
                 impl->device, impl->output_latency * 1000.0);
    // The constructor is private, so std::make_unique cannot reach it; ownership is immediate.
    return std::unique_ptr<PortAudioOutput>{new PortAudioOutput(std::move(impl))};
}

std::vector<std::string> PortAudioOutput::list_devices() {
    auto session = PortAudioSession::acquire();
    if (!session) {
        return {};
    }
    return output_devices();
}

PortAudioOutput::PortAudioOutput(std::unique_ptr<Impl> impl) : impl_{std::move(impl)} {}

PortAudioOutput::~PortAudioOutput() {
    stop();
    if (impl_->stream != nullptr) {
        Pa_CloseStream(impl_->stream);
        impl_->stream = nullptr;
    }
}

Status PortAudioOutput::start(IRenderSource& source) {
    Impl& d = *impl_;
    if (d.running) {
        return Error{fmt::format("{} is already running", describe())};
    }
    // A first mapping from stream time to the wall clock, taken while no callback runs; the
    // clock thread keeps it up to date.
    if (!d.read_anchor() && !d.read_anchor()) {
        d.read_anchor(true);
    }
    d.start_stream = Pa_GetStreamTime(d.stream);
    d.timeline.reset();
    d.frames.store(0, std::memory_order_relaxed);
    d.source.store(&source, std::memory_order_release);
    if (const PaError err = Pa_StartStream(d.stream); err != paNoError) {
        d.source.store(nullptr, std::memory_order_release);
        return Error{
            fmt::format("PortAudio: cannot start {}: {}", describe(), Pa_GetErrorText(err))};
    }
    d.running = true;
    {
        const std::lock_guard lock{d.clock_mutex};
        d.clock_stop = false;
    }
    d.clock_thread = std::thread{[&d] { d.follow_clock(); }};
    pthread_setname_np(d.clock_thread.native_handle(), "loa-audio-clock");
    return Status::success();
}

void PortAudioOutput::stop() {
    Impl& d = *impl_;
    if (!d.running) {
        return;
    }
    {
        const std::lock_guard lock{d.clock_mutex};
        d.clock_stop = true;
    }
    d.clock_wake.notify_all();
    if (d.clock_thread.joinable()) {
        d.clock_thread.join();
    }
    if (const PaError err = Pa_StopStream(d.stream); err != paNoError) {
        spdlog::warn("PortAudio: stopping {}: {}", describe(), Pa_GetErrorText(err));
        Pa_AbortStream(d.stream);
    }
    d.source.store(nullptr, std::memory_order_release);
    d.running = false;
}

std::uint64_t PortAudioOutput::frames_rendered() const {
    return impl_->frames.load(std::memory_order_relaxed);
}

std::string PortAudioOutput::describe() const {
    return "portaudio:" + impl_->host_api + "/" + impl_->device;
}

}  // namespace loa::audio
