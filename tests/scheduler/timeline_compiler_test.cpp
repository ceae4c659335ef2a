#include "loa/scheduler/timeline_compiler.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

using namespace loa;
using namespace loa::scheduler;
using namespace std::chrono_literals;

namespace {

// 89 province
//   883 district: 30280 (zones main, market), 30283
//   884 district: 30316
const char* const kUnits =
    "code,parent_code,level,unit_type,name,name_with_type\n"
    "89,,province,tỉnh,An Giang,Tỉnh An Giang\n"
    "883,89,district,thành phố,Long Xuyên,Thành phố Long Xuyên\n"
    "30280,883,commune,phường,Mỹ Bình,Phường Mỹ Bình\n"
    "30283,883,commune,phường,Mỹ Long,Phường Mỹ Long\n"
    "884,89,district,thành phố,Châu Đốc,Thành phố Châu Đốc\n"
    "30316,884,commune,phường,Châu Phú B,Phường Châu Phú B\n";

constexpr std::array<PriorityClass, 5> kClassesLowToHigh{
    wire::FILLER, wire::COMMUNE, wire::DISTRICT, wire::PROVINCE, wire::EMERGENCY};

class TimelineCompilerTest : public ::testing::Test {
protected:
    TimelineCompilerTest() : clock_{test::test_epoch()}, compiler_{clock_} {
        AdminUnitTree tree;
        EXPECT_TRUE(import_admin_unit_csv(kUnits, tree).empty());
        auto stations = default_stations(tree);
        for (auto& s : stations) {
            if (s.id == "30280") {
                s.zones = {"main", "market"};
            }
        }
        auto r = compiler_.set_network(std::move(tree), std::move(stations));
        EXPECT_TRUE(r.ok());
    }

    static TimePoint at(int hours, int minutes = 0) {
        return test::test_epoch() + std::chrono::hours{hours} + std::chrono::minutes{minutes};
    }

    static ScheduleEntry entry(std::int64_t id, PriorityClass priority, TimePoint start,
                               Duration duration, EntryTargets where,
                               CutPolicy policy = CutPolicy::drop) {
        ScheduleEntry e;
        e.id = id;
        e.title = "entry " + std::to_string(id);
        e.what = AssetContent{"asset-" + std::to_string(id), duration};
        e.where = std::move(where);
        e.at = start;
        e.priority = priority;
        e.cut_policy = policy;
        e.state = EntryState::approved;
        e.approved_at = test::test_epoch() - 24h + std::chrono::seconds{id};
        return e;
    }

    static EntryTargets station(const std::string& id) { return EntryTargets{{}, {id}, {}}; }
    static EntryTargets unit(const std::string& code) { return EntryTargets{{code}, {}, {}}; }

    void add(const ScheduleEntry& e) {
        const auto s = compiler_.upsert_entry(e);
        ASSERT_TRUE(s.ok()) << s.message();
    }

    const StationPlan& plan(const std::string& id) {
        const auto* p = compiler_.plan(id);
        EXPECT_NE(p, nullptr);
        return *p;
    }

    // "entry@start+duration" for each item, for compact expectations.
    std::vector<std::string> items(const std::string& station_id) {
        std::vector<std::string> out;
        for (const auto& i : plan(station_id).items) {
            const auto start =
                std::chrono::duration_cast<std::chrono::minutes>(i.start - test::test_epoch());
            const auto len = std::chrono::duration_cast<std::chrono::seconds>(i.duration);
            out.push_back(std::to_string(i.entry_id) + "@" + std::to_string(start.count()) + "m+" +
                          std::to_string(len.count()) + "s");
        }
        return out;
    }

    FakeClock clock_;
    TimelineCompiler compiler_;
};

}  // namespace

