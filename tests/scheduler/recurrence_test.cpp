#include "loa/scheduler/recurrence.hpp"

#include "loa/common/time_format.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

using namespace loa;
using namespace loa::scheduler;
using namespace std::chrono_literals;

namespace {

// Days since 1970-01-01 of a civil date (proleptic Gregorian).
std::int64_t days_from_civil(int y, int m, int d) {
    return std::chrono::sys_days{std::chrono::year{y} / m / d}.time_since_epoch().count();
}

TimePoint utc(int y, int m, int d, int h, int min = 0) {
    return TimePoint{std::chrono::hours{24 * days_from_civil(y, m, d)} + std::chrono::hours{h} +
                     std::chrono::minutes{min}};
}

// 09:00 in New York on a date of 1997–1998, as RFC 5545 lists them: EDT (UTC-4) until
// 1997-10-26 and again from 1998-04-05, EST (UTC-5) between.
TimePoint ny9(int y, int m, int d) {
    const auto day = days_from_civil(y, m, d);
    const bool est = day >= days_from_civil(1997, 10, 26) && day < days_from_civil(1998, 4, 5);
    return utc(y, m, d, est ? 14 : 13);
}

struct Date {
    int y;
    int m;
    int d;
};

std::vector<TimePoint> ny9_all(const std::vector<Date>& dates) {
    std::vector<TimePoint> out;
    for (const auto& x : dates) {
        out.push_back(ny9(x.y, x.m, x.d));
    }
    return out;
}

LocalDateTime local(int y, int m, int d, int h, int min = 0) {
    return LocalDateTime{y, m, d, h, min, 0, false};
}

// Occurrences of an RFC example (zone America/New_York) from DTSTART over [from, to).
std::vector<TimePoint> rfc(const std::string& rule, LocalDateTime start,
                           TimePoint to = utc(2000, 1, 1, 0), std::vector<LocalDateTime> ex = {}) {
    auto r = Recurrence::create(rule, start, "America/New_York", std::move(ex));
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    if (!r.ok()) {
        return {};
    }
    auto occ = r->occurrences(utc(1997, 1, 1, 0), to);
    EXPECT_TRUE(occ.ok()) << (occ.ok() ? "" : occ.error().message);
    return occ.ok() ? *occ : std::vector<TimePoint>{};
}

std::vector<std::string> texts(const std::vector<TimePoint>& ts) {
    std::vector<std::string> out;
    for (const auto t : ts) {
        out.push_back(format_utc(t));
    }
    return out;
}

#define EXPECT_SAME_TIMES(got, want) EXPECT_EQ(texts(got), texts(want))

}  // namespace

// RFC 5545, section 3.8.5.3: the examples that fit broadcasting, with the dates the RFC lists.

TEST(Recurrence, Rfc5545DailyForTenOccurrences) {
    EXPECT_SAME_TIMES(rfc("FREQ=DAILY;COUNT=10", local(1997, 9, 2, 9)), ny9_all({{1997, 9, 2},
                                                                                 {1997, 9, 3},
                                                                                 {1997, 9, 4},
                                                                                 {1997, 9, 5},
                                                                                 {1997, 9, 6},
                                                                                 {1997, 9, 7},
                                                                                 {1997, 9, 8},
                                                                                 {1997, 9, 9},
                                                                                 {1997, 9, 10},
                                                                                 {1997, 9, 11}}));
}

TEST(Recurrence, Rfc5545DailyUntilDecember24AcrossTheEndOfDaylightSaving) {
    const auto got = rfc("RRULE:FREQ=DAILY;UNTIL=19971224T000000Z", local(1997, 9, 2, 9));
    std::vector<Date> dates;
    for (int d = 2; d <= 30; ++d) {
        dates.push_back({1997, 9, d});
    }
    for (int d = 1; d <= 31; ++d) {
        dates.push_back({1997, 10, d});
    }
    for (int d = 1; d <= 30; ++d) {
        dates.push_back({1997, 11, d});
    }
    for (int d = 1; d <= 23; ++d) {
        dates.push_back({1997, 12, d});
    }
    EXPECT_EQ(got.size(), 113U);
    EXPECT_SAME_TIMES(got, ny9_all(dates));
    // 09:00 EDT is 13:00Z; from 26 October 09:00 EST is 14:00Z.
    EXPECT_EQ(format_utc(got[53]), "1997-10-25T13:00:00.000Z");
    EXPECT_EQ(format_utc(got[54]), "1997-10-26T14:00:00.000Z");
}

