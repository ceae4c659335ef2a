#include "loa/audio/spsc_ring.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <thread>
#include <vector>

using loa::audio::SpscRing;

TEST(SpscRing, FillsToCapacityAndWrapsAround) {
    SpscRing ring{8};
    EXPECT_EQ(ring.capacity(), 8U);
    EXPECT_EQ(ring.write_available(), 8U);
    std::vector<float> in(10);
    std::iota(in.begin(), in.end(), 1.0F);
    EXPECT_EQ(ring.write(in), 8U);  // only what fits
    EXPECT_EQ(ring.write_available(), 0U);
    EXPECT_EQ(ring.read_available(), 8U);

    std::vector<float> out(5);
    ASSERT_EQ(ring.read(out), 5U);
    EXPECT_EQ(out, (std::vector<float>{1, 2, 3, 4, 5}));

    // Write across the end of the buffer, then read across it.
    const std::vector<float> more{9, 10, 11, 12, 13};
    EXPECT_EQ(ring.write(more), 5U);
    std::vector<float> all(10, -1.0F);
    ASSERT_EQ(ring.read(all), 8U);
    EXPECT_EQ(all, (std::vector<float>{6, 7, 8, 9, 10, 11, 12, 13, -1, -1}));
    EXPECT_EQ(ring.read_available(), 0U);
    EXPECT_EQ(ring.read(all), 0U);
}

TEST(SpscRing, ReadAddMixesIntoTheOutput) {
    SpscRing ring{4};
    const std::vector<float> in{0.25F, 0.5F, 0.75F};
    ASSERT_EQ(ring.write(in), 3U);
    std::vector<float> out{1.0F, 1.0F, 1.0F, 1.0F};
    EXPECT_EQ(ring.read_add(out), 3U);
    EXPECT_EQ(out, (std::vector<float>{1.25F, 1.5F, 1.75F, 1.0F}));
}

TEST(SpscRing, ResetEmptiesIt) {
    SpscRing ring{4};
    const std::vector<float> in{1, 2, 3};
    ASSERT_EQ(ring.write(in), 3U);
    ring.reset();
    EXPECT_EQ(ring.read_available(), 0U);
    EXPECT_EQ(ring.write_available(), 4U);
}

TEST(SpscRing, ZeroCapacityIsRejected) {
    EXPECT_THROW(SpscRing{0}, std::invalid_argument);
}

TEST(SpscRing, ProducerAndConsumerThreadsSeeEverySampleInOrder) {
    constexpr std::size_t kTotal = 200'000;
    SpscRing ring{1000};
    std::thread producer{[&ring] {
        std::vector<float> chunk(97);
        std::size_t next = 0;
        while (next < kTotal) {
            const std::size_t n = std::min(chunk.size(), kTotal - next);
            for (std::size_t i = 0; i < n; ++i) {
                chunk[i] = static_cast<float>(next + i);
            }
            std::size_t done = 0;
            while (done < n) {
                done += ring.write(std::span<const float>{chunk}.subspan(done, n - done));
                if (done < n) {
                    std::this_thread::yield();
                }
            }
            next += n;
        }
    }};
    std::vector<float> got(53);
    std::size_t expected = 0;
    bool in_order = true;
    while (expected < kTotal) {
        const std::size_t n = ring.read(got);
        for (std::size_t i = 0; i < n; ++i) {
            in_order = in_order && got[i] == static_cast<float>(expected + i);
        }
        expected += n;
        if (n == 0) {
            std::this_thread::yield();
        }
    }
    producer.join();
    EXPECT_TRUE(in_order);
    EXPECT_EQ(expected, kTotal);
    EXPECT_EQ(ring.read_available(), 0U);
}
