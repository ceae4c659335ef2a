#include "loa/common/time_format.hpp"
#include "loa/monitoring/compliance_reconciler.hpp"
#include "loa/monitoring/wire_as_run.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>

namespace loa::monitoring {
namespace {

using namespace std::chrono_literals;

const TimePoint kT0 = *parse_time("2026-11-27T05:00:00Z");

// Items of five minutes, one per hour from kT0 on, on station ST-A unless told otherwise.
ScheduledItem item(const std::string& id, int hour, std::string station = "ST-A",
                   std::vector<std::string> zones = {}) {
    ScheduledItem it;
    it.item_id = id;
    it.entry_id = "E-" + id;
    it.title = "Tin " + id;
    it.entry_title = "Chương trình " + id;
    it.priority_class = "commune";
    it.start = kT0 + std::chrono::hours{hour};
    it.duration = 300s;
    it.station_id = std::move(station);
    it.zones = std::move(zones);
    return it;
}

AsRun record(const ScheduledItem& it, AsRunStatus status, std::string reason = {},
             Duration played = 0s) {
    AsRun r;
    r.station_id = it.station_id;
    r.item_id = it.item_id;
    r.status = status;
    r.reason = std::move(reason);
    if (status != AsRunStatus::failed) {
        r.started_at = it.start;
        r.ended_at = it.start + played;
    }
    return r;
}

class ComplianceTest : public ::testing::Test {
protected:
    std::map<std::string, ItemCompliance> run(ComplianceReconciler::Options options = {}) {
        const auto out = ComplianceReconciler{options}.reconcile(input_);
        EXPECT_EQ(out.size(), input_.items.size());
        std::map<std::string, ItemCompliance> by_id;
        for (std::size_t i = 0; i < out.size(); ++i) {
            EXPECT_EQ(out[i].item.item_id, input_.items[i].item_id) << "output keeps input order";
            by_id.emplace(out[i].item.item_id, out[i]);
        }
        return by_id;
    }

