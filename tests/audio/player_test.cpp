#include "loa/audio/player.hpp"

#include "loa/audio/frame_time.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <thread>
#include <vector>

using namespace loa::audio;
using loa::TimePoint;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t kBlock = 480;
// An arbitrary wall-clock instant where the fake output's first block starts.
const TimePoint kT0 = loa::from_unix_us(1'790'000'000'000'000);

TimePoint frame_time(std::int64_t frame) {
    return kT0 + frames_to_duration(frame);
}

// A ramp whose every sample is distinct and exactly representable: item frame i is (i+1)/4096.
std::vector<float> ramp(std::size_t n) {
    std::vector<float> out(n);
    for (std::size_t i = 0; i < n; ++i) {
        out[i] = static_cast<float>(i + 1) / 4096.0F;
    }
    return out;
}

// Stands in for a sound card: blocks of kBlock frames, back to back from kT0, all kept.
class FakeOutput {
public:
    explicit FakeOutput(Player& player) : player_{player} {}
    std::span<const float> render_block() {
        const std::size_t at = heard_.size();
        heard_.resize(at + kBlock);
        player_.render(std::span<float>{heard_}.subspan(at, kBlock),
                       frame_time(static_cast<std::int64_t>(at)));
        return std::span<const float>{heard_}.subspan(at, kBlock);
    }
    void render_blocks(std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            render_block();
        }
    }
    const std::vector<float>& heard() const { return heard_; }

private:
    Player& player_;
    std::vector<float> heard_;
};

std::size_t first_nonzero(const std::vector<float>& v, std::size_t from = 0) {
    for (std::size_t i = from; i < v.size(); ++i) {
        if (v[i] != 0.0F) {
            return i;
        }
    }
    return v.size();
}

}  // namespace

TEST(Player, CuedItemStartsOnItsExactFrame) {
    Player player{48000};
    FakeOutput out{player};
    // Start 1000.3 frames in: in block 2 (frames 960..1439), rounded to frame 1000.
    const TimePoint start = frame_time(1000) + 6us;
    auto slot = player.cue(11, start);
    ASSERT_TRUE(slot.has_value());
    const auto item = ramp(700);
    ASSERT_EQ(player.write(*slot, item), item.size());
    player.end_of_stream(*slot);

    out.render_blocks(5);
    const auto& heard = out.heard();
    for (std::size_t i = 0; i < heard.size(); ++i) {
        const float expected = i >= 1000 && i < 1700 ? item[i - 1000] : 0.0F;
        ASSERT_EQ(heard[i], expected) << "frame " << i;
    }

    auto done = player.poll_finished();
    ASSERT_TRUE(done.has_value());
    EXPECT_EQ(done->tag, 11U);
    EXPECT_EQ(done->slot, *slot);
    EXPECT_TRUE(done->started);
    EXPECT_TRUE(done->completed);
    EXPECT_EQ(done->started_at, frame_time(1000));
    EXPECT_EQ(done->ended_at, frame_time(1700));
    EXPECT_EQ(done->frames, 700U);
    EXPECT_EQ(done->underrun_frames, 0U);
    EXPECT_EQ(done->start_error_frames, 0);
    EXPECT_FALSE(player.poll_finished().has_value());
    EXPECT_EQ(player.underruns(), 0U);
    EXPECT_EQ(player.blocks_rendered(), 5U);
}

TEST(Player, StartOnTheFirstFrameOfABlock) {
    Player player{4800};
    FakeOutput out{player};
    auto slot = player.cue(1, frame_time(480));
    ASSERT_TRUE(slot);
    const std::vector<float> item(480, 0.5F);
    ASSERT_EQ(player.write(*slot, item), 480U);
    player.end_of_stream(*slot);
    const auto first = out.render_block();
    EXPECT_TRUE(std::all_of(first.begin(), first.end(), [](float v) { return v == 0.0F; }));
    const auto second = out.render_block();
    EXPECT_TRUE(std::all_of(second.begin(), second.end(), [](float v) { return v == 0.5F; }));
    auto done = player.poll_finished();
    ASSERT_TRUE(done);
    EXPECT_EQ(done->started_at, frame_time(480));
    EXPECT_EQ(done->ended_at, frame_time(960));
}