TEST(Recurrence, Rfc5545EveryOtherDay) {
    const auto got = rfc("FREQ=DAILY;INTERVAL=2", local(1997, 9, 2, 9), utc(1997, 12, 4, 0));
    std::vector<Date> dates;
    for (int d = 2; d <= 30; d += 2) {
        dates.push_back({1997, 9, d});
    }
    for (int d = 2; d <= 30; d += 2) {
        dates.push_back({1997, 10, d});
    }
    for (int d = 1; d <= 29; d += 2) {
        dates.push_back({1997, 11, d});
    }
    dates.push_back({1997, 12, 1});
    dates.push_back({1997, 12, 3});
    EXPECT_SAME_TIMES(got, ny9_all(dates));
}

TEST(Recurrence, Rfc5545EveryTenDaysFiveOccurrences) {
    EXPECT_SAME_TIMES(
        rfc("FREQ=DAILY;INTERVAL=10;COUNT=5", local(1997, 9, 2, 9)),
        ny9_all({{1997, 9, 2}, {1997, 9, 12}, {1997, 9, 22}, {1997, 10, 2}, {1997, 10, 12}}));
}

TEST(Recurrence, Rfc5545WeeklyForTenOccurrences) {
    EXPECT_SAME_TIMES(rfc("FREQ=WEEKLY;COUNT=10", local(1997, 9, 2, 9)), ny9_all({{1997, 9, 2},
                                                                                  {1997, 9, 9},
                                                                                  {1997, 9, 16},
                                                                                  {1997, 9, 23},
                                                                                  {1997, 9, 30},
                                                                                  {1997, 10, 7},
                                                                                  {1997, 10, 14},
                                                                                  {1997, 10, 21},
                                                                                  {1997, 10, 28},
                                                                                  {1997, 11, 4}}));
}

TEST(Recurrence, Rfc5545WeeklyUntilDecember24) {
    EXPECT_SAME_TIMES(rfc("FREQ=WEEKLY;UNTIL=19971224T000000Z", local(1997, 9, 2, 9)),
                      ny9_all({{1997, 9, 2},
                               {1997, 9, 9},
                               {1997, 9, 16},
                               {1997, 9, 23},
                               {1997, 9, 30},
                               {1997, 10, 7},
                               {1997, 10, 14},
                               {1997, 10, 21},
                               {1997, 10, 28},
                               {1997, 11, 4},
                               {1997, 11, 11},
                               {1997, 11, 18},
                               {1997, 11, 25},
                               {1997, 12, 2},
                               {1997, 12, 9},
                               {1997, 12, 16},
                               {1997, 12, 23}}));
}

TEST(Recurrence, Rfc5545WeeklyOnTuesdayAndThursdayForFiveWeeks) {
    const auto want = ny9_all({{1997, 9, 2},
                               {1997, 9, 4},
                               {1997, 9, 9},
                               {1997, 9, 11},
                               {1997, 9, 16},
                               {1997, 9, 18},
                               {1997, 9, 23},
                               {1997, 9, 25},
                               {1997, 9, 30},
                               {1997, 10, 2}});
    EXPECT_SAME_TIMES(
        rfc("FREQ=WEEKLY;UNTIL=19971007T000000Z;WKST=SU;BYDAY=TU,TH", local(1997, 9, 2, 9)), want);
    EXPECT_SAME_TIMES(rfc("FREQ=WEEKLY;COUNT=10;WKST=SU;BYDAY=TU,TH", local(1997, 9, 2, 9)), want);
}

TEST(Recurrence, Rfc5545EveryOtherWeekOnMondayWednesdayFridayUntilDecember24) {
    EXPECT_SAME_TIMES(
        rfc("FREQ=WEEKLY;INTERVAL=2;UNTIL=19971224T000000Z;WKST=SU;BYDAY=MO,WE,FR",
            local(1997, 9, 1, 9)),
        ny9_all({{1997, 9, 1},   {1997, 9, 3},   {1997, 9, 5},   {1997, 9, 15},  {1997, 9, 17},
                 {1997, 9, 19},  {1997, 9, 29},  {1997, 10, 1},  {1997, 10, 3},  {1997, 10, 13},
                 {1997, 10, 15}, {1997, 10, 17}, {1997, 10, 27}, {1997, 10, 29}, {1997, 10, 31},
                 {1997, 11, 10}, {1997, 11, 12}, {1997, 11, 14}, {1997, 11, 24}, {1997, 11, 26},
                 {1997, 11, 28}, {1997, 12, 8},  {1997, 12, 10}, {1997, 12, 12}, {1997, 12, 22}}));
}

