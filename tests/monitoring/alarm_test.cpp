#include "loa/common/time_format.hpp"
#include "loa/monitoring/alarm_book.hpp"
#include "loa/monitoring/alarm_rules.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace loa::monitoring {
namespace {

using namespace std::chrono_literals;

const TimePoint kT0 = *parse_time("2026-11-27T00:00:00Z");

StationFacts station(std::string id, std::optional<TimePoint> last_seen) {
    return {id, "Trạm " + id, "30001", last_seen, 10s};
}

TEST(AlarmRules, OfflineAfterExactlyThreeMissedHeartbeats) {
    const AlarmRules rules;
    const auto s = station("ST-A", kT0);
    EXPECT_FALSE(rules.offline(s, kT0 + 10s));
    EXPECT_FALSE(rules.offline(s, kT0 + 20s + 1ms));  // two missed
    EXPECT_FALSE(rules.offline(s, kT0 + 30s));        // the third is due right now
    EXPECT_TRUE(rules.offline(s, kT0 + 30s + 1ms));   // and did not come

    AlarmFacts facts;
    facts.stations = {s, station("ST-B", kT0 + 25s)};
    EXPECT_TRUE(rules.evaluate(facts, kT0 + 30s).empty());
    const auto alarms = rules.evaluate(facts, kT0 + 31s);
    ASSERT_EQ(alarms.size(), 1u);
    EXPECT_EQ(alarms[0].key, "offline/ST-A");
    EXPECT_EQ(alarms[0].kind, AlarmKind::station_offline);
    EXPECT_EQ(alarms[0].severity, Severity::major);
    EXPECT_EQ(alarms[0].station_id, "ST-A");
    EXPECT_EQ(alarms[0].unit_code, "30001");
    EXPECT_EQ(alarms[0].since, kT0 + 30s);
    EXPECT_NE(alarms[0].text_vi.find("Trạm ST-A mất kết nối"), std::string::npos);
    EXPECT_NE(alarms[0].text_en.find("Station Trạm ST-A offline"), std::string::npos);

    AlarmRules::Options five;
    five.missed_heartbeats = 5;
    EXPECT_FALSE(AlarmRules{five}.offline(s, kT0 + 50s));
    EXPECT_TRUE(AlarmRules{five}.offline(s, kT0 + 51s));
}

TEST(AlarmRules, NeverSeenStationIsOffline) {
    AlarmFacts facts;
    facts.stations = {station("ST-N", std::nullopt)};
    const auto alarms = AlarmRules{}.evaluate(facts, kT0);
    ASSERT_EQ(alarms.size(), 1u);
    EXPECT_EQ(alarms[0].since, kT0);
    EXPECT_EQ(alarms[0].text_en, "Station Trạm ST-N has never connected");
}

TEST(AlarmRules, FaultsCoverageAndReadiness) {
    AlarmFacts facts;
    facts.faults = {{"ST-A", "30001", "z2", "speaker line open", kT0 - 5min}};
    facts.coverage = {{"883", "Huyện Chợ Mới", 0.80},
                      {"884", "Huyện Phú Tân", 0.70},
                      {"885", "Huyện Tân Châu", 0.90},
                      {"999", "Không ngưỡng", 0.10}};
    facts.readiness = {
        {"ST-A",
         "Xã Kiến An",
         "30001",
         {{"i1", "Bản tin sáng", kT0 + 30h, true, true},
          {"i2", "Bản tin trưa", kT0 + 29h, false, true},
          {"i3", "Nhạc", kT0 + 31h, true, false}}},
        {"ST-B", "Xã Mỹ Hội", "30002", {{"i1", "Bản tin sáng", kT0 + 30h, true, true}}},
    };
    AlarmRules::Options options;
    options.thresholds = {{"883", 0.86}, {"884", 0.86}, {"885", 0.86}};
    const auto alarms = AlarmRules{options}.evaluate(facts, kT0);
    ASSERT_EQ(alarms.size(), 4u);  // sorted by key
    EXPECT_EQ(alarms[0].key, "coverage/883");
    EXPECT_EQ(alarms[0].severity, Severity::warning);
    EXPECT_EQ(alarms[0].text_vi, "Tỉ lệ phủ sóng của Huyện Chợ Mới là 80,0 %, dưới ngưỡng 86,0 %");
    EXPECT_EQ(alarms[0].text_en,
              "Coverage of Huyện Chợ Mới is 80.0 %, below its threshold of 86.0 %");
    EXPECT_EQ(alarms[1].key, "coverage/884");
    EXPECT_EQ(alarms[1].severity, Severity::critical);  // more than 10 points below
    EXPECT_EQ(alarms[2].key, "fault/ST-A/z2");
    EXPECT_EQ(alarms[2].zone, "z2");
    EXPECT_EQ(alarms[2].since, kT0 - 5min);
    EXPECT_EQ(alarms[2].text_en, "Station ST-A, zone z2: amplifier fault (speaker line open)");
    EXPECT_EQ(alarms[3].key, "not-ready/ST-A");
    EXPECT_EQ(alarms[3].kind, AlarmKind::station_not_ready);
    EXPECT_EQ(alarms[3].since, kT0 + 29h - 24h);
    EXPECT_NE(alarms[3].text_en.find("1 items not acknowledged, 1 items missing assets"),
              std::string::npos);

    // A default threshold checks every unit without its own.
    options.default_threshold = 0.5;
    const auto more = AlarmRules{options}.evaluate(facts, kT0);
    ASSERT_EQ(more.size(), 5u);
    EXPECT_EQ(more[2].key, "coverage/999");
}

TEST(AlarmBook, RaisesKeepsAndClearsWithTheClock) {
    FakeClock clock{kT0};
    AlarmBook book{clock};
    const AlarmRules rules;
    AlarmFacts facts;
    facts.stations = {station("ST-A", kT0), station("ST-B", kT0)};

    // Heartbeats every 10 s from ST-B only; ST-A is silent after kT0.
    std::vector<AlarmEvent> events;
    for (int i = 1; i <= 3; ++i) {
        clock.advance(10s);
        facts.stations[1].last_seen = clock.now();
        events = book.update(rules.evaluate(facts, clock.now()));
        EXPECT_TRUE(events.empty()) << "after " << i * 10 << " s";
    }
    clock.advance(1s);
    events = book.update(rules.evaluate(facts, clock.now()));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].type, AlarmEvent::Type::raised);
    EXPECT_EQ(events[0].alarm.key, "offline/ST-A");
    EXPECT_EQ(events[0].raised_at, kT0 + 31s);
    EXPECT_EQ(events[0].alarm.since, kT0 + 30s);

    // Ongoing: no event, the first times stay.
    clock.advance(5min);
    facts.stations[1].last_seen = clock.now();
    facts.faults = {{"ST-B", "30001", "z1", "mains lost", clock.now() - 2s}};
    events = book.update(rules.evaluate(facts, clock.now()));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].alarm.key, "fault/ST-B/z1");
    EXPECT_EQ(events[0].raised_at, kT0 + 31s + 5min);
    auto active = book.active();
    ASSERT_EQ(active.size(), 2u);
    EXPECT_EQ(active[1].alarm.key, "offline/ST-A");
    EXPECT_EQ(active[1].raised_at, kT0 + 31s);
    EXPECT_EQ(active[1].alarm.since, kT0 + 30s);

    // ST-A comes back: its alarm clears at this moment.
    clock.advance(1min);
    facts.stations[0].last_seen = clock.now();
    facts.stations[1].last_seen = clock.now();
    events = book.update(rules.evaluate(facts, clock.now()));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].type, AlarmEvent::Type::cleared);
    EXPECT_EQ(events[0].alarm.key, "offline/ST-A");
    EXPECT_EQ(events[0].raised_at, kT0 + 31s);
    EXPECT_EQ(events[0].cleared_at, kT0 + 31s + 6min);
    ASSERT_EQ(book.active().size(), 1u);
    ASSERT_EQ(book.cleared().size(), 1u);
    EXPECT_EQ(book.cleared()[0], events[0]);

    // Offline again later: a new alarm with a new raise time.
    clock.advance(31s);
    facts.stations[1].last_seen = clock.now();
    events = book.update(rules.evaluate(facts, clock.now()));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].type, AlarmEvent::Type::raised);
    EXPECT_EQ(events[0].raised_at, kT0 + 62s + 6min);
}