TEST_F(TimelineCompilerTest, EveryClassBeatsEveryLowerClassWhateverTheApprovalOrder) {
    std::int64_t id = 1;
    int hour = 1;
    for (std::size_t lo = 0; lo < kClassesLowToHigh.size(); ++lo) {
        for (std::size_t hi = lo + 1; hi < kClassesLowToHigh.size(); ++hi) {
            for (const bool lower_approved_first : {true, false}) {
                auto low = entry(id, kClassesLowToHigh[lo], at(hour), 10min, station("30283"));
                auto high =
                    entry(id + 1, kClassesLowToHigh[hi], at(hour, 5), 10min, station("30283"));
                if (!lower_approved_first) {
                    std::swap(low.approved_at, high.approved_at);
                }
                add(low);
                add(high);
                id += 2;
                hour += 1;
            }
        }
    }
    compiler_.compile_all();
    const auto& p = plan("30283");
    ASSERT_EQ(p.items.size(), 20U);
    ASSERT_EQ(p.conflicts.size(), 20U);
    for (const auto& c : p.conflicts) {
        EXPECT_EQ(c.action, ConflictAction::dropped);
        EXPECT_EQ(c.winner_entry_id, c.entry_id + 1);
        EXPECT_GT(c.winner_priority, c.priority) << c.describe("30283");
    }
    for (const auto& item : p.items) {
        EXPECT_EQ(item.entry_id % 2, 0) << "only the higher entry of each pair airs";
        EXPECT_EQ(item.duration, 10min);
    }
}

TEST_F(TimelineCompilerTest, WithinAClassTheEarlierApprovalWins) {
    std::int64_t id = 1;
    for (std::size_t k = 0; k < kClassesLowToHigh.size(); ++k) {
        const auto cls = kClassesLowToHigh[k];
        // The later entry (by time on air) was approved first, so it keeps its slot.
        auto first_on_air = entry(id, cls, at(static_cast<int>(k) + 1), 10min, station("30316"));
        auto approved_first =
            entry(id + 1, cls, at(static_cast<int>(k) + 1, 5), 10min, station("30316"));
        first_on_air.approved_at = test::test_epoch() - 1h;
        approved_first.approved_at = test::test_epoch() - 2h;
        add(first_on_air);
        add(approved_first);
        id += 2;
    }
    compiler_.compile_all();
    const auto& p = plan("30316");
    ASSERT_EQ(p.conflicts.size(), 5U);
    for (const auto& c : p.conflicts) {
        EXPECT_EQ(c.priority, c.winner_priority);
        EXPECT_EQ(c.winner_entry_id, c.entry_id + 1);
        EXPECT_EQ(c.action, ConflictAction::dropped);
    }
    EXPECT_EQ(items("30316"), (std::vector<std::string>{"2@65m+600s", "4@125m+600s", "6@185m+600s",
                                                        "8@245m+600s", "10@305m+600s"}));
}

TEST_F(TimelineCompilerTest, ShortenCutsAtTheWinnersStart) {
    add(entry(1, wire::COMMUNE, at(10), 20min, station("30283"), CutPolicy::shorten));
    add(entry(2, wire::PROVINCE, at(10, 12), 10min, unit("89")));
    compiler_.compile_all();
    EXPECT_EQ(items("30283"), (std::vector<std::string>{"1@600m+720s", "2@612m+600s"}));
    const auto& p = plan("30283");
    ASSERT_EQ(p.conflicts.size(), 1U);
    const auto& c = p.conflicts[0];
    EXPECT_EQ(c.action, ConflictAction::shortened);
    EXPECT_EQ(c.entry_id, 1);
    EXPECT_EQ(c.winner_entry_id, 2);
    EXPECT_EQ(c.start, at(10));
    EXPECT_EQ(c.duration, 12min);
    EXPECT_EQ(c.describe("30283"),
              "entry 1 (commune) at 2026-11-27T17:00:00+07:00 lost to entry 2 (province) at "
              "2026-11-27T17:12:00+07:00 at station 30283: shortened to 720 s");
    // The asset is clipped to what airs.
    EXPECT_EQ(compiler_.assets_of(p.items[0]),
              (std::vector<ItemAsset>{{"asset-1", Duration::zero(), 12min}}));
    // Stations the commune entry does not reach have only the provincial item, no conflict.
    EXPECT_EQ(items("30316"), (std::vector<std::string>{"2@612m+600s"}));
    EXPECT_TRUE(plan("30316").conflicts.empty());
}

