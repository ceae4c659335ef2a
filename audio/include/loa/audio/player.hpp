#pragma once

#include "loa/audio/audio_output.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

namespace loa::audio {

// Plays cued items, each starting at the exact frame of its wall-clock start time.
//
// Threads: cue(), write(), writable(), end_of_stream(), cancel() and poll_finished() are called
// by one feeder thread; render() by the output's real-time thread. They share only lock-free
// single-producer/single-consumer rings and atomics, sized in the constructor: render() never
// allocates, locks, logs or does I/O.
//
// A slot goes: free -> cued (feeder fills its ring ahead) -> playing (render() has reached the
// start time and copies out) -> finished (end of stream reached and ring drained, or cancelled)
// -> free again once poll_finished() has reported it.
class Player final : public IRenderSource {
public:
    static constexpr std::size_t kSlots = 4;

    // `ring_frames` bounds how far ahead the feeder may fill each slot.
    explicit Player(std::size_t ring_frames = 48000 * 4);
    ~Player() override;
    Player(const Player&) = delete;
    Player& operator=(const Player&) = delete;

    // --- feeder thread ---

    // Takes a free slot for an item whose first frame must be heard at `start`. `tag` comes back
    // in Finished. Returns the slot, or nullopt when every slot is busy.
    std::optional<std::size_t> cue(std::uint64_t tag, TimePoint start);
    // Frames that write() would accept now for `slot`.
    std::size_t writable(std::size_t slot) const;
    // Appends decoded frames; returns how many were taken (up to writable()).
    std::size_t write(std::size_t slot, std::span<const float> frames);
    // No more frames will come for `slot`: it finishes when its ring drains.
    void end_of_stream(std::size_t slot);
    // Stops `slot` at the next block, whether it has started or not.
    void cancel(std::size_t slot);

    struct Finished {
        std::uint64_t tag = 0;
        std::size_t slot = 0;
        bool started = false;                 // at least one frame was heard
        bool completed = false;               // every frame up to end of stream was heard
        TimePoint started_at{};               // when the first frame was heard (sample-accurate)
        TimePoint ended_at{};                 // when the frame after the last one would be heard
        std::uint64_t frames = 0;             // frames heard
        std::uint64_t underrun_frames = 0;    // silence inserted because the ring ran dry
        std::int64_t start_error_frames = 0;  // frames late (>0) against the cued start
    };
    // Reports one finished slot and frees it; nullopt when none has finished.
    std::optional<Finished> poll_finished();

    // --- real-time thread ---
    void render(std::span<float> out, TimePoint first_frame_time) noexcept override;

    // --- any thread ---
    std::uint64_t underruns() const;  // blocks in which a playing slot ran dry
    std::uint64_t blocks_rendered() const;

    struct Slot;

private:
    std::array<std::unique_ptr<Slot>, kSlots> slots_;
    std::atomic<std::uint64_t> underruns_{0};
    std::atomic<std::uint64_t> blocks_{0};
};

}  // namespace loa::audio