TEST(Player, LateCueStartsAtOnceAndRecordsTheError) {
    Player player{48000};
    FakeOutput out{player};
    out.render_blocks(2);  // the output has run for 960 frames already
    // Due at frame 700, but render() first sees it in the block starting at frame 960.
    auto slot = player.cue(5, frame_time(700));
    ASSERT_TRUE(slot);
    const auto item = ramp(100);
    ASSERT_EQ(player.write(*slot, item), 100U);
    player.end_of_stream(*slot);
    const auto block = out.render_block();
    for (std::size_t i = 0; i < kBlock; ++i) {
        ASSERT_EQ(block[i], i < 100 ? item[i] : 0.0F) << "frame " << i;
    }
    auto done = player.poll_finished();
    ASSERT_TRUE(done);
    EXPECT_TRUE(done->started);
    EXPECT_EQ(done->start_error_frames, 260);
    EXPECT_EQ(done->started_at, frame_time(960));
    EXPECT_EQ(done->ended_at, frame_time(1060));
}

TEST(Player, UnderrunPlaysSilenceAndIsCounted) {
    Player player{48000};
    FakeOutput out{player};
    auto slot = player.cue(3, frame_time(0));
    ASSERT_TRUE(slot);
    const auto item = ramp(800);
    ASSERT_EQ(player.write(*slot, std::span<const float>{item}.first(300)), 300U);
    const auto first = out.render_block();  // 300 frames, then 180 of silence
    for (std::size_t i = 0; i < kBlock; ++i) {
        ASSERT_EQ(first[i], i < 300 ? item[i] : 0.0F) << "frame " << i;
    }
    EXPECT_EQ(player.underruns(), 1U);
    EXPECT_FALSE(player.poll_finished().has_value());  // no end of stream yet: still playing

    ASSERT_EQ(player.write(*slot, std::span<const float>{item}.subspan(300)), 500U);
    player.end_of_stream(*slot);
    const auto second = out.render_block();
    for (std::size_t i = 0; i < kBlock; ++i) {
        ASSERT_EQ(second[i], item[300 + i]) << "frame " << i;
    }
    const auto third = out.render_block();
    for (std::size_t i = 0; i < kBlock; ++i) {
        ASSERT_EQ(third[i], i < 20 ? item[780 + i] : 0.0F) << "frame " << i;
    }
    EXPECT_EQ(player.underruns(), 1U);
    auto done = player.poll_finished();
    ASSERT_TRUE(done);
    EXPECT_TRUE(done->completed);
    EXPECT_EQ(done->frames, 800U);
    EXPECT_EQ(done->underrun_frames, 180U);
    EXPECT_EQ(done->start_error_frames, 0);
    EXPECT_EQ(done->ended_at, frame_time(980));
}

TEST(Player, EmptyRingAtTheStartMakesTheStartLate) {
    Player player{48000};
    FakeOutput out{player};
    auto slot = player.cue(4, frame_time(100));
    ASSERT_TRUE(slot);
    out.render_block();  // due at 100, nothing there: 380 frames of underrun
    const std::vector<float> item(200, 0.25F);
    ASSERT_EQ(player.write(*slot, item), 200U);
    player.end_of_stream(*slot);
    out.render_block();
    auto done = player.poll_finished();
    ASSERT_TRUE(done);
    EXPECT_TRUE(done->started);
    EXPECT_EQ(done->started_at, frame_time(480));
    EXPECT_EQ(done->start_error_frames, 380);
    EXPECT_EQ(done->underrun_frames, 380U);
    EXPECT_EQ(player.underruns(), 1U);
    EXPECT_EQ(out.heard()[479], 0.0F);
    EXPECT_EQ(out.heard()[480], 0.25F);
}

TEST(Player, CancelFadesOutFromTheNextBlockThenStops) {
    Player player{48000};
    FakeOutput out{player};
    auto slot = player.cue(9, frame_time(240));
    ASSERT_TRUE(slot);
    const std::vector<float> item(4800, 0.5F);
    ASSERT_EQ(player.write(*slot, item), item.size());
    out.render_block();  // 240 frames heard
    player.cancel(*slot);
    const auto next = out.render_block();
    // A linear ramp from just under 0.5 to 0 over the fade (480 frames: this whole block).
    EXPECT_LT(next[0], 0.5F);
    EXPECT_GT(next[0], 0.49F);
    for (std::size_t i = 1; i < kBlock; ++i) {
        ASSERT_LT(next[i], next[i - 1]) << "frame " << i;
    }
    EXPECT_EQ(next[kBlock - 1], 0.0F);
    const auto after = out.render_block();
    EXPECT_TRUE(std::all_of(after.begin(), after.end(), [](float v) { return v == 0.0F; }));
    auto done = player.poll_finished();
    ASSERT_TRUE(done);
    EXPECT_EQ(done->tag, 9U);
    EXPECT_TRUE(done->started);
    EXPECT_FALSE(done->completed);
    EXPECT_TRUE(done->cancelled);
    EXPECT_EQ(done->frames, 720U);
    EXPECT_EQ(done->started_at, frame_time(240));
    EXPECT_EQ(done->ended_at, frame_time(960));
    EXPECT_EQ(player.writable(*slot), 0U);  // the slot is free again: nothing to feed
}

