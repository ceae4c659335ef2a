#include "loa/common/time_format.hpp"
#include "loa/monitoring/compliance_summary.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace loa::monitoring {
namespace {

using namespace std::chrono_literals;

ItemCompliance verdict(std::string station, std::string entry, const char* start_utc,
                       double scheduled, Verdict v, std::optional<MissReason> reason,
                       double aired) {
    ItemCompliance c;
    c.item.item_id = station + "/" + start_utc;
    c.item.station_id = std::move(station);
    c.item.entry_id = entry;
    c.item.entry_title = "Bản tin " + entry;
    c.item.start = *parse_time(start_utc);
    c.item.duration = std::chrono::seconds{static_cast<int>(scheduled)};
    c.verdict = v;
    c.reason = reason;
    c.scheduled_seconds = scheduled;
    c.aired_seconds = aired;
    return c;
}

TEST(ComplianceSummary, AddsUpByStationEntryDayAndUnit) {
    // Two communes (30001, 30002) of district 883 in province 89; ST-X has no unit.
    const UnitMap units{{{"ST-A", "30001"}, {"ST-B", "30002"}},
                        {{"30001", "883"}, {"30002", "883"}, {"883", "89"}}};
    const std::vector<ItemCompliance> items{
        // 23:30 local on the 27th.
        verdict("ST-A", "news", "2026-11-27T16:30:00Z", 600, Verdict::aired, std::nullopt, 600),
        // 00:30 local on the 28th.
        verdict("ST-A", "news", "2026-11-27T17:30:00Z", 600, Verdict::missed, MissReason::offline,
                0),
        verdict("ST-B", "music", "2026-11-28T01:00:00Z", 300, Verdict::partly_aired,
                MissReason::preempted, 120),
        verdict("ST-B", "news", "2026-11-28T02:00:00Z", 600, Verdict::missed,
                MissReason::asset_missing, 0),
        verdict("ST-X", "music", "2026-11-28T03:00:00Z", 300, Verdict::pending, std::nullopt, 0),
    };
    const ComplianceSummary s = summarise(items, units);

    EXPECT_EQ(s.total.scheduled, 4u);
    EXPECT_EQ(s.total.aired, 1u);
    EXPECT_EQ(s.total.partly_aired, 1u);
    EXPECT_EQ(s.total.missed, 2u);
    EXPECT_EQ(s.total.pending, 1u);
    EXPECT_EQ(s.total.missed_for(MissReason::offline), 1u);
    EXPECT_EQ(s.total.missed_for(MissReason::asset_missing), 1u);
    EXPECT_EQ(s.total.missed_for(MissReason::preempted), 0u);
    EXPECT_EQ(s.total.partly_for(MissReason::preempted), 1u);
    EXPECT_DOUBLE_EQ(s.total.scheduled_seconds, 2100.0);
    EXPECT_DOUBLE_EQ(s.total.aired_seconds, 720.0);
    EXPECT_DOUBLE_EQ(*s.total.aired_ratio(), 720.0 / 2100.0);

    EXPECT_EQ(s.by_station.at("ST-A").scheduled, 2u);
    EXPECT_EQ(s.by_station.at("ST-A").aired, 1u);
    EXPECT_EQ(s.by_station.at("ST-B").missed, 1u);
    EXPECT_EQ(s.by_station.at("ST-X").pending, 1u);
    EXPECT_EQ(s.by_station.at("ST-X").scheduled, 0u);

    EXPECT_EQ(s.by_entry.at("news").scheduled, 3u);
    EXPECT_DOUBLE_EQ(s.by_entry.at("news").scheduled_seconds, 1800.0);
    EXPECT_DOUBLE_EQ(s.by_entry.at("music").aired_seconds, 120.0);
    EXPECT_EQ(s.entry_titles.at("news"), "Bản tin news");

    ASSERT_EQ(s.by_day.size(), 2u);
    EXPECT_EQ(s.by_day.at("2026-11-27").scheduled, 1u);
    EXPECT_EQ(s.by_day.at("2026-11-28").scheduled, 3u);
    EXPECT_EQ(s.by_day.at("2026-11-28").pending, 1u);

    EXPECT_EQ(s.by_unit.at("30001").scheduled, 2u);
    EXPECT_EQ(s.by_unit.at("30002").scheduled, 2u);
    EXPECT_EQ(s.by_unit.at("883").scheduled, 4u);
    EXPECT_EQ(s.by_unit.at("89").scheduled, 4u);
    EXPECT_EQ(s.by_unit.at("89").missed_for(MissReason::offline), 1u);
    EXPECT_DOUBLE_EQ(s.by_unit.at("883").aired_seconds, 720.0);
    EXPECT_EQ(s.by_unit.at("").pending, 1u);
    EXPECT_EQ(s.by_unit.size(), 5u);
}

TEST(ComplianceSummary, SurvivesACycleInTheParentMap) {
    const UnitMap units{{{"ST-A", "1"}}, {{"1", "2"}, {"2", "1"}}};
    const auto s = summarise(
        {verdict("ST-A", "e", "2026-11-27T01:00:00Z", 60, Verdict::aired, std::nullopt, 60)},
        units);
    EXPECT_EQ(s.by_unit.at("1").aired, 1u);
    EXPECT_EQ(s.by_unit.at("2").aired, 1u);
}

TEST(ComplianceSummary, NothingScheduledHasNoRatio) {
    EXPECT_FALSE(ComplianceTotals{}.aired_ratio().has_value());
}

}  // namespace
}  // namespace loa::monitoring
