#include "loa/common/time_format.hpp"

#include <gtest/gtest.h>

using loa::from_unix_us;
using loa::parse_time;
using loa::to_unix_us;

// 2026-11-27T10:00:00Z
constexpr std::int64_t kT = 1'795'773'600LL * 1'000'000;

TEST(TimeFormat, FormatsUtcWithMilliseconds) {
    EXPECT_EQ(loa::format_utc(from_unix_us(kT + 250'000)), "2026-11-27T10:00:00.250Z");
}

TEST(TimeFormat, FormatsLocalTimeInVietnam) {
    EXPECT_EQ(loa::format_local(from_unix_us(kT), "Asia/Ho_Chi_Minh"), "2026-11-27T17:00:00+07:00");
    EXPECT_EQ(loa::format_local(from_unix_us(kT - 1000), "Asia/Ho_Chi_Minh", true),
              "2026-11-27T16:59:59.999+07:00");
}

TEST(TimeFormat, ParsesUtcOffsetAndZoneForms) {
    EXPECT_EQ(to_unix_us(*parse_time("2026-11-27T10:00:00Z")), kT);
    EXPECT_EQ(to_unix_us(*parse_time("2026-11-27T17:00:00+07:00")), kT);
    EXPECT_EQ(to_unix_us(*parse_time("2026-11-27T17:00:00")), kT);  // Asia/Ho_Chi_Minh
    EXPECT_EQ(to_unix_us(*parse_time("2026-11-27 11:00", "Europe/Paris")), kT);
    EXPECT_EQ(to_unix_us(*parse_time("2026-11-27T10:00:00.5Z")), kT + 500'000);
}

TEST(TimeFormat, RejectsBadTimesNamingTheProblem) {
    for (const char* bad :
         {"", "tomorrow", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-27T25:00:00Z",
          "2026-11-27T10:00:00Zjunk", "2026-11-27T10:00:00+99:00"}) {
        const auto r = parse_time(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_NE(r.error().message.find("invalid time"), std::string::npos) << bad;
    }
    const auto zone = parse_time("2026-11-27T10:00:00", "Mars/Olympus");
    ASSERT_FALSE(zone.ok());
    EXPECT_NE(zone.error().message.find("Mars/Olympus"), std::string::npos);
}
