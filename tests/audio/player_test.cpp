#include "loa/audio/player.hpp"

#include "loa/audio/frame_time.hpp"

#include <gtest/gtest.h>

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

TEST(Player, CancelStopsAtTheNextBlock) {
    Player player{48000};
    FakeOutput out{player};
    auto slot = player.cue(9, frame_time(240));
    ASSERT_TRUE(slot);
    const std::vector<float> item(4800, 0.5F);
    ASSERT_EQ(player.write(*slot, item), item.size());
    out.render_block();  // 240 frames heard
    player.cancel(*slot);
    const auto next = out.render_block();
    EXPECT_TRUE(std::all_of(next.begin(), next.end(), [](float v) { return v == 0.0F; }));
    auto done = player.poll_finished();
    ASSERT_TRUE(done);
    EXPECT_EQ(done->tag, 9U);
    EXPECT_TRUE(done->started);
    EXPECT_FALSE(done->completed);
    EXPECT_EQ(done->frames, 240U);
    EXPECT_EQ(done->started_at, frame_time(240));
    EXPECT_EQ(done->ended_at, frame_time(480));
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
    std::thread feeder{[&player, s = *slot] {
        std::vector<float> chunk(1000);
        std::size_t next = 0;
        while (next < kFrames) {
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
    feeder.join();
    ASSERT_TRUE(done);
    ASSERT_EQ(heard.size(), kFrames);
    for (std::size_t i = 0; i < kFrames; ++i) {
        ASSERT_EQ(heard[i], static_cast<float>(i + 1) / 131072.0F) << "frame " << i;
    }
    EXPECT_EQ(done->frames, kFrames);
    EXPECT_TRUE(done->completed);
}