    ComplianceInput input_ = [] {
        ComplianceInput in;
        in.as_of = kT0 + 48h;
        return in;
    }();
};

void expect(const ItemCompliance& c, Verdict verdict, std::optional<MissReason> reason,
            double aired_seconds) {
    SCOPED_TRACE(c.item.item_id + ": " + c.detail);
    EXPECT_EQ(verdict_name(c.verdict), verdict_name(verdict));
    EXPECT_EQ(c.reason.has_value(), reason.has_value());
    if (c.reason && reason) {
        EXPECT_EQ(reason_name(*c.reason), reason_name(*reason));
    }
    EXPECT_NEAR(c.aired_seconds, aired_seconds, 1e-6);
    EXPECT_DOUBLE_EQ(c.scheduled_seconds, 300.0);
}

TEST_F(ComplianceTest, EveryKindOfFaultGivesItsOwnReason) {
    const auto aired = item("aired", 0);
    const auto asset = item("asset", 1);
    const auto amp_record = item("amp-record", 2);
    const auto amp_fact = item("amp-fact", 3, "ST-A", {"z1"});
    const auto preempted = item("preempted", 4);
    const auto preempted_early = item("preempted-early", 5);
    const auto offline = item("offline", 6, "ST-B");
    const auto not_running = item("not-running", 7, "ST-B");
    const auto unsync = item("unsync", 8, "ST-C");
    const auto dead = item("dead", 9);
    const auto no_report = item("no-report", 10);
    const auto decode = item("decode", 11);
    input_.items = {aired,   asset,       amp_record, amp_fact, preempted, preempted_early,
                    offline, not_running, unsync,     dead,     no_report, decode};
    input_.as_run = {
        record(aired, AsRunStatus::completed, "", 300s),
        record(asset, AsRunStatus::failed, "asset missing"),
        record(amp_record, AsRunStatus::failed, "amplifier fault: speaker line open"),
        record(preempted, AsRunStatus::interrupted, "preempted by emergency e7", 120s),
        record(preempted_early, AsRunStatus::failed, "preempted by province p1 before its start"),
        // ST-B was offline then too, but the agent itself says why: that wins.
        record(not_running, AsRunStatus::failed, "agent was not running at start time"),
        record(dead, AsRunStatus::completed, "", 300s),
        record(decode, AsRunStatus::failed, "asset cannot be decoded: bad header"),
    };
    input_.faults = {{"ST-A", "z1", "no load", {amp_fact.start - 1min, amp_fact.end()}}};
    input_.offline = {{"ST-B", {offline.start - 10min, not_running.end() + 10min}}};
    input_.unsynchronised = {{"ST-C", {unsync.start - 1h, unsync.end()}}};
    input_.dead_air = {{"ST-A", "z1", {dead.start + 60s, dead.start + 260s}}};

    auto r = run();
    expect(r.at("aired"), Verdict::aired, std::nullopt, 300);
    expect(r.at("asset"), Verdict::missed, MissReason::asset_missing, 0);
    expect(r.at("amp-record"), Verdict::missed, MissReason::amplifier_fault, 0);
    expect(r.at("amp-fact"), Verdict::missed, MissReason::amplifier_fault, 0);
    EXPECT_EQ(r.at("amp-fact").detail, "zone z1: no load");
    expect(r.at("preempted"), Verdict::partly_aired, MissReason::preempted, 120);
    expect(r.at("preempted-early"), Verdict::missed, MissReason::preempted, 0);
    expect(r.at("offline"), Verdict::missed, MissReason::offline, 0);
    expect(r.at("not-running"), Verdict::missed, MissReason::agent_not_running, 0);
    expect(r.at("unsync"), Verdict::missed, MissReason::clock_unsynchronised, 0);
    // 200 s of 300 s silent: more than half, so missed.
    expect(r.at("dead"), Verdict::missed, MissReason::dead_air, 100);
    expect(r.at("no-report"), Verdict::missed, MissReason::no_report, 0);
    expect(r.at("decode"), Verdict::missed, MissReason::asset_missing, 0);
    EXPECT_EQ(r.at("asset").detail, "asset missing");
}

TEST_F(ComplianceTest, ShortDeadAirMakesAnItemPartlyAiredAndOnlyOnItsZones) {
    const auto a = item("a", 0, "ST-A", {"z1"});
    const auto b = item("b", 1, "ST-A", {"z1"});
    input_.items = {a, b};
    input_.as_run = {record(a, AsRunStatus::completed, "", 300s),
                     record(b, AsRunStatus::completed, "", 300s)};
    input_.dead_air = {
        // Two overlapping reports on z1 (20 s + 20 s, 10 s in common): 30 s of dead air.
        {"ST-A", "z1", {a.start + 10s, a.start + 30s}},
        {"ST-A", "z1", {a.start + 20s, a.start + 40s}},
        // Dead air on z2 does not concern items of z1 only.
        {"ST-A", "z2", {b.start, b.end()}},
    };
    auto r = run();
    expect(r.at("a"), Verdict::partly_aired, MissReason::dead_air, 270);
    expect(r.at("b"), Verdict::aired, std::nullopt, 300);

    // With a threshold of 5 %, 30 s of 300 s is too much.
    r = run({.dead_air_missed_fraction = 0.05});
    expect(r.at("a"), Verdict::missed, MissReason::dead_air, 270);
}

TEST_F(ComplianceTest, AiredWhileUnsynchronisedIsPartlyAired) {
    const auto a = item("a", 0);
    input_.items = {a};
    input_.as_run = {record(a, AsRunStatus::completed, "", 300s)};
    input_.unsynchronised = {{"ST-A", {a.start - 1s, a.start + 1s}}};
    expect(run().at("a"), Verdict::partly_aired, MissReason::clock_unsynchronised, 300);
}

TEST_F(ComplianceTest, MissedStartTimeDependsOnTheClock) {
    const auto a = item("a", 0, "ST-A");
    const auto b = item("b", 0, "ST-B");
    input_.items = {a, b};
    input_.as_run = {record(a, AsRunStatus::failed, "missed start time"),
                     record(b, AsRunStatus::failed, "missed start time")};
    input_.unsynchronised = {{"ST-B", {b.start - 1h, TimePoint::max()}}};
    auto r = run();
    expect(r.at("a"), Verdict::missed, MissReason::agent_not_running, 0);
    expect(r.at("b"), Verdict::missed, MissReason::clock_unsynchronised, 0);
}

TEST_F(ComplianceTest, TimelineTooLateCountsAsOfflineAndUnknownTextsTakeTheFacts) {
    const auto late = item("late", 0);
    const auto odd = item("odd", 1, "ST-A", {"z2"});
    const auto odder = item("odder", 2);
    input_.items = {late, odd, odder};
    input_.as_run = {record(late, AsRunStatus::failed, "timeline arrived after start time"),
                     record(odd, AsRunStatus::failed, "something new"),
                     record(odder, AsRunStatus::failed, "something else")};
    input_.faults = {{"ST-A", "z2", "mains lost", {odd.start, odd.end()}}};
    auto r = run();
    expect(r.at("late"), Verdict::missed, MissReason::offline, 0);
    expect(r.at("odd"), Verdict::missed, MissReason::amplifier_fault, 0);
    expect(r.at("odder"), Verdict::missed, MissReason::no_report, 0);
    EXPECT_EQ(r.at("odder").detail, "something else");
}

TEST_F(ComplianceTest, ZonesThatDisagreeMakeAnItemPartlyAired) {
    const auto a = item("a", 0, "ST-A", {"z1", "z2"});
    const auto b = item("b", 1, "ST-A", {"z1", "z2"});
    input_.items = {a, b};
    input_.as_run = {
        record(a, AsRunStatus::completed, "", 300s),
        record(a, AsRunStatus::failed, "amplifier fault: over temperature"),
        record(b, AsRunStatus::failed, "asset missing"),
        record(b, AsRunStatus::failed, "asset missing"),
    };
    auto r = run();
    expect(r.at("a"), Verdict::partly_aired, MissReason::amplifier_fault, 300);
    EXPECT_EQ(r.at("a").detail, "amplifier fault: over temperature");
    expect(r.at("b"), Verdict::missed, MissReason::asset_missing, 0);
}

TEST_F(ComplianceTest, PausedTimeIsNotAiredTime) {
    const auto a = item("a", 0);
    input_.items = {a};
    auto rec = record(a, AsRunStatus::completed, "paused 60.0 s by emergency e7", 360s);
    rec.paused_ms = 60000;
    rec.preempted_by = "e7";
    input_.as_run = {rec};
    expect(run().at("a"), Verdict::aired, std::nullopt, 300);
}

TEST_F(ComplianceTest, NoRecordIsPendingUntilTheGraceHasPassed) {
    const auto future = item("future", 30);
    const auto recent = item("recent", 0);
    input_.items = {future, recent};
    input_.as_of = recent.end() + 5min;
    auto r = run();
    EXPECT_EQ(r.at("future").verdict, Verdict::pending);
    EXPECT_EQ(r.at("recent").verdict, Verdict::pending);
    EXPECT_FALSE(r.at("recent").reason.has_value());

    input_.as_of = recent.end() + 10min;
    expect(run().at("recent"), Verdict::missed, MissReason::no_report, 0);

    // Offline just after the item's end, before its record could come: offline.
    input_.offline = {{"ST-A", {recent.end() + 1min, TimePoint::max()}}};
    expect(run().at("recent"), Verdict::missed, MissReason::offline, 0);
}

TEST_F(ComplianceTest, RecordsOfAnotherStationDoNotCount) {
    const auto a = item("a", 0, "ST-A");
    input_.items = {a};
    auto rec = record(a, AsRunStatus::completed, "", 300s);
    rec.station_id = "ST-Z";
    input_.as_run = {rec};
    expect(run().at("a"), Verdict::missed, MissReason::no_report, 0);
}

TEST(ComplianceText, AgentReasonsMapToReasons) {
    EXPECT_EQ(ComplianceReconciler::reason_from_text("amplifier off at start time"),
              MissReason::amplifier_fault);
    EXPECT_EQ(ComplianceReconciler::reason_from_text("agent stopped while playing"),
              MissReason::agent_not_running);
    EXPECT_EQ(ComplianceReconciler::reason_from_text("decode error: eof"),
              MissReason::asset_missing);
    EXPECT_EQ(ComplianceReconciler::reason_from_text("missed start time"), std::nullopt);
    EXPECT_EQ(ComplianceReconciler::reason_from_text(""), std::nullopt);
}

TEST(WireAsRun, ConvertsTheAgentsRecord) {
    wire::AsRunRecord w;
    w.set_item_id("i1");
    w.set_status(wire::INTERRUPTED);
    w.set_reason("preempted by emergency e7");
    w.set_started_at_us(1'000'000);
    w.set_ended_at_us(3'500'000);
    w.set_paused_ms(250);
    w.set_preempted_by("e7");
    const AsRun r = as_run_from_wire("ST-A", w);
    EXPECT_EQ(r.station_id, "ST-A");
    EXPECT_EQ(r.item_id, "i1");
    EXPECT_EQ(r.status, AsRunStatus::interrupted);
    EXPECT_EQ(r.reason, "preempted by emergency e7");
    EXPECT_EQ(r.started_at, from_unix_us(1'000'000));
    EXPECT_EQ(r.ended_at, from_unix_us(3'500'000));
    EXPECT_EQ(r.paused_ms, 250u);
    EXPECT_EQ(r.preempted_by, "e7");

    wire::AsRunRecord failed;
    failed.set_status(wire::FAILED);
    const AsRun f = as_run_from_wire("ST-A", failed);
    EXPECT_EQ(f.status, AsRunStatus::failed);
    EXPECT_FALSE(f.started_at.has_value());
    EXPECT_FALSE(f.ended_at.has_value());
}

}  // namespace
}  // namespace loa::monitoring
