#include "loa/audio/air_check_tap.hpp"

#include "loa/audio/frame_time.hpp"

#include <algorithm>

namespace loa::audio {

AirCheckTap::AirCheckTap(IRenderSource& inner, std::size_t ring_frames, std::size_t max_blocks)
    : inner_{inner},
      samples_{ring_frames},
      block_capacity_{max_blocks == 0 ? ring_frames / 64 + 16 : max_blocks} {
    blocks_ = std::make_unique<BlockTime[]>(block_capacity_);
}

AirCheckTap::~AirCheckTap() = default;

void AirCheckTap::render(std::span<float> out, TimePoint first_frame_time) noexcept {
    inner_.render(out, first_frame_time);
    if (out.empty()) {
        return;
    }
    const std::size_t w = blocks_written_.load(std::memory_order_relaxed);
    const bool block_room = w - blocks_read_.load(std::memory_order_acquire) < block_capacity_;
    if (!block_room || samples_.write_available() < out.size()) {
        dropped_.fetch_add(out.size(), std::memory_order_relaxed);
        return;
    }
    samples_.write(out);
    blocks_[w % block_capacity_] =
        BlockTime{first_frame_time.time_since_epoch().count(), out.size()};
    // Release: the consumer that sees this block also sees its samples in the ring.
    blocks_written_.store(w + 1, std::memory_order_release);
    tapped_.fetch_add(out.size(), std::memory_order_relaxed);
}

std::optional<TappedChunk> AirCheckTap::read(std::span<float> out) {
    if (out.empty()) {
        return std::nullopt;
    }
    if (current_left_ == 0) {
        const std::size_t r = blocks_read_.load(std::memory_order_relaxed);
        if (r == blocks_written_.load(std::memory_order_acquire)) {
            return std::nullopt;
        }
        const BlockTime block = blocks_[r % block_capacity_];
        blocks_read_.store(r + 1, std::memory_order_release);
        current_left_ = block.frames;
        current_offset_ = 0;
        current_time_ = TimePoint{Duration{block.first_frame_ns}};
    }
    const std::size_t n = samples_.read(out.first(std::min(out.size(), current_left_)));
    const TappedChunk chunk{
        current_time_ + frames_to_duration(static_cast<std::int64_t>(current_offset_)), n};
    current_left_ -= n;
    current_offset_ += n;
    return chunk;
}

std::uint64_t AirCheckTap::dropped_frames() const {
    return dropped_.load(std::memory_order_relaxed);
}

std::uint64_t AirCheckTap::tapped_frames() const {
    return tapped_.load(std::memory_order_relaxed);
}

}  // namespace loa::audio
