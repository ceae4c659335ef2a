#include "loa/audio/air_check_recorder.hpp"

#include "loa/audio/format.hpp"

#include <spdlog/spdlog.h>

#include <pthread.h>

namespace loa::audio {

namespace {

// The thread moves at most this many frames per read from the tap.
constexpr std::size_t kChunkFrames = 4800;

std::size_t frames_of(std::chrono::milliseconds ms) {
    return std::max<std::size_t>(frames_for_ms(static_cast<std::size_t>(ms.count())), 480);
}

}  // namespace

AirCheckRecorder::AirCheckRecorder(IRenderSource& inner, AirCheckOptions options,
                                   const IClock& clock)
    : AirCheckRecorder(inner, std::move(options), clock, Timing{}) {}

AirCheckRecorder::AirCheckRecorder(IRenderSource& inner, AirCheckOptions options,
                                   const IClock& clock, Timing timing)
    : tap_{std::make_unique<AirCheckTap>(inner, frames_of(timing.ring))},
      zone_{options.zone},
      timing_{timing},
      chunk_(kChunkFrames) {
    writer_ = std::make_unique<AirCheckWriter>(std::move(options), clock);
}

AirCheckRecorder::~AirCheckRecorder() {
    stop();
}

void AirCheckRecorder::start() {
    if (thread_.joinable() || !writer_) {
        return;
    }
    {
        const std::lock_guard lock{mutex_};
        stopping_ = false;
    }
    thread_ = std::thread{[this] { run(); }};
    pthread_setname_np(thread_.native_handle(), "loa-aircheck");
}

void AirCheckRecorder::stop() {
    {
        const std::lock_guard lock{mutex_};
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
    if (writer_) {
        drain();
        if (auto st = writer_->close(); !st) {
            errors_.fetch_add(1, std::memory_order_relaxed);
            spdlog::error("{}", st.message());
        }
    }
}

void AirCheckRecorder::run() {
    std::unique_lock lock{mutex_};
    while (!stopping_) {
        wake_.wait_for(lock, timing_.poll, [this] { return stopping_; });
        lock.unlock();
        drain();
        lock.lock();
    }
}

void AirCheckRecorder::drain() {
    while (auto chunk = tap_->read(chunk_)) {
        const std::span<const float> frames{chunk_.data(), chunk->frames};
        if (auto st = writer_->write(frames, chunk->first_frame_time); !st) {
            errors_.fetch_add(1, std::memory_order_relaxed);
            spdlog::error("{} (air-check paused until the next hour)", st.message());
        }
        recorded_.fetch_add(chunk->frames, std::memory_order_relaxed);
    }
    if (const std::uint64_t dropped = tap_->dropped_frames(); dropped != reported_drops_) {
        spdlog::warn(
            "aircheck: zone {}: {} frames ({:.2f} s) were not recorded because the ring was "
            "full ({} in all); the file has silence there",
            zone_, dropped - reported_drops_,
            static_cast<double>(dropped - reported_drops_) / kSampleRate, dropped);
        reported_drops_ = dropped;
    }
}

}  // namespace loa::audio
