#include "loa/common/clock.hpp"

#include <gtest/gtest.h>

using namespace std::chrono_literals;

TEST(FakeClock, MovesOnlyWhenTold) {
    loa::FakeClock clock{loa::from_unix_us(1'000'000)};
    EXPECT_EQ(loa::to_unix_us(clock.now()), 1'000'000);
    clock.advance(1500ms);
    EXPECT_EQ(loa::to_unix_us(clock.now()), 2'500'000);
    clock.set(loa::from_unix_us(42));
    EXPECT_EQ(loa::to_unix_us(clock.now()), 42);
}

TEST(SystemClock, IsNearTheRealTime) {
    const auto before = std::chrono::system_clock::now();
    const auto now = loa::SystemClock::instance().now();
    const auto after = std::chrono::system_clock::now();
    EXPECT_GE(now, before);
    EXPECT_LE(now, after);
}