TEST_F(TimelineCompilerTest, ShortenWhoseStartIsTakenIsMovedAfterTheWinner) {
    add(entry(1, wire::COMMUNE, at(10, 5), 10min, station("30283"), CutPolicy::shorten));
    add(entry(2, wire::PROVINCE, at(10), 30min, unit("89")));
    // Starts free but only 5 s would remain before entry 3: moved as well.
    add(entry(3, wire::DISTRICT, at(11, 0), 10min, unit("883")));
    add(entry(4, wire::COMMUNE, at(11) - 5s, 10min, station("30283"), CutPolicy::shorten));
    compiler_.compile_all();
    // Entry 4 moves to the first free slot at or after its own start: after entry 3.
    EXPECT_EQ(items("30283"), (std::vector<std::string>{"2@600m+1800s", "1@630m+600s",
                                                        "3@660m+600s", "4@670m+600s"}));
    const auto& p = plan("30283");
    ASSERT_EQ(p.conflicts.size(), 2U);
    EXPECT_EQ(p.conflicts[0].action, ConflictAction::moved);
    EXPECT_EQ(p.conflicts[0].entry_id, 1);
    EXPECT_EQ(p.conflicts[0].winner_entry_id, 2);
    EXPECT_EQ(p.conflicts[0].start, at(10, 30));
    EXPECT_EQ(p.conflicts[1].action, ConflictAction::moved);
    EXPECT_EQ(p.conflicts[1].entry_id, 4);
    EXPECT_EQ(p.conflicts[1].winner_entry_id, 3);
    EXPECT_EQ(p.conflicts[1].start, at(11, 10));
}

TEST_F(TimelineCompilerTest, MoveTakesTheNextFreeSlotThatFitsAndHoldsIt) {
    add(entry(1, wire::PROVINCE, at(17, 30), 30min, unit("89")));
    add(entry(2, wire::DISTRICT, at(18, 5), 10min, unit("883")));
    add(entry(3, wire::DISTRICT, at(18, 20), 30min, unit("883")));
    // Wants 17:45 for 10 minutes: 18:00–18:05 is too short, 18:15–18:20 too, so 18:50.
    add(entry(4, wire::COMMUNE, at(17, 45), 10min, station("30280"), CutPolicy::move));
    // A filler at 18:50 now loses to the moved commune notice.
    add(entry(5, wire::FILLER, at(18, 50), 5min, station("30280"), CutPolicy::drop));
    compiler_.compile_all();
    EXPECT_EQ(items("30280"), (std::vector<std::string>{"1@1050m+1800s", "2@1085m+600s",
                                                        "3@1100m+1800s", "4@1130m+600s"}));
    const auto& p = plan("30280");
    ASSERT_EQ(p.conflicts.size(), 2U);
    EXPECT_EQ(p.conflicts[0].action, ConflictAction::moved);
    EXPECT_EQ(p.conflicts[0].winner_entry_id, 1);
    EXPECT_EQ(p.conflicts[0].start, at(18, 50));
    EXPECT_EQ(p.conflicts[0].describe("30280"),
              "entry 4 (commune) at 2026-11-28T00:45:00+07:00 lost to entry 1 (province) at "
              "2026-11-28T00:30:00+07:00 at station 30280: moved to 2026-11-28T01:50:00+07:00");
    EXPECT_EQ(p.conflicts[1].action, ConflictAction::dropped);
    EXPECT_EQ(p.conflicts[1].entry_id, 5);
    EXPECT_EQ(p.conflicts[1].winner_entry_id, 4);
}

TEST_F(TimelineCompilerTest, MoveWithNoRoomInTheHorizonOrValidityIsDropped) {
    // The last 20 minutes of the horizon, taken by a provincial item; a commune item that wants
    // them cannot move anywhere inside the horizon.
    const auto end = test::test_epoch() + 7 * 24h;
    add(entry(1, wire::PROVINCE, end - 20min, 20min, unit("89")));
    add(entry(2, wire::COMMUNE, end - 15min, 10min, station("30283"), CutPolicy::move));
    // Validity ends at 10:20: the move to 10:30 is not allowed.
    add(entry(3, wire::PROVINCE, at(10), 30min, unit("89")));
    auto e4 = entry(4, wire::COMMUNE, at(10, 10), 10min, station("30283"), CutPolicy::move);
    e4.valid_until = at(10, 20);
    add(e4);
    compiler_.compile_all();
    const auto& p = plan("30283");
    ASSERT_EQ(p.conflicts.size(), 2U);
    EXPECT_EQ(p.conflicts[0].entry_id, 2);
    EXPECT_EQ(p.conflicts[0].action, ConflictAction::dropped);
    EXPECT_EQ(p.conflicts[1].entry_id, 4);
    EXPECT_EQ(p.conflicts[1].action, ConflictAction::dropped);
    EXPECT_EQ(p.items.size(), 2U);
}

