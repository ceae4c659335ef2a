#include "loa/agent/live_frame_source.hpp"
#include "loa/audio/live_opus_decoder.hpp"
#include "loa/audio/live_opus_encoder.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace loa::agent {
namespace {

using std::chrono::milliseconds;
constexpr std::size_t kN = audio::kLiveFrameSamples;
constexpr std::size_t kFrames = 30;

// Speech-like test audio: a gliding, amplitude-modulated tone.
std::vector<std::string> encode_frames() {
    auto encoder = audio::LiveOpusEncoder::create();
    EXPECT_TRUE(encoder);
    std::vector<std::string> packets;
    std::vector<float> frame(kN);
    for (std::size_t f = 0; f < kFrames; ++f) {
        for (std::size_t i = 0; i < kN; ++i) {
            const double t = static_cast<double>(f * kN + i) / 48000.0;
            frame[i] = static_cast<float>(0.3 * (0.6 + 0.4 * std::sin(2 * M_PI * 3 * t)) *
                                          std::sin(2 * M_PI * (200 + 300 * t) * t));
        }
        packets.push_back(*(*encoder)->encode(frame));
    }
    return packets;
}

// What a decoder makes of the packets, all received in order.
std::vector<float> decode_all(const std::vector<std::string>& packets) {
    auto decoder = audio::LiveOpusDecoder::create();
    std::vector<float> out;
    std::vector<float> frame(kN);
    for (const auto& p : packets) {
        EXPECT_TRUE((*decoder)->decode(p, frame));
        out.insert(out.end(), frame.begin(), frame.end());
    }
    return out;
}

double error_in_frame(const std::vector<float>& a, const std::vector<float>& b, std::size_t f) {
    double e = 0;
    for (std::size_t i = f * kN; i < (f + 1) * kN; ++i) {
        e += (a[i] - b[i]) * (a[i] - b[i]);
    }
    return e;
}

class LiveFrameSourceTest : public ::testing::Test {
protected:
    LiveFrameSourceTest()
        : clock_{t0_}, packets_{encode_frames()}, reference_{decode_all(packets_)} {
        options_.first_capture = t0_;
        options_.delay = milliseconds{500};
        options_.commit_lead = milliseconds{60};
    }

    // When frame `index` must be in the player's ring.
    TimePoint commit(std::size_t index) const {
        return t0_ + milliseconds{500} + milliseconds{20} * static_cast<int>(index) -
               milliseconds{60};
    }

    // Reads everything due now.
    std::vector<float> read_due(LiveFrameSource& source) {
        std::vector<float> out;
        std::vector<float> buf(2048);
        for (;;) {
            const auto n = source.read(buf);
            if (n == 0) {
                break;
            }
            out.insert(out.end(), buf.begin(), buf.begin() + static_cast<long>(n));
        }
        return out;
    }

