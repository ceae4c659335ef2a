#include "loa/scheduler/admin_units.hpp"
#include "loa/scheduler/station_csv.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

using namespace loa;
using namespace loa::scheduler;

namespace {

std::string dataset() {
    return test::read_file(std::string{LOA_SOURCE_DIR} + "/data/angiang-2019-admin-units.csv");
}

const std::string kHeader = "code,parent_code,level,unit_type,name,name_with_type\n";

// A hand-written sample of the two-level tree in force since 1 July 2025 (province → commune).
// The codes are illustrative.
const std::string kTwoLevel2025 = kHeader +
                                  "91,,province,tỉnh,An Giang,Tỉnh An Giang\n"
                                  "30280,91,commune,phường,Long Xuyên,Phường Long Xuyên\n"
                                  "30316,91,commune,phường,Châu Đốc,Phường Châu Đốc\n"
                                  "30337,91,commune,xã,An Phú,Xã An Phú\n"
                                  "31150,91,commune,phường,Rạch Giá,Phường Rạch Giá\n"
                                  "31288,91,commune,đặc khu,Phú Quốc,Đặc khu Phú Quốc\n";

std::vector<std::string> codes(std::span<const AdminUnit> units) {
    std::vector<std::string> out;
    for (const auto& u : units) {
        out.push_back(u.code);
    }
    return out;
}

}  // namespace

TEST(AdminUnitCsv, TheAnGiangDatasetGivesOneProvinceElevenDistrictsAnd156Communes) {
    AdminUnitTree tree;
    const auto errors = import_admin_unit_csv(dataset(), tree);
    ASSERT_TRUE(errors.empty()) << join_errors(errors);
    EXPECT_EQ(tree.size(), 168U);
    EXPECT_EQ(tree.count_level("province"), 1U);
    EXPECT_EQ(tree.count_level("district"), 11U);
    EXPECT_EQ(tree.count_level("commune"), 156U);

    const auto roots = tree.roots();
    ASSERT_EQ(roots.size(), 1U);
    EXPECT_EQ(roots[0]->code, "89");
    EXPECT_EQ(roots[0]->name_with_type, "Tỉnh An Giang");
    EXPECT_EQ(tree.children("89").size(), 11U);

    // Long Xuyên city: itself and its 13 wards and communes, nothing else.
    const auto lx = tree.subtree("883");
    ASSERT_EQ(lx.size(), 14U);
    EXPECT_EQ(lx[0].name_with_type, "Thành phố Long Xuyên");
    EXPECT_TRUE(std::all_of(lx.begin() + 1, lx.end(),
                            [](const AdminUnit& u) { return u.parent_code == "883"; }));
    EXPECT_TRUE(tree.is_within("30280", "883"));
    EXPECT_TRUE(tree.is_within("30280", "89"));
    EXPECT_FALSE(tree.is_within("30316", "883"));
    EXPECT_EQ(tree.depth(*tree.index_of("30280")), 2U);
    EXPECT_EQ(tree.find("30280")->unit_type, "phường");
    EXPECT_EQ(tree.find("30280")->name, "Mỹ Bình");

    const auto stations = default_stations(tree);
    ASSERT_EQ(stations.size(), 168U);
    std::size_t provincial = 0;
    std::size_t district = 0;
    std::size_t commune = 0;
    for (const auto& s : stations) {
        const auto* u = tree.find(s.unit_code);
        ASSERT_NE(u, nullptr);
        EXPECT_EQ(s.id, u->code);
        EXPECT_EQ(s.name, u->name_with_type);
        EXPECT_EQ(s.zones, std::vector<std::string>{"main"});
        provincial += u->level == "province" ? 1 : 0;
        district += u->level == "district" ? 1 : 0;
        commune += u->level == "commune" ? 1 : 0;
    }
    EXPECT_EQ(provincial, 1U);
    EXPECT_EQ(district, 11U);
    EXPECT_EQ(commune, 156U);
}

TEST(AdminUnitCsv, TheTwoLevelTreeOf2025Loads) {
    AdminUnitTree tree;
    const auto errors = import_admin_unit_csv(kTwoLevel2025, tree);
    ASSERT_TRUE(errors.empty()) << join_errors(errors);
    EXPECT_EQ(tree.size(), 6U);
    EXPECT_EQ(tree.children("91").size(), 5U);
    EXPECT_EQ(tree.depth(*tree.index_of("31288")), 1U);
    EXPECT_EQ(tree.find("31288")->name_with_type, "Đặc khu Phú Quốc");
    EXPECT_EQ(tree.subtree("91").size(), 6U);
}