TEST_F(TimelineCompilerTest, DropLeavesTheSlotToTheWinnerOnly) {
    add(entry(1, wire::FILLER, at(6), 2h, unit("89"), CutPolicy::drop));
    add(entry(2, wire::PROVINCE, at(7), 30min, unit("89")));
    compiler_.compile_all();
    for (const auto* id : {"89", "883", "30280", "30283", "884", "30316"}) {
        EXPECT_EQ(items(id), (std::vector<std::string>{"2@420m+1800s"})) << id;
        ASSERT_EQ(plan(id).conflicts.size(), 1U);
        EXPECT_EQ(plan(id).conflicts[0].action, ConflictAction::dropped);
    }
}

TEST_F(TimelineCompilerTest, AUnitMeansItsWholeSubtree) {
    add(entry(1, wire::DISTRICT, at(9), 10min, unit("883")));
    EXPECT_EQ(compiler_.stations_reached(*compiler_.entry(1)),
              (std::vector<std::string>{"883", "30280", "30283"}));
    compiler_.compile_all();
    EXPECT_EQ(items("883").size(), 1U);
    EXPECT_EQ(items("30280").size(), 1U);
    EXPECT_EQ(items("30283").size(), 1U);
    EXPECT_TRUE(items("89").empty());
    EXPECT_TRUE(items("884").empty());
    EXPECT_TRUE(items("30316").empty());
    // A commune unit is its own station; the province is everything.
    add(entry(2, wire::PROVINCE, at(12), 10min, unit("89")));
    EXPECT_EQ(compiler_.stations_reached(*compiler_.entry(2)).size(), 6U);
}

TEST_F(TimelineCompilerTest, ZoneTargetsSwitchOnlyThoseZones) {
    auto market = entry(1, wire::COMMUNE, at(7), 5min, EntryTargets{{}, {}, {{"30280", "market"}}});
    add(market);
    // A unit and a zone of one of its stations: the whole station.
    auto both =
        entry(2, wire::COMMUNE, at(8), 5min, EntryTargets{{"883"}, {}, {{"30280", "market"}}});
    add(both);
    compiler_.compile_all();
    const auto& p = plan("30280");
    ASSERT_EQ(p.items.size(), 2U);
    EXPECT_EQ(p.items[0].zones, 0b10U);
    EXPECT_EQ(compiler_.zone_names("30280", p.items[0].zones),
              (std::vector<std::string>{"market"}));
    EXPECT_EQ(p.items[1].zones, 0b11U);
    EXPECT_EQ(plan("30283").items.at(0).zones, 0b1U);
    EXPECT_TRUE(plan("30283").items.size() == 1);

    // An unknown zone is refused with its name.
    const auto bad = compiler_.upsert_entry(
        entry(3, wire::COMMUNE, at(9), 5min, EntryTargets{{}, {}, {{"30283", "market"}}}));
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.message(), "entry 3: station 30283 has no zone 'market'");
}

TEST_F(TimelineCompilerTest, ZonesShareTheStationsOneChannel) {
    add(entry(1, wire::COMMUNE, at(7), 10min, EntryTargets{{}, {}, {{"30280", "market"}}}));
    add(entry(2, wire::DISTRICT, at(7, 5), 10min, EntryTargets{{}, {}, {{"30280", "main"}}}));
    compiler_.compile_all();
    EXPECT_EQ(items("30280"), (std::vector<std::string>{"2@425m+600s"}));
    EXPECT_EQ(plan("30280").conflicts.size(), 1U);
}