TEST(Player, CancelBeforeTheStartPlaysNothing) {
    Player player{48000};
    FakeOutput out{player};
    auto slot = player.cue(2, frame_time(4800));
    ASSERT_TRUE(slot);
    const std::vector<float> item(480, 0.5F);
    ASSERT_EQ(player.write(*slot, item), item.size());
    player.cancel(*slot);
    out.render_blocks(12);
    EXPECT_TRUE(
        std::all_of(out.heard().begin(), out.heard().end(), [](float v) { return v == 0.0F; }));
    auto done = player.poll_finished();
    ASSERT_TRUE(done);
    EXPECT_FALSE(done->started);
    EXPECT_FALSE(done->completed);
    EXPECT_EQ(done->frames, 0U);
}

TEST(Player, OverlappingSlotsAreSummedAndClamped) {
    Player player{48000};
    FakeOutput out{player};
    auto a = player.cue(1, frame_time(0));
    auto b = player.cue(2, frame_time(100));
    ASSERT_TRUE(a && b);
    EXPECT_NE(*a, *b);
    const std::vector<float> quarter(300, 0.25F);
    const std::vector<float> loud(300, 0.875F);
    ASSERT_EQ(player.write(*a, quarter), 300U);
    ASSERT_EQ(player.write(*b, loud), 300U);
    player.end_of_stream(*a);
    player.end_of_stream(*b);
    const auto block = out.render_block();
    for (std::size_t i = 0; i < kBlock; ++i) {
        float expected = 0.0F;
        if (i < 100) {
            expected = 0.25F;
        } else if (i < 300) {
            expected = 1.0F;  // 0.25 + 0.875, clamped
        } else if (i < 400) {
            expected = 0.875F;
        }
        ASSERT_EQ(block[i], expected) << "frame " << i;
    }
    auto first = player.poll_finished();
    auto second = player.poll_finished();
    ASSERT_TRUE(first && second);
    EXPECT_EQ(first->tag + second->tag, 3U);
    EXPECT_TRUE(first->completed && second->completed);
    EXPECT_EQ(out.heard().size(), kBlock);
}

TEST(Player, NegativeSumsAreClampedToo) {
    Player player{4800};
    FakeOutput out{player};
    auto a = player.cue(1, frame_time(0));
    auto b = player.cue(2, frame_time(0));
    ASSERT_TRUE(a && b);
    const std::vector<float> low(480, -0.75F);
    ASSERT_EQ(player.write(*a, low), 480U);
    ASSERT_EQ(player.write(*b, low), 480U);
    const auto block = out.render_block();
    EXPECT_TRUE(std::all_of(block.begin(), block.end(), [](float v) { return v == -1.0F; }));
}

TEST(Player, SlotsRunOutAndComeBackAfterPolling) {
    Player player{960};
    FakeOutput out{player};
    std::vector<std::size_t> slots;
    for (std::size_t i = 0; i < Player::kSlots; ++i) {
        auto slot = player.cue(i, frame_time(0));
        ASSERT_TRUE(slot);
        slots.push_back(*slot);
    }
    EXPECT_FALSE(player.cue(99, frame_time(0)).has_value());
    player.end_of_stream(slots[2]);
    out.render_block();
    EXPECT_FALSE(player.cue(99, frame_time(0)).has_value());  // finished but not yet reported
    auto done = player.poll_finished();
    ASSERT_TRUE(done);
    EXPECT_EQ(done->slot, slots[2]);
    EXPECT_FALSE(done->started);
    EXPECT_TRUE(done->completed);  // nothing to play, all of it played
    auto again = player.cue(99, frame_time(960));
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, slots[2]);
}

