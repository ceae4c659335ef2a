#pragma once

#include "loa/audio/audio_output.hpp"
#include "loa/audio/spsc_ring.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

namespace loa::audio {

// Consecutive aired frames handed out by AirCheckTap::read(): frame i was heard at
// first_frame_time + i / 48000 s.
struct TappedChunk {
    TimePoint first_frame_time{};
    std::size_t frames = 0;
};

// An IRenderSource decorator that lets the wrapped source render, then copies what it rendered
// (the samples the output really plays) with the block's wall-clock time into a lock-free
// single-producer/single-consumer ring for a non-real-time consumer (the air-check writer).
// When the ring (or its queue of block times) is full, the whole block is left out and its
// frames are counted in dropped_frames(): the output is never blocked or delayed.
//
// Threads: render() on the output's real-time thread (RT-safe: no allocation, lock, log or I/O;
// two ring writes and atomic stores); read() from one consumer thread; the counters from any
// thread. Everything is sized in the constructor.
class AirCheckTap final : public IRenderSource {
public:
    // Holds up to `ring_frames` frames and `max_blocks` block times (0: ring_frames / 64 + 16,
    // enough for blocks of 64 frames or more).
    AirCheckTap(IRenderSource& inner, std::size_t ring_frames, std::size_t max_blocks = 0);
    ~AirCheckTap() override;
    AirCheckTap(const AirCheckTap&) = delete;
    AirCheckTap& operator=(const AirCheckTap&) = delete;

    // --- real-time thread ---
    void render(std::span<float> out, TimePoint first_frame_time) noexcept override;

    // --- consumer thread ---
    // Moves up to out.size() of the oldest aired frames into `out` (never more than one block:
    // the chunk's frames are contiguous in time). nullopt when nothing waits.
    std::optional<TappedChunk> read(std::span<float> out);

    // --- any thread ---
    std::uint64_t dropped_frames() const;  // frames left out because the ring was full
    std::uint64_t tapped_frames() const;   // frames put into the ring

private:
    struct BlockTime {
        std::int64_t first_frame_ns = 0;
        std::size_t frames = 0;
    };

    IRenderSource& inner_;
    SpscRing samples_;

    // SPSC queue of block times; the samples of block k follow those of block k - 1 in samples_.
    std::unique_ptr<BlockTime[]> blocks_;
    std::size_t block_capacity_;
    alignas(64) std::atomic<std::size_t> blocks_written_{0};
    alignas(64) std::atomic<std::size_t> blocks_read_{0};

    // read() only: what is left of the block being read.
    std::size_t current_left_ = 0;
    std::size_t current_offset_ = 0;  // frames of the block already read
    TimePoint current_time_{};        // the block's first frame

    std::atomic<std::uint64_t> dropped_{0};
    std::atomic<std::uint64_t> tapped_{0};
};

}  // namespace loa::audio