TEST_F(TimelineCompilerTest, RecurringEntriesFillTheSevenDayHorizon) {
    // Provincial news at 05:30 and 17:30 local (22:30Z, 10:30Z) every day; a weekday district
    // programme at 18:00 local; the clock is at 2026-11-27T00:00Z, a Friday (07:00 local).
    auto news = entry(1, wire::PROVINCE, {}, 30min, unit("89"));
    news.recurrence = *Recurrence::create("FREQ=DAILY;BYHOUR=5,17;BYMINUTE=30",
                                          LocalDateTime{2026, 1, 1, 5, 30, 0, false});
    add(news);
    auto district = entry(2, wire::DISTRICT, {}, 20min, unit("883"));
    district.recurrence = *Recurrence::create("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
                                              LocalDateTime{2026, 1, 5, 18, 0, 0, false});
    add(district);
    const auto report = compiler_.compile_all();
    EXPECT_EQ(report.stations_compiled, 6U);
    EXPECT_EQ(report.changed_stations.size(), 6U);
    EXPECT_EQ(report.horizon_end - report.horizon_start, 7 * 24h);
    EXPECT_TRUE(report.problems.empty());

    // 14 news items in the week: Fri 17:30 ... Fri 05:30 next week.
    const auto& p = plan("30316");
    ASSERT_EQ(p.items.size(), 14U);
    EXPECT_EQ(format_local(p.items.front().start, kDefaultZone), "2026-11-27T17:30:00+07:00");
    EXPECT_EQ(format_local(p.items.back().start, kDefaultZone), "2026-12-04T05:30:00+07:00");
    // The district programme: Fri 27, Mon 30, Tue 1, Wed 2, Thu 3 (the horizon ends Fri 07:00).
    const auto& d = plan("30283");
    const auto n = std::count_if(d.items.begin(), d.items.end(),
                                 [](const CompiledItem& i) { return i.entry_id == 2; });
    EXPECT_EQ(n, 5);
    // Overlaps: 17:30–18:00 news then 18:00 district, no conflict.
    EXPECT_TRUE(d.conflicts.empty());
}

TEST_F(TimelineCompilerTest, AnItemOnAirNowStaysInTheTimeline) {
    add(entry(1, wire::COMMUNE, at(0) - 5min, 10min, station("30283")));
    add(entry(2, wire::COMMUNE, at(0) - 15min, 10min, station("30283")));  // ended
    compiler_.compile_all();
    EXPECT_EQ(items("30283"), (std::vector<std::string>{"1@-5m+600s"}));
}

TEST_F(TimelineCompilerTest, AnEntryEditedAfterItWasPushedRecompilesOnlyItsStations) {
    add(entry(1, wire::PROVINCE, at(5), 30min, unit("89")));
    add(entry(2, wire::COMMUNE, at(9), 5min, station("30280")));
    compiler_.compile_all();
    std::vector<StationPlan> before(compiler_.plans().begin(), compiler_.plans().end());

    // The timeline went out; now the commune replaces the asset and moves it to 09:30.
    auto edited = *compiler_.entry(2);
    edited.what = AssetContent{"asset-2-v2", 6min};
    edited.at = at(9, 30);
    add(edited);
    // Nothing is compiled until asked.
    EXPECT_EQ(plan("30280").items, before[2].items);

    const std::int64_t changed[] = {2};
    const auto report = compiler_.recompile(changed);
    EXPECT_EQ(report.stations_compiled, 1U);
    EXPECT_EQ(report.changed_stations, (std::vector<std::string>{"30280"}));
    EXPECT_EQ(items("30280"), (std::vector<std::string>{"1@300m+1800s", "2@570m+360s"}));
    EXPECT_EQ(plan("30280").revision, before[2].revision + 1);
    EXPECT_EQ(compiler_.assets_of(plan("30280").items[1]),
              (std::vector<ItemAsset>{{"asset-2-v2", Duration::zero(), 6min}}));
    for (std::size_t i = 0; i < before.size(); ++i) {
        if (before[i].station_id == "30280") {
            continue;
        }
        EXPECT_EQ(compiler_.plans()[i].items, before[i].items);
        EXPECT_EQ(compiler_.plans()[i].revision, before[i].revision);
    }

    // Retargeted to another commune: the old station loses it, the new one gains it.
    edited.where = station("30316");
    add(edited);
    const auto moved = compiler_.recompile(changed);
    EXPECT_EQ(moved.changed_stations, (std::vector<std::string>{"30280", "30316"}));
    EXPECT_EQ(items("30280"), (std::vector<std::string>{"1@300m+1800s"}));
    EXPECT_EQ(items("30316"), (std::vector<std::string>{"1@300m+1800s", "2@570m+360s"}));

    // A title-only edit changes the content key: the station's revision moves.
    edited.title = "Thông báo mới";
    add(edited);
    const auto retitled = compiler_.recompile(changed);
    EXPECT_EQ(retitled.changed_stations, (std::vector<std::string>{"30316"}));
    // Recompiling with nothing changed changes nothing.
    const auto same = compiler_.recompile(changed);
    EXPECT_EQ(same.stations_compiled, 1U);
    EXPECT_TRUE(same.changed_stations.empty());
}