TEST(AlarmBook, KeepsTheNewestWordsAndABoundedHistory) {
    FakeClock clock{kT0};
    AlarmBook book{clock, 2};
    Alarm a{"coverage/883",
            AlarmKind::coverage_low,
            Severity::warning,
            "883",
            "",
            "",
            "80 %",
            "80 %",
            kT0};
    (void)book.update({a});
    clock.advance(1min);
    a.text_en = "70 %";
    a.severity = Severity::critical;
    a.since = clock.now();
    EXPECT_TRUE(book.update({a}).empty());
    const auto active = book.active();
    ASSERT_EQ(active.size(), 1u);
    EXPECT_EQ(active[0].alarm.text_en, "70 %");
    EXPECT_EQ(active[0].alarm.severity, Severity::critical);
    EXPECT_EQ(active[0].alarm.since, kT0);

    for (int i = 0; i < 3; ++i) {
        a.key = "coverage/" + std::to_string(i);
        (void)book.update({a});
        clock.advance(1s);
    }
    (void)book.update({});
    const auto cleared = book.cleared();
    ASSERT_EQ(cleared.size(), 2u);
    EXPECT_EQ(cleared[0].alarm.key, "coverage/2");
    EXPECT_EQ(cleared[1].alarm.key, "coverage/1");
}

