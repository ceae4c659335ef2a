#include "loa/scheduler/planner.hpp"

#include "loa/common/digest.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <mutex>

using namespace loa;
using namespace loa::scheduler;
using namespace std::chrono_literals;

namespace {

constexpr Duration kHorizon = std::chrono::hours{24};

// A province "P" with districts "D1" (communes "C1", "C2") and "D2" (commune "C3").
constexpr std::string_view kUnits =
    "code,parent_code,level,name\n"
    "P,,province,Province\n"
    "D1,P,district,District 1\n"
    "C1,D1,commune,Commune 1\n"
    "C2,D1,commune,Commune 2\n"
    "D2,P,district,District 2\n"
    "C3,D2,commune,Commune 3\n";

class RecordingLink final : public ILinkEvents {
public:
    void station_registered(const std::string& id, const std::string&) override {
        std::lock_guard lock{mutex_};
        registered_.push_back(id);
    }
    void timelines_changed(const std::vector<std::string>& ids) override {
        std::lock_guard lock{mutex_};
        changed_.push_back(ids);
    }
    std::vector<std::vector<std::string>> take_changed() {
        std::lock_guard lock{mutex_};
        return std::exchange(changed_, {});
    }
    std::vector<std::string> registered() {
        std::lock_guard lock{mutex_};
        return registered_;
    }

private:
    std::mutex mutex_;
    std::vector<std::string> registered_;
    std::vector<std::vector<std::string>> changed_;
};

class PlannerTest : public ::testing::Test {
protected:
    PlannerTest() { open(); }

    void open() {
        planner.reset();
        PlannerOptions options;
        options.database = (dir.path() / "scheduler.db").string();
        options.horizon = kHorizon;
        planner = std::make_unique<Planner>(options, clock, link);
    }

    void import_network() {
        const auto outcome = planner->import_units(kUnits, true);
        ASSERT_TRUE(outcome.errors.empty()) << join_errors(outcome.errors);
        ASSERT_EQ(outcome.stations_created, 6U);
        link.take_changed();
    }

    std::string add_asset(const std::string& seed, std::uint32_t duration_ms) {
        AssetRecord a;
        a.id =
            sha256_hex(std::span{reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size()});
        a.name = seed;
        a.duration_ms = duration_ms;
        a.size_bytes = 1000 + duration_ms / 1000;
        a.created_at_us = to_unix_us(clock.now());
        a.source_sha256 = a.id;
        EXPECT_TRUE(store().add_asset(a));
        return a.id;
    }

    ScheduleEntry entry(const std::string& asset_id, TimePoint at, EntryTargets where) {
        ScheduleEntry e;
        e.what = AssetContent{asset_id, {}};
        e.at = at;
        e.where = std::move(where);
        e.priority = wire::COMMUNE;
        e.state = EntryState::approved;
        return e;
    }

    std::uint64_t revision(const std::string& station) {
        return store().latest_timeline(station)->revision;
    }

    wire::Timeline latest(const std::string& station) {
        wire::Timeline t;
        EXPECT_TRUE(t.ParseFromString(store().latest_timeline(station)->timeline));
        return t;
    }

    SchedulerStore& store() {
        if (!store_) {
            store_ = std::make_unique<SchedulerStore>((dir.path() / "scheduler.db").string());
        }
        return *store_;
    }