TEST(AdminUnitCsv, BothTreesLiveSideBySide) {
    AdminUnitTree tree;
    ASSERT_TRUE(import_admin_unit_csv(dataset(), tree).empty());
    // The 2025 sample reuses some 2019 codes (30280, 30316, ...) under a new parent: an import is
    // an update, so those units move under province 91.
    ASSERT_TRUE(import_admin_unit_csv(kTwoLevel2025, tree).empty());
    EXPECT_EQ(tree.roots().size(), 2U);
    EXPECT_TRUE(tree.is_within("30280", "91"));
    EXPECT_FALSE(tree.is_within("30280", "883"));
    EXPECT_EQ(tree.find("30280")->name, "Long Xuyên");
    EXPECT_EQ(tree.subtree("883").size(), 13U);
}

TEST(AdminUnitCsv, AChildMayComeBeforeItsParentAndQuotedFieldsKeepCommas) {
    const std::string csv =
        "\xEF\xBB\xBF" + kHeader +
        "30280,883,commune,phường,Mỹ Bình,\"Phường Mỹ Bình, \"\"trung tâm\"\"\"\r\n"
        "883,89,district,thành phố,Long Xuyên,Thành phố Long Xuyên\r\n"
        "\r\n"
        "89,,province,tỉnh,An Giang,Tỉnh An Giang\r\n";
    AdminUnitTree tree;
    const auto errors = import_admin_unit_csv(csv, tree);
    ASSERT_TRUE(errors.empty()) << join_errors(errors);
    EXPECT_EQ(codes(tree.units()), (std::vector<std::string>{"89", "883", "30280"}));
    EXPECT_EQ(tree.find("30280")->name_with_type, "Phường Mỹ Bình, \"trung tâm\"");
}

TEST(AdminUnitCsv, AQuotedFieldMaySpanLinesAndLaterLinesKeepTheirNumbers) {
    const std::string csv = kHeader +
                            "89,,province,tỉnh,An Giang,\"Tỉnh\nAn Giang\"\n"
                            "883,999,district,thành phố,Long Xuyên,Thành phố Long Xuyên\n";
    AdminUnitTree tree;
    const auto errors = import_admin_unit_csv(csv, tree);
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_EQ(errors[0].to_string(), "line 4: parent_code 999 is not a known unit");
}

TEST(AdminUnitCsv, EveryBadLineIsReportedAndNothingChanges) {
    AdminUnitTree tree;
    ASSERT_TRUE(import_admin_unit_csv(kTwoLevel2025, tree).empty());
    const std::string csv = kHeader +                                     // line 1
                            "89,,province,tỉnh,An Giang,Tỉnh An Giang\n"  // 2
                            "883,89,district,thành phố,Long Xuyên,\n"     // 3
                            "30280,999,commune,phường,Mỹ Bình,\n"         // 4
                            "883,89,district,thành phố,Again,\n"          // 5
                            "30283,883,commune,phường,,\n"                // 6
                            "bad code,89,district,huyện,X,\n"             // 7
                            "30285,883,commune\n"                         // 8
                            "1,2,commune,xã,A,\n"                         // 9
                            "2,1,commune,xã,B,\n"                         // 10
                            "30289,\"883,commune,xã,C,\n";                // 11
    const auto errors = import_admin_unit_csv(csv, tree);
    const std::vector<std::string> expected{
        "line 4: parent_code 999 is not a known unit",
        "line 5: code 883 is already on line 3",
        "line 6: name is empty",
        "line 7: code 'bad code' is not 1-64 letters, digits, '-', '_' or '.'",
        "line 8: 3 fields, expected 6",
        "line 9: unit 1 is its own ancestor (1 → 2 → 1)",
        "line 11: a quoted field is not closed",
    };
    std::vector<std::string> got;
    for (const auto& e : errors) {
        got.push_back(e.to_string());
    }
    EXPECT_EQ(got, expected) << join_errors(errors);
    // The tree is as it was.
    EXPECT_EQ(tree.size(), 6U);
    EXPECT_EQ(tree.find("883"), nullptr);
}

TEST(AdminUnitCsv, AReimportThatMakesACycleIsRefused) {
    AdminUnitTree tree;
    ASSERT_TRUE(import_admin_unit_csv(dataset(), tree).empty());
    const auto errors =
        import_admin_unit_csv(kHeader + "89,30280,province,tỉnh,An Giang,Tỉnh An Giang\n", tree);
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_EQ(errors[0].to_string(), "line 2: unit 89 is its own ancestor (89 → 30280 → 883 → 89)");
    EXPECT_EQ(tree.roots().size(), 1U);
    EXPECT_EQ(tree.find("89")->parent_code, "");
}

TEST(AdminUnitCsv, BadUtf8AndMissingColumnsAreNamed) {
    AdminUnitTree tree;
    auto errors = import_admin_unit_csv(kHeader + "89,,province,tỉnh,An \xC3\x28Giang,\n", tree);
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_EQ(errors[0].to_string(), "line 2: not valid UTF-8");

    errors = import_admin_unit_csv("code,name\n89,An Giang\n", tree);
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_EQ(errors[0].to_string(), "line 1: missing column 'parent_code'");

    errors = import_admin_unit_csv("", tree);
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_EQ(errors[0].to_string(), "line 1: the file has no header line");
    EXPECT_TRUE(tree.empty());
}