TEST_F(TimelineCompilerTest, AProgrammeEditReachesTheEntriesThatPlayIt) {
    ASSERT_TRUE(compiler_.set_programme({"news", "Bản tin", {{"a1", 60s}, {"a2", 120s}}}).ok());
    auto e = entry(1, wire::PROVINCE, at(10), 1s, unit("884"), CutPolicy::shorten);
    e.what = ProgrammeContent{"news"};
    add(e);
    add(entry(2, wire::EMERGENCY, at(10, 2), 5min, station("30316")));
    compiler_.compile_all();
    // 180 s of programme, shortened to 120 s at 30316 by the emergency at 10:02.
    EXPECT_EQ(items("884"), (std::vector<std::string>{"1@600m+180s"}));
    EXPECT_EQ(compiler_.assets_of(plan("884").items[0]),
              (std::vector<ItemAsset>{{"a1", 0s, 60s}, {"a2", 60s, 120s}}));
    const auto& cut = plan("30316").items.at(0);
    EXPECT_EQ(cut.duration, 120s);
    EXPECT_EQ(compiler_.assets_of(cut),
              (std::vector<ItemAsset>{{"a1", 0s, 60s}, {"a2", 60s, 60s}}));

    ASSERT_TRUE(compiler_.set_programme({"news", "Bản tin", {{"a1", 60s}, {"a3", 30s}}}).ok());
    const auto ids = compiler_.entries_playing("news");
    EXPECT_EQ(ids, (std::vector<std::int64_t>{1}));
    const auto report = compiler_.recompile(ids);
    EXPECT_EQ(report.changed_stations, (std::vector<std::string>{"884", "30316"}));
    EXPECT_EQ(items("884"), (std::vector<std::string>{"1@600m+90s"}));
}

TEST_F(TimelineCompilerTest, AnEntryRetiredWhileAiringIsReported) {
    add(entry(1, wire::COMMUNE, at(1), 20min, unit("883")));
    add(entry(2, wire::COMMUNE, at(3), 20min, station("30283")));
    compiler_.compile_all();
    clock_.set(at(1, 5));  // entry 1 is on air

    auto retired = *compiler_.entry(1);
    retired.state = EntryState::retired;
    add(retired);
    const std::int64_t ids[] = {1};
    const auto report = compiler_.recompile(ids);
    EXPECT_EQ(report.changed_stations, (std::vector<std::string>{"883", "30280", "30283"}));
    for (const auto* id : {"883", "30280", "30283"}) {
        const auto& p = plan(id);
        EXPECT_TRUE(std::none_of(p.items.begin(), p.items.end(),
                                 [](const CompiledItem& i) { return i.entry_id == 1; }));
        ASSERT_EQ(p.conflicts.size(), 1U) << id;
        const auto& c = p.conflicts[0];
        EXPECT_EQ(c.action, ConflictAction::retired_while_airing);
        EXPECT_EQ(c.entry_id, 1);
        EXPECT_EQ(c.start, at(1));
        EXPECT_EQ(c.duration, 20min);
        EXPECT_EQ(c.describe(id), "entry 1 (commune) at 2026-11-27T08:00:00+07:00 at station " +
                                      std::string{id} +
                                      ": retired while airing (on air since "
                                      "2026-11-27T08:00:00+07:00)");
    }
    EXPECT_EQ(items("30283"), (std::vector<std::string>{"2@180m+1200s"}));

    // Removing an entry that is on air is reported the same way.
    compiler_.compile_all();
    clock_.set(at(3, 1));
    ASSERT_TRUE(compiler_.remove_entry(2).ok());
    const std::int64_t two[] = {2};
    compiler_.recompile(two);
    ASSERT_EQ(plan("30283").conflicts.size(), 1U);
    EXPECT_EQ(plan("30283").conflicts[0].action, ConflictAction::retired_while_airing);
    EXPECT_TRUE(plan("30283").items.empty());
}