    test::TempDir dir;
    FakeClock clock{test::test_epoch()};
    RecordingLink link;
    std::unique_ptr<Planner> planner;
    std::unique_ptr<SchedulerStore> store_;
};

TEST_F(PlannerTest, AnEntryRecompilesOnlyItsStationsAndBumpsOnlyTheirRevisions) {
    import_network();
    for (const char* s : {"P", "D1", "C1", "C2", "D2", "C3"}) {
        EXPECT_EQ(revision(s), 1U) << s;
    }
    const auto news = add_asset("news", 60000);
    auto change = planner->add_entry(entry(news, clock.now() + 1h, {{"D1"}, {}, {}}), "op");
    ASSERT_TRUE(change.ok()) << change.error().message;
    EXPECT_EQ(change->changed_stations, (std::vector<std::string>{"D1", "C1", "C2"}));
    EXPECT_TRUE(change->conflicts.empty());
    EXPECT_EQ(link.take_changed(), (std::vector<std::vector<std::string>>{{"D1", "C1", "C2"}}));
    for (const char* s : {"D1", "C1", "C2"}) {
        EXPECT_EQ(revision(s), 2U) << s;
    }
    for (const char* s : {"P", "D2", "C3"}) {
        EXPECT_EQ(revision(s), 1U) << s;
    }
    const auto t = latest("C1");
    EXPECT_EQ(t.station_id(), "C1");
    EXPECT_EQ(t.revision(), 2U);
    ASSERT_EQ(t.items_size(), 1);
    EXPECT_EQ(t.items(0).item_id(),
              fmt::format("e{}-{}-0", change->entry_id, to_unix_us(clock.now() + 1h) / 1000000));
    EXPECT_EQ(t.items(0).asset_id(), news);
    EXPECT_EQ(t.items(0).duration_ms(), 60000U);
    EXPECT_EQ(t.items(0).asset_size(), 1060U);
    EXPECT_EQ(t.items(0).title(), "news");
    EXPECT_TRUE(t.items(0).zones().empty());
    const auto stored = store().find_entry(change->entry_id);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->created_by, "op");
    EXPECT_EQ(stored->entry.approved_at, clock.now());
}

TEST_F(PlannerTest, AHorizonRollThatChangesNothingStoresNothing) {
    import_network();
    const auto news = add_asset("news", 60000);
    ASSERT_TRUE(planner->add_entry(entry(news, clock.now() + 2h, {{}, {"C1"}, {}}), "").ok());
    link.take_changed();
    clock.advance(1min);
    EXPECT_TRUE(planner->roll().changed_stations.empty());
    EXPECT_TRUE(link.take_changed().empty());
    EXPECT_EQ(revision("C1"), 2U);
    EXPECT_FALSE(store().timeline_at("C1", 3));

    // Once the item has ended (plus nothing else), the roll drops it: a new revision.
    clock.advance(3h);
    EXPECT_EQ(planner->roll().changed_stations, std::vector<std::string>{"C1"});
    EXPECT_EQ(revision("C1"), 3U);
    EXPECT_EQ(latest("C1").items_size(), 0);
}

TEST_F(PlannerTest, AnEntryBeyondTheHorizonIsStoredWhenItEntersIt) {
    import_network();
    const auto news = add_asset("news", 60000);
    auto change =
        planner->add_entry(entry(news, clock.now() + kHorizon + 30min, {{}, {"C3"}, {}}), "");
    ASSERT_TRUE(change.ok());
    EXPECT_TRUE(change->changed_stations.empty());
    clock.advance(1h);
    EXPECT_EQ(planner->roll().changed_stations, std::vector<std::string>{"C3"});
    EXPECT_EQ(latest("C3").items_size(), 1);
}

TEST_F(PlannerTest, RevisionsSurviveReopening) {
    import_network();
    const auto news = add_asset("news", 60000);
    ASSERT_TRUE(planner->add_entry(entry(news, clock.now() + 1h, {{}, {"C2"}, {}}), "").ok());
    const auto before = store().latest_timeline("C2");
    link.take_changed();
    open();
    EXPECT_TRUE(link.take_changed().empty()) << "reopening changed a timeline";
    const auto after = store().latest_timeline("C2");
    EXPECT_EQ(after->revision, 2U);
    EXPECT_EQ(after->timeline, before->timeline);
    ASSERT_TRUE(planner->add_entry(entry(news, clock.now() + 3h, {{}, {"C2"}, {}}), "").ok());
    EXPECT_EQ(revision("C2"), 3U);
    EXPECT_EQ(latest("C2").items_size(), 2);
}