TEST(Player, WriteIsBoundedByTheRing) {
    Player player{1000};
    auto slot = player.cue(1, frame_time(0));
    ASSERT_TRUE(slot);
    EXPECT_EQ(player.writable(*slot), 1000U);
    const std::vector<float> item(1500, 0.1F);
    EXPECT_EQ(player.write(*slot, item), 1000U);
    EXPECT_EQ(player.writable(*slot), 0U);
    EXPECT_EQ(player.write(*slot, item), 0U);
    EXPECT_EQ(player.writable(Player::kSlots), 0U);  // no such slot
    EXPECT_EQ(player.write(Player::kSlots, item), 0U);
    player.end_of_stream(*slot);
    EXPECT_EQ(player.writable(*slot), 0U);
}

TEST(Player, FeederAndRenderThreadsTogetherPlayEveryFrameInOrder) {
    constexpr std::size_t kFrames = 96'000;
    Player player{4096};
    auto slot = player.cue(1, frame_time(0));
    ASSERT_TRUE(slot);
    std::atomic<bool> gave_up{false};
    std::thread feeder{[&player, &gave_up, s = *slot] {
        std::vector<float> chunk(1000);
        std::size_t next = 0;
        // (gave_up: the render loop stopped early; without it a starved feeder would wait for
        // ring space forever and the join below would hang instead of failing.)
        while (next < kFrames && !gave_up.load()) {
            const std::size_t n = std::min({chunk.size(), kFrames - next, player.writable(s)});
            for (std::size_t i = 0; i < n; ++i) {
                chunk[i] = static_cast<float>(next + i + 1) / 131072.0F;
            }
            next += player.write(s, std::span<const float>{chunk}.first(n));
            if (n == 0) {
                std::this_thread::yield();
            }
        }
        player.end_of_stream(s);
    }};
    std::vector<float> block(kBlock);
    std::vector<float> heard;
    std::optional<Player::Finished> done;
    std::int64_t at = 0;
    while (!(done = player.poll_finished())) {
        player.render(block, frame_time(at));
        at += static_cast<std::int64_t>(kBlock);
        for (float v : block) {
            if (v != 0.0F) {
                heard.push_back(v);
            }
        }
        if (at > 100 * static_cast<std::int64_t>(kFrames)) {
            break;  // something is wrong; fail below rather than loop forever
        }
        std::this_thread::yield();
    }
    gave_up.store(true);
    feeder.join();
    ASSERT_TRUE(done);
    ASSERT_EQ(heard.size(), kFrames);
    for (std::size_t i = 0; i < kFrames; ++i) {
        ASSERT_EQ(heard[i], static_cast<float>(i + 1) / 131072.0F) << "frame " << i;
    }
    EXPECT_EQ(done->frames, kFrames);
    EXPECT_TRUE(done->completed);
}

// --- priority layers ---

namespace {

constexpr int kDistrict = 3;
constexpr int kEmergency = 5;
constexpr std::size_t kFade = 480;  // PlayerOptions' default: 10 ms

Player::Cue cue_of(std::uint64_t tag, std::int64_t start_frame, int priority,
                   Preemption preemption = Preemption::pause_resume) {
    Player::Cue c;
    c.tag = tag;
    c.start = frame_time(start_frame);
    c.priority = priority;
    c.preemption = preemption;
    return c;
}

// The gain of the lower item on frame i of a fade-out that starts on the cut frame.
float fade_out_gain(std::size_t i) {
    return 1.0F - static_cast<float>(i + 1) / static_cast<float>(kFade);
}

std::map<std::uint64_t, Player::Finished> poll_all(Player& player) {
    std::map<std::uint64_t, Player::Finished> done;
    while (auto f = player.poll_finished()) {
        done[f->tag] = *f;
    }
    return done;
}

}  // namespace