TEST(AlarmBook, RestoredAlarmsAreNotRaisedAgainButClearAsUsual) {
    FakeClock clock{kT0 + 1h};
    AlarmBook book{clock, 2};
    const Alarm fault{"fault/ST-B/z1",
                      AlarmKind::zone_fault,
                      Severity::major,
                      "30001",
                      "ST-B",
                      "z1",
                      "lỗi",
                      "fault",
                      kT0};
    const Alarm offline{"offline/ST-A",  AlarmKind::station_offline,
                        Severity::major, "30001",
                        "ST-A",          "",
                        "mất",           "offline",
                        kT0 + 5min};
    AlarmEvent old_clear{AlarmEvent::Type::cleared, offline, kT0, kT0 + 2min};
    book.restore({{AlarmEvent::Type::raised, fault, kT0 + 10s, std::nullopt},
                  {AlarmEvent::Type::raised, offline, kT0 + 5min, std::nullopt}},
                 {old_clear, old_clear, old_clear});
    EXPECT_EQ(book.cleared().size(), 2u);  // the history limit holds for restored ones too
    ASSERT_EQ(book.active().size(), 2u);
    EXPECT_EQ(book.active()[0].raised_at, kT0 + 10s);

    // The fault is still there (newer words): no event, its first times stay. The offline
    // station is back: cleared now.
    Alarm still = fault;
    still.text_en = "fault (hot)";
    still.since = clock.now();
    const auto events = book.update({still});
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].type, AlarmEvent::Type::cleared);
    EXPECT_EQ(events[0].alarm.key, "offline/ST-A");
    EXPECT_EQ(events[0].raised_at, kT0 + 5min);
    EXPECT_EQ(events[0].cleared_at, clock.now());
    const auto active = book.active();
    ASSERT_EQ(active.size(), 1u);
    EXPECT_EQ(active[0].raised_at, kT0 + 10s);
    EXPECT_EQ(active[0].alarm.since, kT0);
    EXPECT_EQ(active[0].alarm.text_en, "fault (hot)");
    EXPECT_EQ(book.cleared()[0], events[0]);
}

}  // namespace
}  // namespace loa::monitoring
