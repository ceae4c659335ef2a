#include "loa/audio/player.hpp"

#include "loa/audio/frame_time.hpp"
#include "loa/audio/spsc_ring.hpp"

#include <algorithm>
#include <limits>

namespace loa::audio {

namespace {

// Slot states. Only the feeder moves free -> cued and finished -> free; only render() moves
// cued -> playing and cued/playing -> finished. Each move is a release store, each look an
// acquire load, so the fields written before a move are visible to the other side after it.
enum : int { kFree = 0, kCued = 1, kPlaying = 2, kFinished = 3 };

// How a playing slot is heard; render() only.
enum class Mode : std::uint8_t {
    normal,           // read at full gain (after any ramp up)
    ducked,           // read at duck_gain under a higher item
    fading_to_pause,  // read while ramping down; then paused
    paused,           // not read
    fading_to_stop,   // read while ramping down; then finished
};

constexpr std::uint64_t kNoMark = std::numeric_limits<std::uint64_t>::max();

// Frames in one render segment at most: bounds the scratch buffer sized in the constructor.
constexpr std::size_t kScratchFrames = 2048;

}  // namespace

struct Player::Slot {
    explicit Slot(std::size_t ring_frames) : ring{ring_frames} {}

    SpscRing ring;
    std::atomic<int> state{kFree};
    std::atomic<bool> end_of_stream{false};
    std::atomic<bool> cancel{false};
    // Frame index (from the slot's first frame) where the item proper ends; kNoMark until
    // mark_content_end(). Stored before the frames after it are written.
    std::atomic<std::uint64_t> content_end{kNoMark};

    // Feeder only: frames written so far.
    std::uint64_t written = 0;

    // Written by the feeder while the slot is free; read by render() once it is cued.
    Cue cue;

    // Written by render() while cued or playing; read by the feeder once it is finished.
    Finished result;

    // render() only.
    std::int64_t late_frames = 0;  // frames by which the first frame is late so far
    std::uint64_t consumed = 0;    // frames read from the ring
    Mode mode = Mode::normal;
    bool cancel_seen = false;
    float gain = 1.0F;  // the preemption ramp's current gain
    float ramp_from = 1.0F;
    float target = 1.0F;
    std::size_t ramp_frames = 0;
    std::size_t ramp_left = 0;

