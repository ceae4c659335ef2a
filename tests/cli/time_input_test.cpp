#include "loa/cli/time_input.hpp"

#include "loa/common/time_format.hpp"

#include <gtest/gtest.h>

using loa::cli::parse_time_input;
using namespace std::chrono_literals;

namespace {
// 2026-11-27T10:00:00.250Z
const loa::TimePoint kNow = loa::from_unix_us(1'795'773'600'250'000LL);
}  // namespace

TEST(TimeInput, RelativeTimesCountFromNowRoundedUpToTheSecond) {
    EXPECT_EQ(loa::format_utc(*parse_time_input("+30s", "UTC", kNow)), "2026-11-27T10:00:31.000Z");
    EXPECT_EQ(loa::format_utc(*parse_time_input("+5m", "UTC", kNow)), "2026-11-27T10:05:01.000Z");
    EXPECT_EQ(loa::format_utc(*parse_time_input("+2h", "UTC", kNow)), "2026-11-27T12:00:01.000Z");
    EXPECT_EQ(loa::format_utc(*parse_time_input("+1h30m", "UTC", kNow)),
              "2026-11-27T11:30:01.000Z");
    EXPECT_EQ(loa::format_utc(*parse_time_input("+1d", "UTC", kNow)), "2026-11-28T10:00:01.000Z");
}

TEST(TimeInput, AbsoluteTimesWithAndWithoutOffset) {
    EXPECT_EQ(loa::format_utc(*parse_time_input("2026-11-27T17:00:00+07:00", "Europe/Paris", kNow)),
              "2026-11-27T10:00:00.000Z");
    EXPECT_EQ(loa::format_utc(*parse_time_input("2026-11-27T17:00", "Asia/Ho_Chi_Minh", kNow)),
              "2026-11-27T10:00:00.000Z");
    EXPECT_EQ(loa::format_utc(*parse_time_input("2026-11-27T17:00", "Europe/Paris", kNow)),
              "2026-11-27T16:00:00.000Z");
}

TEST(TimeInput, RejectsMalformedTimes) {
    for (const char* bad :
         {"+", "+5", "+m", "+5x", "+-5m", "+5m3", "+99999999999d", "soon", "2026-11-27"}) {
        const auto t = parse_time_input(bad, "UTC", kNow);
        ASSERT_FALSE(t.ok()) << bad;
        EXPECT_NE(t.error().message.find(bad), std::string::npos) << t.error().message;
    }
}