TEST(Recurrence, Rfc5545MonthlyOnTheFirstFridayForTenOccurrences) {
    EXPECT_SAME_TIMES(rfc("FREQ=MONTHLY;COUNT=10;BYDAY=1FR", local(1997, 9, 5, 9)),
                      ny9_all({{1997, 9, 5},
                               {1997, 10, 3},
                               {1997, 11, 7},
                               {1997, 12, 5},
                               {1998, 1, 2},
                               {1998, 2, 6},
                               {1998, 3, 6},
                               {1998, 4, 3},
                               {1998, 5, 1},
                               {1998, 6, 5}}));
}

TEST(Recurrence, Rfc5545MonthlyOnTheFirstFridayUntilDecember24) {
    EXPECT_SAME_TIMES(rfc("FREQ=MONTHLY;UNTIL=19971224T000000Z;BYDAY=1FR", local(1997, 9, 5, 9)),
                      ny9_all({{1997, 9, 5}, {1997, 10, 3}, {1997, 11, 7}, {1997, 12, 5}}));
}

TEST(Recurrence, Rfc5545EveryOtherMonthOnTheFirstAndLastSunday) {
    EXPECT_SAME_TIMES(rfc("FREQ=MONTHLY;INTERVAL=2;COUNT=10;BYDAY=1SU,-1SU", local(1997, 9, 7, 9)),
                      ny9_all({{1997, 9, 7},
                               {1997, 9, 28},
                               {1997, 11, 2},
                               {1997, 11, 30},
                               {1998, 1, 4},
                               {1998, 1, 25},
                               {1998, 3, 1},
                               {1998, 3, 29},
                               {1998, 5, 3},
                               {1998, 5, 31}}));
}

TEST(Recurrence, Rfc5545MonthlyOnTheSecondToLastMondayForSixMonths) {
    EXPECT_SAME_TIMES(rfc("FREQ=MONTHLY;COUNT=6;BYDAY=-2MO", local(1997, 9, 22, 9)),
                      ny9_all({{1997, 9, 22},
                               {1997, 10, 20},
                               {1997, 11, 17},
                               {1997, 12, 22},
                               {1998, 1, 19},
                               {1998, 2, 16}}));
}

TEST(Recurrence, Rfc5545MonthlyOnTheSecondAndFifteenth) {
    EXPECT_SAME_TIMES(rfc("FREQ=MONTHLY;COUNT=10;BYMONTHDAY=2,15", local(1997, 9, 2, 9)),
                      ny9_all({{1997, 9, 2},
                               {1997, 9, 15},
                               {1997, 10, 2},
                               {1997, 10, 15},
                               {1997, 11, 2},
                               {1997, 11, 15},
                               {1997, 12, 2},
                               {1997, 12, 15},
                               {1998, 1, 2},
                               {1998, 1, 15}}));
}

TEST(Recurrence, Rfc5545MonthlyOnTheFirstAndLastDay) {
    EXPECT_SAME_TIMES(rfc("FREQ=MONTHLY;COUNT=10;BYMONTHDAY=1,-1", local(1997, 9, 30, 9)),
                      ny9_all({{1997, 9, 30},
                               {1997, 10, 1},
                               {1997, 10, 31},
                               {1997, 11, 1},
                               {1997, 11, 30},
                               {1997, 12, 1},
                               {1997, 12, 31},
                               {1998, 1, 1},
                               {1998, 1, 31},
                               {1998, 2, 1}}));
}

TEST(Recurrence, Rfc5545EveryTwentyMinutesFromNineToFourForty) {
    const auto got = rfc("FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15,16;BYMINUTE=0,20,40",
                         local(1997, 9, 2, 9), ny9(1997, 9, 4));
    ASSERT_EQ(got.size(), 48U);  // two days of 24
    EXPECT_EQ(got[0], ny9(1997, 9, 2));
    EXPECT_EQ(got[1], ny9(1997, 9, 2) + 20min);
    EXPECT_EQ(got[23], ny9(1997, 9, 2) + 7h + 40min);  // 16:40
    EXPECT_EQ(got[24], ny9(1997, 9, 3));
}