TEST_F(PlannerTest, AProgrammeOfThreeAssetsBecomesThreeItemsWithStableIds) {
    import_network();
    const auto a = add_asset("a", 30000);
    const auto b = add_asset("b", 45000);
    const auto c = add_asset("c", 15000);
    auto programme = planner->put_programme(Programme{"", "Evening", {{a, {}}, {b, {}}, {c, {}}}});
    ASSERT_TRUE(programme.ok()) << programme.error().message;
    EXPECT_EQ(programme->id, "p1");
    EXPECT_EQ(programme->total_duration(), 90s);
    ScheduleEntry e = entry(a, clock.now() + 1h, {{}, {"C1"}, {}});
    e.what = ProgrammeContent{programme->id};
    auto change = planner->add_entry(e, "");
    ASSERT_TRUE(change.ok()) << change.error().message;
    const auto start = to_unix_us(clock.now() + 1h);
    const auto check = [&] {
        const auto t = latest("C1");
        ASSERT_GE(t.items_size(), 3);
        const std::int64_t offsets[] = {0, 30'000'000, 75'000'000};
        const std::uint32_t durations[] = {30000, 45000, 15000};
        const std::string assets[] = {a, b, c};
        for (int i = 0; i < 3; ++i) {
            EXPECT_EQ(t.items(i).item_id(),
                      fmt::format("e{}-{}-{}", change->entry_id, start / 1000000, i));
            EXPECT_EQ(t.items(i).start_at_us(), start + offsets[i]);
            EXPECT_EQ(t.items(i).duration_ms(), durations[i]);
            EXPECT_EQ(t.items(i).asset_id(), assets[i]);
            EXPECT_EQ(t.items(i).title(), "Evening");
        }
    };
    check();
    // Another entry at the station: the programme's items keep their ids.
    ASSERT_TRUE(planner->add_entry(entry(a, clock.now() + 5h, {{}, {"C1"}, {}}), "").ok());
    EXPECT_EQ(latest("C1").items_size(), 4);
    check();
}

TEST_F(PlannerTest, ZonesNameTheZonesAnItemSwitchesOn) {
    import_network();
    const auto outcome =
        planner->import_stations("station_id,unit_code,name,zones\nC1,C1,Commune 1,main;market\n");
    ASSERT_TRUE(outcome.errors.empty()) << join_errors(outcome.errors);
    const auto news = add_asset("news", 60000);
    ASSERT_TRUE(
        planner->add_entry(entry(news, clock.now() + 1h, {{}, {}, {{"C1", "market"}}}), "").ok());
    ASSERT_TRUE(planner->add_entry(entry(news, clock.now() + 2h, {{}, {"C1"}, {}}), "").ok());
    const auto t = latest("C1");
    ASSERT_EQ(t.items_size(), 2);
    ASSERT_EQ(t.items(0).zones_size(), 1);
    EXPECT_EQ(t.items(0).zones(0), "market");
    EXPECT_TRUE(t.items(1).zones().empty());
}

TEST_F(PlannerTest, ConflictsAreReturnedAndChecked) {
    import_network();
    const auto news = add_asset("news", 600000);
    auto high = entry(news, clock.now() + 1h, {{"P"}, {}, {}});
    high.priority = wire::PROVINCE;
    ASSERT_TRUE(planner->add_entry(high, "").ok());
    auto low = entry(news, clock.now() + 1h + 5min, {{}, {"C2"}, {}});
    low.cut_policy = CutPolicy::drop;
    auto change = planner->add_entry(low, "");
    ASSERT_TRUE(change.ok());
    ASSERT_EQ(change->conflicts.size(), 1U);
    EXPECT_EQ(change->conflicts[0].station_id, "C2");
    EXPECT_EQ(change->conflicts[0].conflict.action, ConflictAction::dropped);
    EXPECT_EQ(planner->conflicts("", "").size(), 1U);
    EXPECT_EQ(planner->conflicts("", "D1").size(), 1U);
    EXPECT_TRUE(planner->conflicts("", "D2").empty());
    EXPECT_TRUE(planner->conflicts("C1", "").empty());
}

