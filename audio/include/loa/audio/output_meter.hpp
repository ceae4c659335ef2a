#pragma once

#include "loa/audio/audio_output.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

namespace loa::audio {

class Player;

// The output level of one wall-clock second (the frames heard from `start` to start + 1 s).
struct SecondLevel {
    TimePoint start{};          // UTC second the frames belong to
    float rms_dbfs = -120.0F;   // floored at kFloorDbfs (digital silence)
    float peak_dbfs = -120.0F;  // floored at kFloorDbfs
    std::uint32_t clipped = 0;  // samples with |x| >= OutputMeter::kClipLevel
    std::uint32_t frames = 0;   // frames of this second that were rendered
    bool active = false;        // an item was playing at the end of some block of it
};

// An IRenderSource decorator that measures what the wrapped source renders: per wall-clock
// second (frames are assigned by first_frame_time + i / 48000 s) the RMS, peak and clipped
// sample count. Each completed second (the first frame of a later second has been rendered) is
// published into a lock-free SPSC queue sized in the constructor; when the consumer falls
// behind, newer seconds are dropped and counted.
//
// Threads: render() on the output's real-time thread (RT-safe: no allocation, lock, log or I/O;
// it calls the inner render() and Player::active() or loads the flag); poll() from one consumer
// thread; dropped() from any thread.
class OutputMeter final : public IRenderSource {
public:
    static constexpr float kClipLevel = 0.999F;
    static constexpr float kFloorDbfs = -120.0F;

    // Wraps `player`; SecondLevel::active comes from Player::active().
    explicit OutputMeter(Player& player, std::size_t queue_seconds = 64);
    // Wraps any source; SecondLevel::active comes from `active` (which must outlive the meter).
    OutputMeter(IRenderSource& inner, const std::atomic<bool>& active,
                std::size_t queue_seconds = 64);
    ~OutputMeter() override;
    OutputMeter(const OutputMeter&) = delete;
    OutputMeter& operator=(const OutputMeter&) = delete;

    // --- real-time thread ---
    void render(std::span<float> out, TimePoint first_frame_time) noexcept override;

    // --- consumer thread ---
    // The oldest completed second not yet taken; nullopt when none.
    std::optional<SecondLevel> poll();

    // --- any thread ---
    std::uint64_t dropped() const;  // completed seconds lost because the queue was full

private:
    void accumulate(std::span<const float> frames) noexcept;
    void publish() noexcept;
    bool inner_active() const noexcept;

    IRenderSource& inner_;
    const Player* player_ = nullptr;
    const std::atomic<bool>* flag_ = nullptr;

    // render() only: the second being accumulated.
    bool open_ = false;
    TimePoint second_{};
    double sum_squares_ = 0.0;
    float peak_ = 0.0F;
    std::uint32_t clipped_ = 0;
    std::uint32_t frames_ = 0;
    bool active_ = false;

    // SPSC queue of completed seconds.
    std::unique_ptr<SecondLevel[]> queue_;
    std::size_t capacity_;
    alignas(64) std::atomic<std::size_t> written_{0};
    alignas(64) std::atomic<std::size_t> read_{0};
    std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace loa::audio
