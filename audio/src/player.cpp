#include "loa/audio/player.hpp"

#include "loa/audio/frame_time.hpp"
#include "loa/audio/spsc_ring.hpp"

#include <algorithm>

namespace loa::audio {

namespace {

// Slot states. Only the feeder moves free -> cued and finished -> free; only render() moves
// cued -> playing and cued/playing -> finished. Each move is a release store, each look an
// acquire load, so the fields written before a move are visible to the other side after it.
enum : int { kFree = 0, kCued = 1, kPlaying = 2, kFinished = 3 };

}  // namespace

struct Player::Slot {
    explicit Slot(std::size_t ring_frames) : ring{ring_frames} {}

    SpscRing ring;
    std::atomic<int> state{kFree};
    std::atomic<bool> end_of_stream{false};
    std::atomic<bool> cancel{false};

    // Written by the feeder while the slot is free; read by render() once it is cued.
    std::uint64_t tag = 0;
    TimePoint start{};

    // Written by render() while cued or playing; read by the feeder once it is finished.
    Finished result;
    // render() only: frames by which the first frame is late so far (start late, then dry ring).
    std::int64_t late_frames = 0;
};

Player::Player(std::size_t ring_frames) {
    for (auto& slot : slots_) {
        slot = std::make_unique<Slot>(ring_frames);
    }
}

Player::~Player() = default;

std::optional<std::size_t> Player::cue(std::uint64_t tag, TimePoint start) {
    for (std::size_t i = 0; i < kSlots; ++i) {
        Slot& slot = *slots_[i];
        if (slot.state.load(std::memory_order_acquire) != kFree) {
            continue;
        }
        slot.ring.reset();
        slot.end_of_stream.store(false, std::memory_order_relaxed);
        slot.cancel.store(false, std::memory_order_relaxed);
        slot.tag = tag;
        slot.start = start;
        slot.result = Finished{};
        slot.result.tag = tag;
        slot.result.slot = i;
        slot.late_frames = 0;
        slot.state.store(kCued, std::memory_order_release);
        return i;
    }
    return std::nullopt;
}

std::size_t Player::writable(std::size_t slot) const {
    if (slot >= kSlots) {
        return 0;
    }
    const Slot& s = *slots_[slot];
    const int state = s.state.load(std::memory_order_acquire);
    if ((state != kCued && state != kPlaying) || s.end_of_stream.load(std::memory_order_relaxed)) {
        return 0;
    }
    return s.ring.write_available();
}

std::size_t Player::write(std::size_t slot, std::span<const float> frames) {
    if (writable(slot) == 0) {
        return 0;
    }
    return slots_[slot]->ring.write(frames);
}

void Player::end_of_stream(std::size_t slot) {
    if (slot < kSlots) {
        slots_[slot]->end_of_stream.store(true, std::memory_order_release);
    }
}

void Player::cancel(std::size_t slot) {
    if (slot < kSlots) {
        slots_[slot]->cancel.store(true, std::memory_order_release);
    }
}

std::optional<Player::Finished> Player::poll_finished() {
    for (auto& slot : slots_) {
        if (slot->state.load(std::memory_order_acquire) == kFinished) {
            Finished done = slot->result;
            slot->state.store(kFree, std::memory_order_release);
            return done;
        }
    }
    return std::nullopt;
}

void Player::render(std::span<float> out, TimePoint first_frame_time) noexcept {
    std::fill(out.begin(), out.end(), 0.0F);
    const std::size_t n = out.size();
    const auto at = [first_frame_time](std::size_t frame) {
        return first_frame_time + frames_to_duration(static_cast<std::int64_t>(frame));
    };
    bool ran_dry = false;
    bool mixed = false;

    for (auto& slot_ptr : slots_) {
        Slot& slot = *slot_ptr;
        const int state = slot.state.load(std::memory_order_acquire);
        if (state != kCued && state != kPlaying) {
            continue;
        }
        Finished& r = slot.result;
        if (slot.cancel.load(std::memory_order_acquire)) {
            r.completed = false;
            if (!r.started) {
                r.ended_at = first_frame_time;
            }
            slot.state.store(kFinished, std::memory_order_release);
            continue;
        }

        std::size_t pos = 0;
        if (state == kCued) {
            const std::int64_t offset = duration_to_frames(slot.start - first_frame_time);
            if (offset >= static_cast<std::int64_t>(n)) {
                continue;  // starts in a later block
            }
            pos = offset > 0 ? static_cast<std::size_t>(offset) : 0;
            slot.late_frames = offset < 0 ? -offset : 0;
            slot.state.store(kPlaying, std::memory_order_release);
        }

        // end_of_stream first: once it is seen, every frame written before it is in the ring.
        const bool eos = slot.end_of_stream.load(std::memory_order_acquire);
        const std::size_t want = n - pos;
        const std::size_t got = slot.ring.read_add(out.subspan(pos, want));
        if (got > 0) {
            mixed = true;
            if (!r.started) {
                r.started = true;
                r.started_at = at(pos);
                r.start_error_frames = slot.late_frames;
            }
            r.frames += got;
            r.ended_at = at(pos + got);
        }
        if (eos && slot.ring.read_available() == 0) {
            r.completed = true;
            if (!r.started) {
                r.ended_at = at(pos);
            }
            slot.state.store(kFinished, std::memory_order_release);
        } else if (got < want) {
            r.underrun_frames += want - got;
            if (!r.started) {
                slot.late_frames += static_cast<std::int64_t>(want - got);
            }
            ran_dry = true;
        }
    }

    if (mixed) {
        for (float& sample : out) {
            sample = std::clamp(sample, -1.0F, 1.0F);
        }
    }
    if (ran_dry) {
        underruns_.fetch_add(1, std::memory_order_relaxed);
    }
    blocks_.fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t Player::underruns() const {
    return underruns_.load(std::memory_order_relaxed);
}

std::uint64_t Player::blocks_rendered() const {
    return blocks_.load(std::memory_order_relaxed);
}

}  // namespace loa::audio
