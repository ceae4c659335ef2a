#pragma once

#include "loa/audio/audio_output.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace loa::audio {

// What happens to a playing item when an item of a higher priority starts.
enum class Preemption : std::uint8_t {
    pause_resume,  // fades out, waits (its ring is not read) and resumes after the higher ends
    stop,          // fades out and finishes, not completed
    duck,          // keeps playing at PlayerOptions::duck_gain under the higher one
};

struct PlayerOptions {
    // How far ahead the feeder may fill each slot.
    std::size_t ring_frames = 48000 * 4;
    // Length of the linear gain ramps at cuts, resumes, ducks and cancels (10 ms).
    std::size_t fade_frames = 480;
    // Linear gain of a ducked item (-15 dB).
    float duck_gain = 0.17782794F;
};

// The zone's mixer: plays cued items, each starting at the exact frame of its wall-clock start
// time, in priority layers. At any frame the items of the highest priority playing are heard at
// full gain; every lower item is paused, stopped or ducked according to its own Preemption. The
// higher item's first frame is the first frame of the lower one's fade-out (a linear ramp of
// fade_frames), so the cut is sample-accurate and has no click; a resume or an unduck ramps back
// up from the frame after the higher item's last one. Items of equal priority are summed. Each
// item has its own gain (its class volume), the zone one more (set_volume); the sum is clamped
// to [-1, 1].
//
// Threads: cue(), write(), writable(), mark_content_end(), end_of_stream(), cancel() and
// poll_finished() are called by one feeder thread; render() by the output's real-time thread;
// set_volume(), volume(), underruns(), blocks_rendered() and active() by any thread. They share
// only lock-free single-producer/single-consumer rings and atomics, all sized in the constructor:
// render() never allocates, locks, logs or does I/O (it is RT-safe).
//
// A slot goes: free -> cued (feeder fills its ring ahead) -> playing (render() has reached the
// start time and copies out, or holds it paused) -> finished (end of stream reached and ring
// drained, cancelled, or stopped by a higher item) -> free again once poll_finished() has
// reported it.
class Player final : public IRenderSource {
public:
    static constexpr std::size_t kSlots = 8;

    // `ring_frames` bounds how far ahead the feeder may fill each slot.
    explicit Player(std::size_t ring_frames = 48000 * 4);
    explicit Player(const PlayerOptions& options);
    ~Player() override;
    Player(const Player&) = delete;
    Player& operator=(const Player&) = delete;

    struct Cue {
        std::uint64_t tag = 0;  // comes back in Finished
        TimePoint start{};      // when the slot's first frame must be heard
        int priority = 0;       // a higher number preempts a lower one
        Preemption preemption = Preemption::pause_resume;  // what a higher item does to this one
        float gain = 1.0F;                                 // linear
        // Frames at the head of the slot that come before the item proper (a chime). Finished
        // reports when the item proper started and ended besides the slot as a whole.
        std::uint64_t content_offset = 0;
    };

    // --- feeder thread ---

    // Takes a free slot. Returns the slot, or nullopt when every slot is busy.
    std::optional<std::size_t> cue(const Cue& cue);
    // cue({tag, start}): priority 0, pause-and-resume, gain 1.
    std::optional<std::size_t> cue(std::uint64_t tag, TimePoint start);
    // Frames that write() would accept now for `slot`.
    std::size_t writable(std::size_t slot) const;
    // Appends decoded frames; returns how many were taken (up to writable()).
    std::size_t write(std::size_t slot, std::span<const float> frames);
    // The frames written so far end the item proper; what follows is a tail (a chime).
    void mark_content_end(std::size_t slot);
    // No more frames will come for `slot`: it finishes when its ring drains.
    void end_of_stream(std::size_t slot);
    // Stops `slot` from the next block: a slot that has been heard fades out over fade_frames,
    // one that has not finishes at once.
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

        // The item proper (without the Cue::content_offset head and the tail after
        // mark_content_end()); equal to the slot's values when there is neither.
        bool content_started = false;
        bool content_completed = false;  // its last frame was heard
        TimePoint content_started_at{};
        TimePoint content_ended_at{};

        // Preemption by higher items.
        std::uint64_t preempted_by = 0;   // tag of the first higher item that paused, ducked or
                                          // stopped this one; 0 when none did
        std::uint32_t preemptions = 0;    // how many times a higher item took over
        std::uint64_t paused_frames = 0;  // output frames spent paused after the first frame
        std::uint64_t ducked_frames = 0;  // output frames heard ducked
        bool stopped = false;             // ended by a higher item (Preemption::stop)
        bool cancelled = false;           // ended by cancel()
    };
    // Reports one finished slot and frees it; nullopt when none has finished.
    std::optional<Finished> poll_finished();

    // --- real-time thread ---
    void render(std::span<float> out, TimePoint first_frame_time) noexcept override;

    // --- any thread ---
    // The zone's linear gain, applied to the mix (ramped over one block when it changes).
    void set_volume(float gain);
    float volume() const;
    std::uint64_t underruns() const;  // blocks in which a playing slot ran dry
    std::uint64_t blocks_rendered() const;
    // Whether any slot is playing (heard or paused after its start). Lock-free; RT-safe.
    bool active() const noexcept;
    const PlayerOptions& options() const { return options_; }

    struct Slot;

private:
    // render() helpers, real-time thread only.
    void start_due_slots(std::size_t pos, std::size_t n, TimePoint first_frame_time) noexcept;
    void apply_priorities(std::size_t pos, TimePoint first_frame_time) noexcept;
    std::size_t next_event(std::size_t pos, std::size_t n, TimePoint first_frame_time) noexcept;
    bool mix_segment(std::span<float> out, std::size_t pos, std::size_t len,
                     TimePoint first_frame_time) noexcept;

    PlayerOptions options_;
    std::array<std::unique_ptr<Slot>, kSlots> slots_;
    std::vector<float> scratch_;   // render() only: one segment of one slot, sized once
    float applied_volume_ = 1.0F;  // render() only: the zone gain of the last block's end
    std::atomic<float> volume_{1.0F};
    std::atomic<std::uint64_t> underruns_{0};
    std::atomic<std::uint64_t> blocks_{0};
};

}  // namespace loa::audio