    const TimePoint t0_ = from_unix_us(1'700'000'000'000'000);
    FakeClock clock_;
    LiveSourceOptions options_;
    std::vector<std::string> packets_;
    std::vector<float> reference_;
};

TEST_F(LiveFrameSourceTest, NothingIsHandedOutBeforeItsCommitTime) {
    LiveFrameSource source{clock_, options_};
    ASSERT_TRUE(source.push(0, packets_[0]));
    ASSERT_TRUE(source.push(1, packets_[1]));
    clock_.set(commit(0) - std::chrono::nanoseconds{1});
    std::vector<float> buf(4096);
    EXPECT_EQ(source.read(buf), 0U);
    EXPECT_TRUE(source.pending());  // not the end: nothing due yet
    clock_.set(commit(0));
    EXPECT_EQ(source.read(buf), kN);  // frame 0 only: frame 1 is not due
    EXPECT_EQ(source.read(buf), 0U);
    EXPECT_TRUE(source.pending());
    EXPECT_TRUE(std::equal(buf.begin(), buf.begin() + kN, reference_.begin()));
}

TEST_F(LiveFrameSourceTest, InOrderFramesPlayExactlyAsDecoded) {
    LiveFrameSource source{clock_, options_};
    for (std::size_t i = 0; i < kFrames; ++i) {
        ASSERT_TRUE(source.push(i, packets_[i]));
    }
    source.end_after(kFrames - 1);
    clock_.set(commit(kFrames));
    const auto out = read_due(source);
    EXPECT_FALSE(source.pending());  // the end
    EXPECT_EQ(out, reference_);
    const auto stats = source.stats();
    EXPECT_EQ(stats.received, kFrames);
    EXPECT_EQ(stats.played, kFrames);
    EXPECT_EQ(stats.concealed + stats.recovered + stats.late, 0U);
    EXPECT_TRUE(source.error().empty());
}

TEST_F(LiveFrameSourceTest, ReorderedFramesAreSortedBackIntoPlace) {
    LiveFrameSource source{clock_, options_};
    std::vector<std::size_t> order(kFrames);
    for (std::size_t i = 0; i < kFrames; ++i) {
        order[i] = i;
    }
    std::mt19937 rng{7};
    std::shuffle(order.begin(), order.end(), rng);
    for (auto i : order) {
        ASSERT_TRUE(source.push(i, packets_[i]));
    }
    EXPECT_FALSE(source.push(order[0], packets_[order[0]]));  // a duplicate
    source.end_after(kFrames - 1);
    clock_.set(commit(kFrames));
    EXPECT_EQ(read_due(source), reference_);
    EXPECT_EQ(source.stats().duplicates, 1U);
}

TEST_F(LiveFrameSourceTest, MissingFramesAreConcealedOrRecoveredWithoutAGap) {
    LiveFrameSource source{clock_, options_};
    // 10 and 11 never come: 10 has no next frame (PLC), 11 is rebuilt from 12's FEC.
    for (std::size_t i = 0; i < kFrames; ++i) {
        if (i != 10 && i != 11) {
            ASSERT_TRUE(source.push(i, packets_[i]));
        }
    }
    source.end_after(kFrames - 1);
    clock_.set(commit(kFrames));
    const auto out = read_due(source);
    ASSERT_EQ(out.size(), reference_.size());  // every 20 ms has audio: no gap, no shift
    const auto stats = source.stats();
    EXPECT_EQ(stats.concealed, 1U);
    EXPECT_EQ(stats.recovered, 1U);
    EXPECT_EQ(stats.played, kFrames - 2);
    // The concealed frame is not silence.
    double energy = 0;
    for (std::size_t i = 10 * kN; i < 11 * kN; ++i) {
        energy += out[i] * out[i];
    }
    EXPECT_GT(energy, 0.01);
}

TEST_F(LiveFrameSourceTest, FecRecoversAMissingFrameBetterThanConcealment) {
    LiveFrameSource with_next{clock_, options_};
    LiveFrameSource without_next{clock_, options_};
    for (std::size_t i = 0; i < kFrames; ++i) {
        if (i != 15) {
            ASSERT_TRUE(with_next.push(i, packets_[i]));
        }
        if (i < 15) {
            ASSERT_TRUE(without_next.push(i, packets_[i]));
        }
    }
    clock_.set(commit(15));
    const auto recovered = read_due(with_next);
    const auto concealed = read_due(without_next);
    ASSERT_EQ(recovered.size(), 16 * kN);
    ASSERT_EQ(concealed.size(), 16 * kN);
    EXPECT_EQ(with_next.stats().recovered, 1U);
    EXPECT_EQ(without_next.stats().concealed, 1U);
    const double fec_error = error_in_frame(recovered, reference_, 15);
    const double plc_error = error_in_frame(concealed, reference_, 15);
    EXPECT_LT(fec_error, plc_error * 0.5) << "FEC " << fec_error << ", PLC " << plc_error;
}

TEST_F(LiveFrameSourceTest, LateFramesAreDroppedAndCounted) {
    LiveFrameSource source{clock_, options_};
    for (std::size_t i = 0; i < 5; ++i) {
        ASSERT_TRUE(source.push(i, packets_[i]));
    }
    clock_.set(commit(6));  // frames 5 and 6 are committed without having come
    const auto out = read_due(source);
    EXPECT_EQ(out.size(), 7 * kN);
    EXPECT_FALSE(source.push(5, packets_[5]));  // too late: dropped
    EXPECT_FALSE(source.push(6, packets_[6]));
    EXPECT_TRUE(source.push(7, packets_[7]));  // still in time
    const auto stats = source.stats();
    EXPECT_EQ(stats.late, 2U);
    EXPECT_EQ(stats.concealed, 2U);
    EXPECT_EQ(stats.received, 6U);
}

TEST_F(LiveFrameSourceTest, AFeedThatStopsEndsTheSessionWithAReason) {
    options_.feed_timeout = std::chrono::seconds{1};
    LiveFrameSource source{clock_, options_};
    ASSERT_TRUE(source.push(0, packets_[0]));
    clock_.set(commit(0) + std::chrono::seconds{2});
    const auto out = read_due(source);
    EXPECT_FALSE(source.pending());
    EXPECT_NE(source.error().find("live feed lost"), std::string::npos) << source.error();
    EXPECT_FALSE(out.empty());
}

}  // namespace
}  // namespace loa::agent