TEST_F(PlannerTest, DraftsDoNotAirUntilApprovedAndRetiredEntriesLeave) {
    import_network();
    const auto news = add_asset("news", 60000);
    auto draft = entry(news, clock.now() + 1h, {{}, {"C1"}, {}});
    draft.state = EntryState::draft;
    auto change = planner->add_entry(draft, "");
    ASSERT_TRUE(change.ok());
    EXPECT_EQ(latest("C1").items_size(), 0);
    clock.advance(1min);
    ASSERT_TRUE(planner->set_state(change->entry_id, EntryState::approved).ok());
    EXPECT_EQ(latest("C1").items_size(), 1);
    EXPECT_EQ(planner->entry(change->entry_id)->entry.approved_at, clock.now());
    ASSERT_TRUE(planner->set_state(change->entry_id, EntryState::retired).ok());
    EXPECT_EQ(latest("C1").items_size(), 0);
    EXPECT_EQ(revision("C1"), 3U);
    EXPECT_FALSE(planner->set_state(change->entry_id, EntryState::approved).ok());
}

TEST_F(PlannerTest, BadEntriesChangeNothing) {
    import_network();
    const auto news = add_asset("news", 60000);
    EXPECT_FALSE(
        planner->add_entry(entry(std::string(64, 'f'), clock.now() + 1h, {{}, {"C1"}, {}}), "")
            .ok());
    const auto unknown = planner->add_entry(entry(news, clock.now() + 1h, {{"X9"}, {}, {}}), "");
    ASSERT_FALSE(unknown.ok());
    EXPECT_NE(unknown.error().message.find("X9"), std::string::npos) << unknown.error().message;
    EXPECT_TRUE(store().list_entries().empty());
    EXPECT_EQ(revision("C1"), 1U);
}

TEST_F(PlannerTest, ReadinessCountsStationsThatAckedAndHoldEveryAsset) {
    import_network();
    const auto news = add_asset("news", 60000);
    ASSERT_TRUE(planner->add_entry(entry(news, clock.now() + 1h, {{"D1"}, {}, {}}), "").ok());
    auto r = planner->readiness(2h);
    ASSERT_EQ(r.size(), 1U);
    EXPECT_EQ(r[0].stations, 3U);
    EXPECT_EQ(r[0].ready, 0U);
    ASSERT_TRUE(store().record_timeline_ack("C1", 2).ok());
    ASSERT_TRUE(store().record_timeline_ack("C2", 2).ok());
    StationStatus missing;
    missing.assets_missing = 1;
    store().record_heartbeat("C2", missing, clock.now());
    r = planner->readiness(2h);
    ASSERT_EQ(r.size(), 1U);
    EXPECT_EQ(r[0].ready, 1U);
    EXPECT_EQ(r[0].not_ready, (std::vector<std::string>{"D1", "C2"}));
    EXPECT_TRUE(planner->readiness(30min).empty());
}

TEST_F(PlannerTest, AnGiangGives168Stations) {
    const auto csv =
        test::read_file(std::string{LOA_SOURCE_DIR} + "/data/angiang-2019-admin-units.csv");
    const auto outcome = planner->import_units(csv, true);
    ASSERT_TRUE(outcome.errors.empty()) << join_errors(outcome.errors);
    EXPECT_EQ(outcome.units, 168U);
    EXPECT_EQ(store().list_stations().size(), 168U);
    EXPECT_EQ(store().latest_timeline("30280")->revision, 1U);
}

}  // namespace