TEST(PlayerPriority, EmergencyCutsAtItsFirstSampleAndTheDistrictItemResumes) {
    Player player{48000};
    FakeOutput out{player};
    auto district = player.cue(cue_of(1, 0, kDistrict));
    auto emergency = player.cue(cue_of(7, 1000, kEmergency));
    ASSERT_TRUE(district && emergency);
    // Distinct values (i + 1) / 8192, below 0.6: any skipped or repeated frame shows.
    auto program = ramp(4800);
    for (float& v : program) {
        v *= 0.5F;
    }
    const std::vector<float> alarm(960, 0.25F);
    ASSERT_EQ(player.write(*district, program), program.size());
    ASSERT_EQ(player.write(*emergency, alarm), alarm.size());
    player.end_of_stream(*district);
    player.end_of_stream(*emergency);
    out.render_blocks(12);
    const auto& heard = out.heard();

    // Untouched up to the frame before the cut.
    for (std::size_t i = 0; i < 1000; ++i) {
        ASSERT_EQ(heard[i], program[i]) << "frame " << i;
    }
    // The cut frame carries the emergency's first sample; the district item fades out from it.
    for (std::size_t i = 0; i < kFade; ++i) {
        const float expected = 0.25F + program[1000 + i] * fade_out_gain(i);
        ASSERT_NEAR(heard[1000 + i], expected, 1e-6F) << "fade frame " << i;
    }
    EXPECT_GT(heard[1000], 0.25F + program[1000] * 0.99F);
    EXPECT_EQ(heard[1000 + kFade - 1], 0.25F);
    // Only the emergency until its end at frame 1960.
    for (std::size_t i = 1000 + kFade; i < 1960; ++i) {
        ASSERT_EQ(heard[i], 0.25F) << "frame " << i;
    }
    // The district item resumes on the next frame where it was (frame 1480 of it), fading in.
    for (std::size_t i = 0; i < kFade; ++i) {
        const float gain = static_cast<float>(i + 1) / static_cast<float>(kFade);
        ASSERT_NEAR(heard[1960 + i], program[1480 + i] * gain, 1e-6F) << "resume frame " << i;
    }
    for (std::size_t i = 1960 + kFade; i < 5280; ++i) {
        ASSERT_EQ(heard[i], program[i - 480]) << "frame " << i;
    }
    EXPECT_EQ(first_nonzero(heard, 5280), heard.size());

    const auto done = poll_all(player);
    ASSERT_EQ(done.size(), 2U);
    const auto& e = done.at(7);
    EXPECT_TRUE(e.completed);
    EXPECT_EQ(e.started_at, frame_time(1000));
    EXPECT_EQ(e.ended_at, frame_time(1960));
    EXPECT_EQ(e.start_error_frames, 0);
    EXPECT_EQ(e.preempted_by, 0U);
    const auto& d = done.at(1);
    EXPECT_TRUE(d.completed);
    EXPECT_FALSE(d.stopped);
    EXPECT_EQ(d.started_at, frame_time(0));
    EXPECT_EQ(d.ended_at, frame_time(5280));  // 480 frames later than unpaused
    EXPECT_EQ(d.frames, 4800U);
    EXPECT_EQ(d.paused_frames, 480U);
    EXPECT_EQ(d.preempted_by, 7U);
    EXPECT_EQ(d.preemptions, 1U);
    EXPECT_TRUE(d.content_started && d.content_completed);
    EXPECT_EQ(d.content_ended_at, frame_time(5280));
    EXPECT_EQ(player.underruns(), 0U);
}

TEST(PlayerPriority, StopPolicyEndsTheLowerItemAfterItsFade) {
    Player player{48000};
    FakeOutput out{player};
    auto filler = player.cue(cue_of(1, 0, 1, Preemption::stop));
    auto emergency = player.cue(cue_of(7, 700, kEmergency));
    ASSERT_TRUE(filler && emergency);
    const std::vector<float> music(4800, 0.5F);
    const std::vector<float> alarm(480, -0.25F);
    ASSERT_EQ(player.write(*filler, music), music.size());
    ASSERT_EQ(player.write(*emergency, alarm), alarm.size());
    player.end_of_stream(*filler);
    player.end_of_stream(*emergency);
    out.render_blocks(6);
    const auto& heard = out.heard();
    EXPECT_EQ(heard[699], 0.5F);
    for (std::size_t i = 0; i < kFade; ++i) {
        ASSERT_NEAR(heard[700 + i], -0.25F + 0.5F * fade_out_gain(i), 1e-6F) << i;
    }
    // Nothing of the filler after the emergency: it does not come back.
    EXPECT_EQ(first_nonzero(heard, 1180), heard.size());
    const auto done = poll_all(player);
    const auto& f = done.at(1);
    EXPECT_TRUE(f.started);
    EXPECT_FALSE(f.completed);
    EXPECT_TRUE(f.stopped);
    EXPECT_EQ(f.preempted_by, 7U);
    EXPECT_EQ(f.frames, 700U + kFade);
    EXPECT_EQ(f.ended_at, frame_time(700 + kFade));
    EXPECT_FALSE(f.content_completed);
    EXPECT_EQ(f.content_ended_at, frame_time(700 + kFade));
    EXPECT_TRUE(done.at(7).completed);
}