TEST_F(TimelineCompilerTest, AnEntryEditedWhileAiringIsReported) {
    add(entry(1, wire::COMMUNE, at(1), 20min, station("30283")));
    compiler_.compile_all();
    clock_.set(at(1, 5));
    auto edited = *compiler_.entry(1);
    edited.what = AssetContent{"asset-1-fixed", 20min};
    add(edited);
    const std::int64_t ids[] = {1};
    compiler_.recompile(ids);
    const auto& p = plan("30283");
    ASSERT_EQ(p.conflicts.size(), 1U);
    EXPECT_EQ(p.conflicts[0].action, ConflictAction::changed_while_airing);
    ASSERT_EQ(p.items.size(), 1U);
    EXPECT_EQ(compiler_.assets_of(p.items[0]).at(0).asset_id, "asset-1-fixed");
}

TEST_F(TimelineCompilerTest, AnItemOnAirThatLosesIsCutNotMoved) {
    add(entry(1, wire::COMMUNE, at(1), 30min, station("30283"), CutPolicy::move));
    compiler_.compile_all();
    clock_.set(at(1, 10));
    // An emergency at 01:15 while the commune item is on air.
    add(entry(2, wire::EMERGENCY, at(1, 15), 5min, unit("89")));
    const std::int64_t ids[] = {2};
    compiler_.recompile(ids);
    EXPECT_EQ(items("30283"), (std::vector<std::string>{"1@60m+900s", "2@75m+300s"}));
    const auto& p = plan("30283");
    ASSERT_EQ(p.conflicts.size(), 1U);
    EXPECT_EQ(p.conflicts[0].action, ConflictAction::shortened);
    EXPECT_EQ(p.conflicts[0].winner_entry_id, 2);
}

TEST_F(TimelineCompilerTest, DraftsDoNotAirUntilApproved) {
    auto e = entry(1, wire::COMMUNE, at(4), 10min, station("30283"));
    e.state = EntryState::draft;
    add(e);
    compiler_.compile_all();
    EXPECT_TRUE(items("30283").empty());
    e.state = EntryState::approved;
    add(e);
    const std::int64_t ids[] = {1};
    EXPECT_EQ(compiler_.recompile(ids).changed_stations, (std::vector<std::string>{"30283"}));
    EXPECT_EQ(items("30283").size(), 1U);
}

TEST_F(TimelineCompilerTest, OnlyOccurrencesInTheValidityWindowAir) {
    auto e = entry(1, wire::COMMUNE, {}, 5min, station("30283"));
    e.recurrence = *Recurrence::create("FREQ=DAILY", LocalDateTime{2026, 11, 1, 9, 0, 0, false});
    e.valid_from = at(48);
    e.valid_until = at(96);
    add(e);
    compiler_.compile_all();
    // 09:00 local is 02:00Z: the days starting at +48 h and +72 h.
    EXPECT_EQ(items("30283"), (std::vector<std::string>{"1@3000m+300s", "1@4440m+300s"}));
}

TEST_F(TimelineCompilerTest, PreviewShowsTheConflictsWithoutChangingAnything) {
    add(entry(1, wire::PROVINCE, at(17, 30), 30min, unit("89")));
    add(entry(2, wire::FILLER, at(18), 60min, station("30283"), CutPolicy::drop));
    compiler_.compile_all();
    const auto revision = plan("30283").revision;

    auto candidate = entry(3, wire::COMMUNE, at(17, 45), 20min, unit("883"), CutPolicy::move);
    candidate.state = EntryState::draft;
    auto preview = compiler_.preview(candidate);
    ASSERT_TRUE(preview.ok()) << preview.error().message;
    // It loses to the news at 883, 30280 and 30283 (moved to 18:00), and pushes the filler out.
    std::vector<std::string> got;
    for (const auto& sc : *preview) {
        got.push_back(sc.station_id + ":" + std::to_string(sc.conflict.entry_id) + ">" +
                      std::string{conflict_action_name(sc.conflict.action)});
    }
    EXPECT_EQ(got, (std::vector<std::string>{"883:3>moved", "30280:3>moved", "30283:3>moved",
                                             "30283:2>dropped"}));
    EXPECT_EQ(plan("30283").revision, revision);
    EXPECT_EQ(items("30283"), (std::vector<std::string>{"1@1050m+1800s", "2@1080m+3600s"}));
    EXPECT_EQ(compiler_.entry(3), nullptr);

    const auto bad = compiler_.preview(entry(4, wire::COMMUNE, at(1), 1min, unit("999")));
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message, "entry 4: unit 999 is not a known unit");
}