    bool live() const {
        const int s = state.load(std::memory_order_relaxed);  // render() owns the move out
        return s == kPlaying;
    }
};

Player::Player(std::size_t ring_frames) : Player(PlayerOptions{ring_frames}) {}

Player::Player(const PlayerOptions& options) : options_{options}, scratch_(kScratchFrames) {
    for (auto& slot : slots_) {
        slot = std::make_unique<Slot>(options_.ring_frames);
    }
}

Player::~Player() = default;

std::optional<std::size_t> Player::cue(std::uint64_t tag, TimePoint start) {
    Cue c;
    c.tag = tag;
    c.start = start;
    return cue(c);
}

std::optional<std::size_t> Player::cue(const Cue& cue) {
    for (std::size_t i = 0; i < kSlots; ++i) {
        Slot& slot = *slots_[i];
        if (slot.state.load(std::memory_order_acquire) != kFree) {
            continue;
        }
        slot.ring.reset();
        slot.end_of_stream.store(false, std::memory_order_relaxed);
        slot.cancel.store(false, std::memory_order_relaxed);
        slot.content_end.store(kNoMark, std::memory_order_relaxed);
        slot.written = 0;
        slot.cue = cue;
        slot.result = Finished{};
        slot.result.tag = cue.tag;
        slot.result.slot = i;
        slot.late_frames = 0;
        slot.consumed = 0;
        slot.mode = Mode::normal;
        slot.cancel_seen = false;
        slot.gain = 1.0F;
        slot.ramp_from = 1.0F;
        slot.target = 1.0F;
        slot.ramp_frames = 0;
        slot.ramp_left = 0;
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
    Slot& s = *slots_[slot];
    const std::size_t taken = s.ring.write(frames);
    s.written += taken;
    return taken;
}

void Player::mark_content_end(std::size_t slot) {
    if (slot < kSlots) {
        Slot& s = *slots_[slot];
        s.content_end.store(s.written, std::memory_order_release);
    }
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

bool Player::active() const noexcept {
    return std::any_of(slots_.begin(), slots_.end(), [](const std::unique_ptr<Slot>& slot) {
        return slot->state.load(std::memory_order_acquire) == kPlaying;
    });
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

void Player::set_volume(float gain) {
    volume_.store(std::max(gain, 0.0F), std::memory_order_relaxed);
}

float Player::volume() const {
    return volume_.load(std::memory_order_relaxed);
}

namespace {

TimePoint frame_at(TimePoint first_frame_time, std::size_t frame) {
    return first_frame_time + frames_to_duration(static_cast<std::int64_t>(frame));
}

// Starts a linear ramp from the slot's current gain to `target` over `frames` frames: frame k
// of the ramp (from 1) has gain from + (target - from) * k / frames, the last one `target`.
template <class SlotT>
void ramp_to(SlotT& s, float target, std::size_t frames) {
    s.target = target;
    s.ramp_from = s.gain;
    if (frames == 0 || s.gain == target) {
        s.gain = target;
        s.ramp_frames = 0;
        s.ramp_left = 0;
        return;
    }
    s.ramp_frames = frames;
    s.ramp_left = frames;
}

// The gain of the ramp's next frame; advances the ramp.
template <class SlotT>
float next_gain(SlotT& s) {
    if (s.ramp_left == 0) {
        return s.gain;
    }
    --s.ramp_left;
    if (s.ramp_left == 0) {
        s.gain = s.target;
    } else {
        const auto done = static_cast<float>(s.ramp_frames - s.ramp_left);
        s.gain = s.ramp_from + (s.target - s.ramp_from) * done / static_cast<float>(s.ramp_frames);
    }
    return s.gain;
}

// Moves a slot to finished at output frame `pos`.
template <class SlotT>
void finish(SlotT& s, bool completed, TimePoint first_frame_time, std::size_t pos) {
    auto& r = s.result;
    r.completed = completed;
    if (!r.started) {
        r.ended_at = frame_at(first_frame_time, pos);
    }
    if (r.content_started && !r.content_completed) {
        // Without a mark the item proper runs to the end of the stream; with one that was not
        // reached, it was cut where the slot ended.
        r.content_completed = completed && s.content_end.load(std::memory_order_acquire) == kNoMark;
        r.content_ended_at = r.ended_at;
    }
    s.state.store(kFinished, std::memory_order_release);
}

}  // namespace

void Player::start_due_slots(std::size_t pos, std::size_t n, TimePoint first_frame_time) noexcept {
    for (auto& slot_ptr : slots_) {
        Slot& s = *slot_ptr;
        if (s.state.load(std::memory_order_acquire) != kCued) {
            continue;
        }
        const std::int64_t offset = duration_to_frames(s.cue.start - first_frame_time);
        if (offset > static_cast<std::int64_t>(pos) || pos >= n) {
            continue;
        }
        s.late_frames = static_cast<std::int64_t>(pos) - offset;
        s.mode = Mode::normal;
        s.gain = 1.0F;
        s.target = 1.0F;
        s.ramp_left = 0;
        s.state.store(kPlaying, std::memory_order_release);
    }
}

void Player::apply_priorities(std::size_t pos, TimePoint first_frame_time) noexcept {
    // The floor belongs to the highest priority among playing slots that are not on their way
    // out; the first such slot found is named as the preemptor of the lower ones.
    const Slot* top = nullptr;
    for (auto& slot_ptr : slots_) {
        const Slot& s = *slot_ptr;
        if (s.live() && s.mode != Mode::fading_to_stop &&
            (top == nullptr || s.cue.priority > top->cue.priority)) {
            top = &s;
        }
    }
    if (top == nullptr) {
        return;
    }
    const std::size_t fade = options_.fade_frames;
    for (auto& slot_ptr : slots_) {
        Slot& s = *slot_ptr;
        if (!s.live() || s.mode == Mode::fading_to_stop) {
            continue;
        }
        const bool heard = s.consumed > 0;
        if (s.cue.priority >= top->cue.priority) {
            if (s.mode == Mode::normal) {
                continue;
            }
            // Resume or unduck; an item never heard starts at full gain on its first frame.
            s.mode = Mode::normal;
            if (heard) {
                ramp_to(s, 1.0F, fade);
            } else {
                ramp_to(s, 1.0F, 0);
            }
            continue;
        }
        if (s.mode != Mode::normal) {
            continue;  // already paused, pausing or ducked
        }
        auto& r = s.result;
        if (r.preempted_by == 0) {
            r.preempted_by = top->cue.tag;
        }
        ++r.preemptions;
        switch (s.cue.preemption) {
            case Preemption::pause_resume:
                s.mode = heard ? Mode::fading_to_pause : Mode::paused;
                ramp_to(s, 0.0F, heard ? fade : 0);
                break;
            case Preemption::stop:
                r.stopped = true;
                if (heard) {
                    s.mode = Mode::fading_to_stop;
                    ramp_to(s, 0.0F, fade);
                } else {
                    finish(s, false, first_frame_time, pos);
                }
                break;
            case Preemption::duck:
                s.mode = Mode::ducked;
                ramp_to(s, options_.duck_gain, heard ? fade : 0);
                break;
        }
    }
}

std::size_t Player::next_event(std::size_t pos, std::size_t n,
                               TimePoint first_frame_time) noexcept {
    std::size_t next = std::min(n, pos + scratch_.size());
    for (auto& slot_ptr : slots_) {
        Slot& s = *slot_ptr;
        const int state = s.state.load(std::memory_order_acquire);
        if (state == kCued) {
            const std::int64_t offset = duration_to_frames(s.cue.start - first_frame_time);
            if (offset > static_cast<std::int64_t>(pos) &&
                offset < static_cast<std::int64_t>(next)) {
                next = static_cast<std::size_t>(offset);
            }
            continue;
        }
        if (state != kPlaying || s.mode == Mode::paused) {
            continue;
        }
        if ((s.mode == Mode::fading_to_pause || s.mode == Mode::fading_to_stop) &&
            s.ramp_left > 0) {
            next = std::min(next, pos + s.ramp_left);
        }
        // end_of_stream first: once it is seen, every frame written before it is in the ring.
        if (s.end_of_stream.load(std::memory_order_acquire)) {
            next = std::min(next, pos + s.ring.read_available());
        }
    }
    return next;
}

bool Player::mix_segment(std::span<float> out, std::size_t pos, std::size_t len,
                         TimePoint first_frame_time) noexcept {
    bool ran_dry = false;
    for (auto& slot_ptr : slots_) {
        Slot& s = *slot_ptr;
        if (!s.live()) {
            continue;
        }
        auto& r = s.result;
        if (s.mode == Mode::paused) {
            if (r.started) {
                r.paused_frames += len;
            } else {
                s.late_frames += static_cast<std::int64_t>(len);
            }
            continue;
        }
        const std::size_t got = s.ring.read(std::span<float>{scratch_.data(), len});
        if (got > 0) {
            const float item_gain = s.cue.gain;
            float* dst = out.data() + pos;
            if (s.ramp_left == 0) {
                const float g = s.gain * item_gain;
                for (std::size_t i = 0; i < got; ++i) {
                    dst[i] += scratch_[i] * g;
                }
            } else {
                for (std::size_t i = 0; i < got; ++i) {
                    dst[i] += scratch_[i] * next_gain(s) * item_gain;
                }
            }
            if (!r.started) {
                r.started = true;
                r.started_at = frame_at(first_frame_time, pos);
                r.start_error_frames = s.late_frames;
            }
            // The mark is loaded after the read: frames after it are only written after it.
            const std::uint64_t begin = s.cue.content_offset;
            const std::uint64_t end = s.content_end.load(std::memory_order_acquire);
            if (!r.content_started && begin >= s.consumed && begin < s.consumed + got) {
                r.content_started = true;
                r.content_started_at = frame_at(first_frame_time, pos + (begin - s.consumed));
            }
            if (r.content_started && !r.content_completed && end != kNoMark && end > s.consumed &&
                end <= s.consumed + got) {
                r.content_completed = true;
                r.content_ended_at = frame_at(first_frame_time, pos + (end - s.consumed));
            }
            s.consumed += got;
            r.frames += got;
            r.ended_at = frame_at(first_frame_time, pos + got);
            if (s.mode == Mode::ducked) {
                r.ducked_frames += got;
            }
        }
        if (got < len && !s.end_of_stream.load(std::memory_order_acquire)) {
            r.underrun_frames += len - got;
            if (!r.started) {
                s.late_frames += static_cast<std::int64_t>(len - got);
            }
            ran_dry = true;
        }
    }
    return ran_dry;
}

void Player::render(std::span<float> out, TimePoint first_frame_time) noexcept {
    std::fill(out.begin(), out.end(), 0.0F);
    const std::size_t n = out.size();

    // Cancels take effect at the first frame of the block.
    for (auto& slot_ptr : slots_) {
        Slot& s = *slot_ptr;
        const int state = s.state.load(std::memory_order_acquire);
        if ((state != kCued && state != kPlaying) || s.cancel_seen ||
            !s.cancel.load(std::memory_order_acquire)) {
            continue;
        }
        s.cancel_seen = true;
        s.result.cancelled = true;
        if (state == kCued || s.consumed == 0 || s.mode == Mode::paused) {
            finish(s, false, first_frame_time, 0);
        } else {
            s.mode = Mode::fading_to_stop;
            ramp_to(s, 0.0F, options_.fade_frames);
        }
    }

    bool ran_dry = false;
    bool mixed = false;
    std::size_t pos = 0;
    while (pos < n) {
        start_due_slots(pos, n, first_frame_time);
        // Settle what ended at `pos`: drained streams, finished fades.
        for (auto& slot_ptr : slots_) {
            Slot& s = *slot_ptr;
            if (!s.live()) {
                continue;
            }
            if (s.end_of_stream.load(std::memory_order_acquire) && s.ring.read_available() == 0) {
                finish(s, true, first_frame_time, pos);
            } else if (s.mode == Mode::fading_to_pause && s.ramp_left == 0) {
                s.mode = Mode::paused;
            } else if (s.mode == Mode::fading_to_stop && s.ramp_left == 0) {
                finish(s, false, first_frame_time, pos);
            }
        }
        apply_priorities(pos, first_frame_time);
        const std::size_t next = next_event(pos, n, first_frame_time);
        const bool any =
            std::any_of(slots_.begin(), slots_.end(), [](const auto& s) { return s->live(); });
        if (any) {
            mixed = true;
            ran_dry = mix_segment(out, pos, next - pos, first_frame_time) || ran_dry;
        }
        pos = next;
    }
    // Streams that drained on the block's last frame finish now, not a block later.
    for (auto& slot_ptr : slots_) {
        Slot& s = *slot_ptr;
        if (s.live() && s.end_of_stream.load(std::memory_order_acquire) &&
            s.ring.read_available() == 0) {
            finish(s, true, first_frame_time, n);
        } else if (s.live() && s.mode == Mode::fading_to_stop && s.ramp_left == 0) {
            finish(s, false, first_frame_time, n);
        }
    }

    // The zone's volume, ramped across the block when it changed; then the clamp.
    const float volume = volume_.load(std::memory_order_relaxed);
    if (mixed && volume == applied_volume_ && volume != 1.0F) {
        for (float& sample : out) {
            sample *= volume;
        }
    } else if (mixed && volume != applied_volume_) {
        const float delta = volume - applied_volume_;
        for (std::size_t i = 0; i < n; ++i) {
            out[i] *= applied_volume_ + delta * static_cast<float>(i + 1) / static_cast<float>(n);
        }
    }
    applied_volume_ = volume;
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