TEST(PlayerPriority, DuckPolicyPlaysOnLowerAndComesBack) {
    Player player{48000};
    FakeOutput out{player};
    auto bed = player.cue(cue_of(1, 0, kDistrict, Preemption::duck));
    auto emergency = player.cue(cue_of(7, 960, kEmergency));
    ASSERT_TRUE(bed && emergency);
    const std::vector<float> music(4800, 0.5F);
    const std::vector<float> alarm(1440, 0.25F);
    ASSERT_EQ(player.write(*bed, music), music.size());
    ASSERT_EQ(player.write(*emergency, alarm), alarm.size());
    player.end_of_stream(*bed);
    player.end_of_stream(*emergency);
    out.render_blocks(11);
    const auto& heard = out.heard();
    const float duck = player.options().duck_gain;
    EXPECT_NEAR(20.0 * std::log10(duck), -15.0, 0.01);
    EXPECT_EQ(heard[959], 0.5F);
    EXPECT_LT(heard[960], 0.75F);
    for (std::size_t i = 960 + kFade; i < 2400; ++i) {
        ASSERT_NEAR(heard[i], 0.25F + 0.5F * duck, 1e-6F) << i;
    }
    // Back to full level over the fade after the emergency's last frame (2399).
    EXPECT_NEAR(heard[2400 + kFade - 1], 0.5F, 1e-6F);
    EXPECT_EQ(heard[2400 + kFade], 0.5F);
    // Ducking does not delay it: it ends when it would have.
    EXPECT_EQ(heard[4799], 0.5F);
    EXPECT_EQ(first_nonzero(heard, 4800), heard.size());
    const auto done = poll_all(player);
    const auto& b = done.at(1);
    EXPECT_TRUE(b.completed);
    EXPECT_EQ(b.ended_at, frame_time(4800));
    EXPECT_EQ(b.paused_frames, 0U);
    EXPECT_EQ(b.ducked_frames, 1440U);
    EXPECT_EQ(b.preempted_by, 7U);
}

TEST(PlayerPriority, LowerItemDueWhileAHigherPlaysWaitsOrIsDropped) {
    Player player{48000};
    FakeOutput out{player};
    auto emergency = player.cue(cue_of(7, 0, kEmergency));
    auto waits = player.cue(cue_of(1, 100, kDistrict, Preemption::pause_resume));
    auto dropped = player.cue(cue_of(2, 200, 1, Preemption::stop));
    ASSERT_TRUE(emergency && waits && dropped);
    const std::vector<float> alarm(600, 0.25F);
    const auto program = ramp(300);
    ASSERT_EQ(player.write(*emergency, alarm), alarm.size());
    ASSERT_EQ(player.write(*waits, program), program.size());
    ASSERT_EQ(player.write(*dropped, std::vector<float>(300, 0.125F)), 300U);
    for (auto slot : {*emergency, *waits, *dropped}) {
        player.end_of_stream(slot);
    }
    out.render_blocks(3);
    const auto& heard = out.heard();
    for (std::size_t i = 0; i < 600; ++i) {
        ASSERT_EQ(heard[i], 0.25F) << i;
    }
    // The district item starts whole, at full level, on the frame after the emergency.
    for (std::size_t i = 0; i < 300; ++i) {
        ASSERT_EQ(heard[600 + i], program[i]) << i;
    }
    EXPECT_EQ(first_nonzero(heard, 900), heard.size());
    const auto done = poll_all(player);
    const auto& w = done.at(1);
    EXPECT_TRUE(w.completed);
    EXPECT_EQ(w.started_at, frame_time(600));
    EXPECT_EQ(w.start_error_frames, 500);
    EXPECT_EQ(w.paused_frames, 0U);
    EXPECT_EQ(w.preempted_by, 7U);
    const auto& d = done.at(2);
    EXPECT_FALSE(d.started);
    EXPECT_TRUE(d.stopped);
    EXPECT_EQ(d.preempted_by, 7U);
}