TEST(Recurrence, ExdatesRemoveOccurrencesByTimeOrByWholeDay) {
    const auto got = rfc("FREQ=DAILY;COUNT=10", local(1997, 9, 2, 9), utc(2000, 1, 1, 0),
                         {local(1997, 9, 5, 9), LocalDateTime{1997, 9, 7, 0, 0, 0, true},
                          local(1997, 9, 8, 10)});  // 10:00 is not an occurrence
    EXPECT_SAME_TIMES(got, ny9_all({{1997, 9, 2},
                                    {1997, 9, 3},
                                    {1997, 9, 4},
                                    {1997, 9, 6},
                                    {1997, 9, 8},
                                    {1997, 9, 9},
                                    {1997, 9, 10},
                                    {1997, 9, 11}}));
}

TEST(Recurrence, HoChiMinhCityIsSevenHoursAheadAllYear) {
    auto r = Recurrence::create("FREQ=DAILY", local(2026, 1, 1, 5, 30));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->zone(), "Asia/Ho_Chi_Minh");
    // 05:30 local is 22:30Z the day before, in January as in July.
    auto jan = r->occurrences(utc(2026, 1, 10, 0), utc(2026, 1, 12, 0));
    ASSERT_TRUE(jan.ok());
    EXPECT_SAME_TIMES(*jan, (std::vector{utc(2026, 1, 10, 22, 30), utc(2026, 1, 11, 22, 30)}));
    auto jul = r->occurrences(utc(2026, 7, 1, 0), utc(2026, 7, 2, 0));
    ASSERT_TRUE(jul.ok());
    EXPECT_SAME_TIMES(*jul, (std::vector{utc(2026, 7, 1, 22, 30)}));
}

TEST(Recurrence, AWindowFarFromStartGivesTheRightPhase) {
    // Rules that began years ago, asked about one week: the phase of INTERVAL must hold.
    const auto from = utc(2026, 11, 23, 0);  // a Monday
    const auto to = from + std::chrono::hours{24 * 14};
    {
        auto r = Recurrence::create("FREQ=DAILY;INTERVAL=3", local(2020, 1, 1, 17, 30));
        ASSERT_TRUE(r.ok());
        auto got = r->occurrences(from, to);
        ASSERT_TRUE(got.ok());
        std::vector<TimePoint> want;
        const auto base = days_from_civil(2020, 1, 1);
        for (auto d = days_from_civil(2026, 11, 22); d < days_from_civil(2026, 12, 8); ++d) {
            const auto t = TimePoint{std::chrono::hours{24 * d} + 10h + 30min};  // 17:30 +07
            if ((d - base) % 3 == 0 && t >= from && t < to) {
                want.push_back(t);
            }
        }
        EXPECT_SAME_TIMES(*got, want);
    }
    {
        // Every other week on Monday and Wednesday, from Monday 2020-01-06.
        auto r = Recurrence::create("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE", local(2020, 1, 6, 6));
        ASSERT_TRUE(r.ok());
        auto got = r->occurrences(from, to);
        ASSERT_TRUE(got.ok());
        std::vector<TimePoint> want;
        const auto base = days_from_civil(2020, 1, 6);
        for (auto d = days_from_civil(2026, 11, 22); d < days_from_civil(2026, 12, 9); ++d) {
            const auto offset = d - base;
            const auto weekday = offset % 7;                            // 0 Monday, 2 Wednesday
            const auto t = TimePoint{std::chrono::hours{24 * d} - 1h};  // 06:00 +07
            if ((offset / 7) % 2 == 0 && (weekday == 0 || weekday == 2) && t >= from && t < to) {
                want.push_back(t);
            }
        }
        ASSERT_FALSE(want.empty());
        EXPECT_SAME_TIMES(*got, want);
    }
    {
        auto r = Recurrence::create("FREQ=MONTHLY;BYDAY=1FR", local(2019, 3, 1, 8));
        ASSERT_TRUE(r.ok());
        auto got = r->occurrences(utc(2026, 11, 1, 0), utc(2027, 2, 1, 0));
        ASSERT_TRUE(got.ok());
        EXPECT_SAME_TIMES(
            *got, (std::vector{utc(2026, 11, 6, 1), utc(2026, 12, 4, 1), utc(2027, 1, 1, 1)}));
    }
}