TEST_F(TimelineCompilerTest, BadEntriesAreRefusedWithTheirReason) {
    auto error = [&](ScheduleEntry e) {
        const auto s = compiler_.upsert_entry(std::move(e));
        return s.ok() ? std::string{"(accepted)"} : s.message();
    };
    EXPECT_EQ(error(entry(0, wire::COMMUNE, at(1), 1min, unit("89"))),
              "an entry id must be a positive number");
    EXPECT_EQ(error(entry(1, wire::COMMUNE, at(1), 0s, unit("89"))),
              "entry 1: the asset's duration must be positive");
    EXPECT_EQ(error(entry(1, wire::COMMUNE, at(1), 1min, EntryTargets{})),
              "entry 1: no target (unit, station or zone)");
    EXPECT_EQ(error(entry(1, wire::COMMUNE, at(1), 1min, EntryTargets{{"1"}, {"x"}, {}})),
              "entry 1: unit 1 is not a known unit; station x is not a known station");
    EXPECT_EQ(error(entry(1, wire::PRIORITY_CLASS_UNSPECIFIED, at(1), 1min, unit("89"))),
              "entry 1: unknown priority class");
    auto p = entry(1, wire::COMMUNE, at(1), 1min, unit("89"));
    p.what = ProgrammeContent{"nope"};
    EXPECT_EQ(error(p), "entry 1: programme 'nope' is not known");
    auto v = entry(1, wire::COMMUNE, at(1), 1min, unit("89"));
    v.valid_until = v.valid_from = at(1);
    EXPECT_EQ(error(v), "entry 1: valid_from must be before valid_until");
    auto r = entry(1, wire::COMMUNE, at(1), 1min, unit("89"));
    r.recurrence = *Recurrence::create("FREQ=SECONDLY", LocalDateTime{2026, 1, 1, 0, 0, 0, false});
    EXPECT_NE(error(r).find("more than 100000 occurrences"), std::string::npos);
    EXPECT_EQ(compiler_.entry_count(), 0U);
    EXPECT_FALSE(compiler_.remove_entry(42).ok());
}

TEST_F(TimelineCompilerTest, ANetworkWithABadStationIsRefusedWhole) {
    AdminUnitTree tree;
    ASSERT_TRUE(import_admin_unit_csv(kUnits, tree).empty());
    std::vector<Station> stations{
        {"a", "89", "A", {"main"}}, {"a", "883", "A again", {"main"}}, {"b", "999", "B", {"main"}}};
    const auto r = compiler_.set_network(tree, stations);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message,
              "station a appears twice\nstation b: unit_code 999 is not a known unit");
    EXPECT_NE(compiler_.plan("30280"), nullptr);
    EXPECT_EQ(compiler_.plans().size(), 6U);
}

TEST_F(TimelineCompilerTest, ANewNetworkKeepsEntriesAndSaysWhichTargetsAreGone) {
    add(entry(1, wire::DISTRICT, at(2), 10min, EntryTargets{{"883"}, {"30316"}, {}}));
    compiler_.compile_all();
    const auto rev = plan("30280").revision;
    AdminUnitTree tree;
    ASSERT_TRUE(
        import_admin_unit_csv(std::string{kUnits}.substr(0, std::string{kUnits}.find("884,")), tree)
            .empty());
    auto r = compiler_.set_network(tree, default_stations(tree));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, (std::vector<std::string>{"entry 1: station 30316 is not a known station"}));
    const auto report = compiler_.compile_all();
    EXPECT_EQ(report.stations_compiled, 4U);
    // 30280 lost its "market" zone: the item's zones changed, so did its revision.
    EXPECT_EQ(plan("30280").revision, rev + 1);
    EXPECT_EQ(items("30283").size(), 1U);
}