TEST(PlayerPriority, ThreeLayersUnwindInOrder) {
    Player player{48000};
    FakeOutput out{player};
    auto district = player.cue(cue_of(1, 0, kDistrict));
    auto province = player.cue(cue_of(4, 960, 4));
    auto emergency = player.cue(cue_of(7, 1920, kEmergency));
    ASSERT_TRUE(district && province && emergency);
    ASSERT_EQ(player.write(*district, std::vector<float>(2400, 0.125F)), 2400U);
    ASSERT_EQ(player.write(*province, std::vector<float>(1920, 0.25F)), 1920U);
    ASSERT_EQ(player.write(*emergency, std::vector<float>(960, 0.5F)), 960U);
    for (auto slot : {*district, *province, *emergency}) {
        player.end_of_stream(slot);
    }
    out.render_blocks(20);
    const auto& heard = out.heard();
    EXPECT_EQ(heard[959], 0.125F);
    EXPECT_EQ(heard[1919], 0.25F);  // province alone (district paused)
    EXPECT_EQ(heard[2879], 0.5F);   // emergency alone
    // The province item resumes with its last 480 frames, all inside the fade-in.
    EXPECT_EQ(heard[2880 + kFade - 1], 0.25F);
    const auto done = poll_all(player);
    ASSERT_EQ(done.size(), 3U);
    const auto& p = done.at(4);
    const auto& d = done.at(1);
    EXPECT_EQ(p.preempted_by, 7U);
    EXPECT_EQ(d.preempted_by, 4U);
    EXPECT_TRUE(p.completed && d.completed);
    // The district item comes back only after the province item is over.
    EXPECT_GT(d.ended_at, p.ended_at);
    EXPECT_EQ(d.frames, 2400U);
    EXPECT_EQ(p.frames, 1920U);
    const auto p_end = static_cast<std::size_t>(duration_to_frames(p.ended_at - frame_time(0)));
    EXPECT_EQ(heard[p_end + kFade], 0.125F);
}

TEST(Player, ContentMarksTellTheItemProperFromItsChimes) {
    Player player{48000};
    FakeOutput out{player};
    Player::Cue c = cue_of(3, 1000, kDistrict);
    c.content_offset = 100;  // a 100-frame chime before the item
    auto slot = player.cue(c);
    ASSERT_TRUE(slot);
    ASSERT_EQ(player.write(*slot, std::vector<float>(100, 0.125F)), 100U);
    ASSERT_EQ(player.write(*slot, std::vector<float>(500, 0.5F)), 500U);
    player.mark_content_end(*slot);
    ASSERT_EQ(player.write(*slot, std::vector<float>(200, 0.125F)), 200U);
    player.end_of_stream(*slot);
    out.render_blocks(5);
    EXPECT_EQ(out.heard()[1099], 0.125F);
    EXPECT_EQ(out.heard()[1100], 0.5F);
    EXPECT_EQ(out.heard()[1599], 0.5F);
    EXPECT_EQ(out.heard()[1600], 0.125F);
    const auto done = player.poll_finished();
    ASSERT_TRUE(done);
    EXPECT_EQ(done->started_at, frame_time(1000));
    EXPECT_EQ(done->ended_at, frame_time(1800));
    EXPECT_TRUE(done->content_started);
    EXPECT_TRUE(done->content_completed);
    EXPECT_EQ(done->content_started_at, frame_time(1100));
    EXPECT_EQ(done->content_ended_at, frame_time(1600));
}

TEST(Player, ItemGainAndZoneVolumeScaleTheMix) {
    Player player{48000};
    FakeOutput out{player};
    Player::Cue c = cue_of(1, 0, kDistrict);
    c.gain = 0.5F;
    auto slot = player.cue(c);
    ASSERT_TRUE(slot);
    ASSERT_EQ(player.write(*slot, std::vector<float>(4800, 0.5F)), 4800U);
    player.end_of_stream(*slot);
    const auto first = out.render_block();
    EXPECT_EQ(first[0], 0.25F);
    player.set_volume(0.5F);
    const auto ramping = out.render_block();  // the zone volume moves across one block
    EXPECT_LT(ramping[0], 0.25F);
    EXPECT_GT(ramping[0], 0.249F);
    EXPECT_NEAR(ramping[kBlock - 1], 0.125F, 1e-6F);
    const auto steady = out.render_block();
    EXPECT_TRUE(std::all_of(steady.begin(), steady.end(),
                            [](float v) { return std::abs(v - 0.125F) < 1e-7F; }));
    EXPECT_EQ(player.volume(), 0.5F);
}