TEST(Recurrence, BadRulesGetClearErrors) {
    const auto start = local(2026, 1, 1, 5);
    auto error = [&](const std::string& rule) {
        auto r = Recurrence::create(rule, start);
        return r.ok() ? std::string{"(accepted)"} : r.error().message;
    };
    EXPECT_EQ(error("FREQ=HOURLY2"), "RRULE: unknown FREQ 'HOURLY2'");
    EXPECT_EQ(error("COUNT=3"), "RRULE: FREQ is missing");
    EXPECT_EQ(error(""), "RRULE: the rule is empty");
    EXPECT_EQ(error("FREQ=DAILY;COUNT=3;UNTIL=20260110T000000Z"),
              "RRULE: COUNT and UNTIL cannot both be given");
    EXPECT_EQ(error("FREQ=DAILY;FOO=1"), "RRULE: unknown part 'FOO'");
    EXPECT_EQ(error("FREQ=DAILY;COUNT=0"), "RRULE: COUNT must be a whole number from 1, not '0'");
    EXPECT_EQ(error("FREQ=DAILY;INTERVAL=x"),
              "RRULE: INTERVAL must be a whole number from 1, not 'X'");
    EXPECT_EQ(error("FREQ=MONTHLY;BYMONTH=13"), "RRULE: BYMONTH value '13' is not in 1..12");
    EXPECT_EQ(error("FREQ=WEEKLY;BYDAY=MO,XX"),
              "RRULE: BYDAY value 'XX' is not a weekday (MO..SU), optionally with a week number "
              "(1FR, -1SU)");
    EXPECT_EQ(error("FREQ=DAILY;UNTIL=tomorrow"),
              "RRULE: UNTIL 'TOMORROW' is not a date (19971224) or date-time (19971224T000000Z)");
    EXPECT_EQ(error("FREQ=DAILY;FREQ=WEEKLY"), "RRULE: FREQ appears twice");
    EXPECT_EQ(error("FREQ"), "RRULE: 'FREQ' is not NAME=VALUE");
    EXPECT_EQ(error("freq=daily;byday=mo"), "(accepted)");

    auto zone = Recurrence::create("FREQ=DAILY", start, "Mars/Olympus_Mons");
    ASSERT_FALSE(zone.ok());
    EXPECT_EQ(zone.error().message, "unknown time zone 'Mars/Olympus_Mons'");

    auto date = Recurrence::create("FREQ=DAILY", LocalDateTime{2026, 1, 1, 0, 0, 0, true});
    ASSERT_FALSE(date.ok());
    EXPECT_EQ(date.error().message, "DTSTART 2026-01-01 needs a time of day");

    auto feb = Recurrence::create("FREQ=DAILY", local(2026, 2, 30, 5));
    ASSERT_FALSE(feb.ok());
    EXPECT_EQ(feb.error().message, "DTSTART 2026-02-30T05:00:00 is not a date on the calendar");
}

TEST(Recurrence, TooManyOccurrencesIsAnErrorNotAHang) {
    auto r = Recurrence::create("FREQ=SECONDLY", local(2026, 1, 1, 0));
    ASSERT_TRUE(r.ok());
    std::vector<TimePoint> out;
    const auto s = r->expand(utc(2026, 1, 1, 0), utc(2026, 1, 8, 0), out);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("more than 100000 occurrences"), std::string::npos) << s.message();
    EXPECT_TRUE(out.empty());
}

TEST(Recurrence, LocalDateTimesParseInBothForms) {
    auto a = parse_local_date_time("1997-09-02T09:00:00");
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(*a, local(1997, 9, 2, 9));
    auto b = parse_local_date_time("19970902T090000");
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(*b, local(1997, 9, 2, 9));
    auto c = parse_local_date_time("2026-11-27T17:30");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(*c, local(2026, 11, 27, 17, 30));
    auto d = parse_local_date_time("2026-01-01");
    ASSERT_TRUE(d.ok());
    EXPECT_TRUE(d->date_only);
    EXPECT_EQ(d->to_string(), "2026-01-01");
    EXPECT_FALSE(parse_local_date_time("2026-13-01").ok());
    EXPECT_FALSE(parse_local_date_time("2026-01-01T25:00").ok());
    EXPECT_FALSE(parse_local_date_time("yesterday").ok());
}

TEST(Recurrence, OneOffLocalTimesConvertWithTheZone) {
    auto t = Recurrence::to_utc(local(2026, 11, 27, 17, 30), "Asia/Ho_Chi_Minh");
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(*t, utc(2026, 11, 27, 10, 30));
    auto ny = Recurrence::to_utc(local(1997, 7, 1, 9), "America/New_York");
    ASSERT_TRUE(ny.ok());
    EXPECT_EQ(*ny, utc(1997, 7, 1, 13));
    EXPECT_FALSE(Recurrence::to_utc(local(2026, 1, 1, 0), "Nowhere/Else").ok());
}