TEST(AdminUnitTree, MergeWithoutLinesNamesUnitsByPosition) {
    AdminUnitTree tree;
    const auto errors =
        tree.merge({{"1", "", "province", "", "P", ""}, {"2", "7", "", "", "Q", ""}});
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_EQ(errors[0].to_string(), "line 2: parent_code 7 is not a known unit");
    EXPECT_TRUE(tree.empty());
}

TEST(AdminUnitTree, ADeepTreeKeepsEverySubtreeContiguous) {
    // Ten levels, two children each at the top, a chain below.
    std::vector<AdminUnit> units;
    units.push_back({"r", "", "l0", "", "root", ""});
    units.push_back({"a", "r", "l1", "", "a", ""});
    units.push_back({"b", "r", "l1", "", "b", ""});
    std::string parent = "a";
    for (int i = 0; i < 8; ++i) {
        const std::string code = "a" + std::to_string(i);
        units.push_back({code, parent, "l" + std::to_string(i + 2), "", code, ""});
        parent = code;
    }
    AdminUnitTree tree;
    ASSERT_TRUE(tree.merge(units).empty());
    EXPECT_EQ(tree.subtree("a").size(), 9U);
    EXPECT_EQ(tree.subtree("b").size(), 1U);
    EXPECT_EQ(tree.depth(*tree.index_of("a7")), 9U);
    EXPECT_TRUE(tree.is_within("a7", "r"));
    EXPECT_FALSE(tree.is_within("a7", "b"));
    EXPECT_EQ(tree.children("r").size(), 2U);
    EXPECT_TRUE(tree.subtree("nope").empty());
}

TEST(StationCsv, StationsWithZonesAndDefaultNames) {
    AdminUnitTree tree;
    ASSERT_TRUE(import_admin_unit_csv(dataset(), tree).empty());
    const auto result = parse_station_csv(
        "station_id,unit_code,name,zones\n"
        "lx-my-binh,30280,,main;market\n"
        "lx-my-binh-2,30280,Chợ Mỹ Bình,\"market ; school\"\n"
        "ag,89,Đài tỉnh,\n",
        tree);
    ASSERT_TRUE(result.ok()) << join_errors(result.errors);
    ASSERT_EQ(result.stations.size(), 3U);
    EXPECT_EQ(result.stations[0],
              (Station{"lx-my-binh", "30280", "Phường Mỹ Bình", {"main", "market"}}));
    EXPECT_EQ(result.stations[1],
              (Station{"lx-my-binh-2", "30280", "Chợ Mỹ Bình", {"market", "school"}}));
    EXPECT_EQ(result.stations[2], (Station{"ag", "89", "Đài tỉnh", {"main"}}));
}

TEST(StationCsv, ColumnsMayComeInAnyOrderAndNameAndZonesMayBeAbsent) {
    AdminUnitTree tree;
    ASSERT_TRUE(import_admin_unit_csv(dataset(), tree).empty());
    const auto result = parse_station_csv("unit_code,station_id\n883,lx\n", tree);
    ASSERT_TRUE(result.ok()) << join_errors(result.errors);
    EXPECT_EQ(result.stations[0], (Station{"lx", "883", "Thành phố Long Xuyên", {"main"}}));
}

TEST(StationCsv, EveryBadLineIsReportedAndNoStationIsReturned) {
    AdminUnitTree tree;
    ASSERT_TRUE(import_admin_unit_csv(dataset(), tree).empty());
    const auto result = parse_station_csv(
        "station_id,unit_code,name,zones\n"  // 1
        "a,30280,,main\n"                    // 2
        "b,999,,main\n"                      // 3
        "a,30283,,main\n"                    // 4
        "c d,30283,,main\n"                  // 5
        "e,30283,,main;;x\n"                 // 6
        "f,30283,,main;main\n"               // 7
        "g,,,main\n",                        // 8
        tree);
    EXPECT_FALSE(result.ok());
    EXPECT_TRUE(result.stations.empty());
    std::vector<std::string> got;
    for (const auto& e : result.errors) {
        got.push_back(e.to_string());
    }
    EXPECT_EQ(got, (std::vector<std::string>{
                       "line 3: unit_code 999 is not a known unit",
                       "line 4: station_id a is already on line 2",
                       "line 5: station_id 'c d' is not 1-64 letters, digits, '-', '_' or '.'",
                       "line 6: a zone name is empty",
                       "line 7: zone 'main' is listed twice",
                       "line 8: unit_code is empty",
                   }));
}

TEST(StationCsv, MissingColumnsAreNamed) {
    AdminUnitTree tree;
    const auto result = parse_station_csv("id,unit\n", tree);
    ASSERT_EQ(result.errors.size(), 2U);
    EXPECT_EQ(result.errors[0].to_string(), "line 1: missing column 'station_id'");
    EXPECT_EQ(result.errors[1].to_string(), "line 1: missing column 'unit_code'");
}
