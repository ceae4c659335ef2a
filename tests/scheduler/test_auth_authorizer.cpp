#include "loa/scheduler/admin_units.hpp"
#include "loa/scheduler/authorizer.hpp"
#include "loa/scheduler/planning.hpp"
#include "loa/scheduler/station_csv.hpp"
#include "loa/scheduler/users.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace loa;
using namespace loa::scheduler;

namespace {

// Province 89 → districts 883 and 889 → communes 30280, 30283 (in 883) and 30301 (in 889).
AdminUnitTree make_tree() {
    AdminUnitTree tree;
    const auto errors = tree.merge({
        {"89", "", "province", "tỉnh", "An Giang", "Tỉnh An Giang"},
        {"883", "89", "district", "thành phố", "Long Xuyên", "Thành phố Long Xuyên"},
        {"889", "89", "district", "huyện", "Châu Phú", "Huyện Châu Phú"},
        {"30280", "883", "commune", "phường", "Mỹ Bình", "Phường Mỹ Bình"},
        {"30283", "883", "commune", "phường", "Mỹ Long", "Phường Mỹ Long"},
        {"30301", "889", "commune", "xã", "Bình Mỹ", "Xã Bình Mỹ"},
    });
    EXPECT_TRUE(errors.empty());
    return tree;
}

std::vector<Station> make_stations() {
    return {{"st-89", "89", "Đài tỉnh", {"main"}},
            {"st-883", "883", "Đài Long Xuyên", {"main"}},
            {"st-30280", "30280", "Mỹ Bình", {"main", "market"}},
            {"st-30283", "30283", "Mỹ Long", {"main"}},
            {"st-30301", "30301", "Bình Mỹ", {"main"}}};
}

User user(std::string name, Role role, std::string scope) {
    User u;
    u.id = 1;
    u.name = std::move(name);
    u.display_name = u.name;
    u.role = role;
    u.scope = std::move(scope);
    return u;
}

ScheduleEntry entry_for_unit(std::string unit, PriorityClass priority, std::int64_t id = 7) {
    ScheduleEntry e;
    e.id = id;
    e.title = "Thông báo";
    e.what = AssetContent{std::string(64, 'a'), std::chrono::seconds{60}};
    e.where.units = {std::move(unit)};
    e.priority = priority;
    return e;
}

class AuthorizerTest : public ::testing::Test {
protected:
    AdminUnitTree tree = make_tree();
    std::vector<Station> stations = make_stations();
    Authorizer authorizer{tree, stations};

    const User admin = user("root", Role::admin, "");
    const User district = user("lan", Role::district_operator, "883");
    const User commune = user("minh", Role::commune_operator, "30280");
    const User viewer = user("thu", Role::viewer, "883");
};

// Every role × every action × inside / outside its scope. "Inside" is commune 30280 (within
// each non-admin user's scope), "outside" is commune 30301 (in the other district). Each user
// plans at its own highest class.
enum class Act {
    see_unit,
    see_station,
    create,
    edit,
    retire,
    approve,
    upload,
    import_units,
    manage_stations,
    manage_users,
    read_audit
};

const char* act_name(Act a) {
    switch (a) {
        case Act::see_unit:
            return "see unit";
        case Act::see_station:
            return "see station";
        case Act::create:
            return "create entry";
        case Act::edit:
            return "edit entry";
        case Act::retire:
            return "retire entry";
        case Act::approve:
            return "approve entry";
        case Act::upload:
            return "upload assets";
        case Act::import_units:
            return "import units";
        case Act::manage_stations:
            return "manage stations";
        case Act::manage_users:
            return "manage users";
        case Act::read_audit:
            return "read audit";
    }
    return "?";
}

struct Row {
    Role role;
    Act act;
    bool in_scope;
    bool allowed;
    const char* reason;  // a part of the denial's message
};

// clang-format off
const Row kTable[] = {
    // admin (no scope: everything)
    {Role::admin, Act::see_unit, true, true, ""},
    {Role::admin, Act::see_unit, false, true, ""},
    {Role::admin, Act::see_station, true, true, ""},
    {Role::admin, Act::see_station, false, true, ""},
    {Role::admin, Act::create, true, true, ""},
    {Role::admin, Act::create, false, true, ""},
    {Role::admin, Act::edit, true, true, ""},
    {Role::admin, Act::edit, false, true, ""},
    {Role::admin, Act::retire, true, true, ""},
    {Role::admin, Act::retire, false, true, ""},
    {Role::admin, Act::approve, true, true, ""},
    {Role::admin, Act::approve, false, true, ""},
    {Role::admin, Act::upload, true, true, ""},
    {Role::admin, Act::import_units, true, true, ""},
    {Role::admin, Act::manage_stations, true, true, ""},
    {Role::admin, Act::manage_users, true, true, ""},
    {Role::admin, Act::read_audit, true, true, ""},
    // district-operator of 883
    {Role::district_operator, Act::see_unit, true, true, ""},
    {Role::district_operator, Act::see_unit, false, false, "district-operator of 883 cannot see unit 30301, which is outside 883"},
    {Role::district_operator, Act::see_station, true, true, ""},
    {Role::district_operator, Act::see_station, false, false, "district-operator of 883 cannot see station st-30301 (unit 30301), which is outside 883"},
    {Role::district_operator, Act::create, true, true, ""},
    {Role::district_operator, Act::create, false, false, "district-operator of 883 cannot target unit 30301, which is outside 883"},
    {Role::district_operator, Act::edit, true, true, ""},
    {Role::district_operator, Act::edit, false, false, "cannot edit entry 7: district-operator of 883 cannot target unit 30301, which is outside 883"},
    {Role::district_operator, Act::retire, true, true, ""},
    {Role::district_operator, Act::retire, false, false, "cannot retire entry 7: district-operator of 883 cannot target unit 30301"},
    {Role::district_operator, Act::approve, true, true, ""},
    {Role::district_operator, Act::approve, false, false, "cannot approve entry 7: district-operator of 883 cannot target unit 30301"},
    {Role::district_operator, Act::upload, true, true, ""},
    {Role::district_operator, Act::import_units, true, false, "district-operator of 883 cannot import admin units"},
    {Role::district_operator, Act::manage_stations, true, false, "cannot manage stations"},
    {Role::district_operator, Act::manage_users, true, false, "cannot manage users"},
    {Role::district_operator, Act::read_audit, true, false, "cannot read the audit log"},
    // commune-operator of 30280
    {Role::commune_operator, Act::see_unit, true, true, ""},
    {Role::commune_operator, Act::see_unit, false, false, "commune-operator of 30280 cannot see unit 30301, which is outside 30280"},
    {Role::commune_operator, Act::see_station, true, true, ""},
    {Role::commune_operator, Act::see_station, false, false, "cannot see station st-30301"},
    {Role::commune_operator, Act::create, true, true, ""},
    {Role::commune_operator, Act::create, false, false, "commune-operator of 30280 cannot target unit 30301, which is outside 30280"},
    {Role::commune_operator, Act::edit, true, true, ""},
    {Role::commune_operator, Act::edit, false, false, "cannot edit entry 7"},
    {Role::commune_operator, Act::retire, true, true, ""},
    {Role::commune_operator, Act::retire, false, false, "cannot retire entry 7"},
    {Role::commune_operator, Act::approve, true, true, ""},
    {Role::commune_operator, Act::approve, false, false, "cannot approve entry 7"},
    {Role::commune_operator, Act::upload, true, true, ""},
    {Role::commune_operator, Act::import_units, true, false, "commune-operator of 30280 cannot import admin units"},
    {Role::commune_operator, Act::manage_stations, true, false, "cannot manage stations"},
    {Role::commune_operator, Act::manage_users, true, false, "cannot manage users"},
    {Role::commune_operator, Act::read_audit, true, false, "cannot read the audit log"},
    // viewer of 883: reads its scope, changes nothing
    {Role::viewer, Act::see_unit, true, true, ""},
    {Role::viewer, Act::see_unit, false, false, "viewer of 883 cannot see unit 30301, which is outside 883"},
    {Role::viewer, Act::see_station, true, true, ""},
    {Role::viewer, Act::see_station, false, false, "viewer of 883 cannot see station st-30301"},
    {Role::viewer, Act::create, true, false, "viewer of 883 cannot plan schedule entries: a viewer may not"},
    {Role::viewer, Act::create, false, false, "cannot plan schedule entries"},
    {Role::viewer, Act::edit, true, false, "cannot plan schedule entries"},
    {Role::viewer, Act::edit, false, false, "cannot plan schedule entries"},
    {Role::viewer, Act::retire, true, false, "cannot plan schedule entries"},
    {Role::viewer, Act::retire, false, false, "cannot plan schedule entries"},
    {Role::viewer, Act::approve, true, false, "cannot plan schedule entries"},
    {Role::viewer, Act::approve, false, false, "cannot plan schedule entries"},
    {Role::viewer, Act::upload, true, false, "viewer of 883 cannot upload assets"},
    {Role::viewer, Act::import_units, true, false, "cannot import admin units"},
    {Role::viewer, Act::manage_stations, true, false, "cannot manage stations"},
    {Role::viewer, Act::manage_users, true, false, "cannot manage users"},
    {Role::viewer, Act::read_audit, true, false, "cannot read the audit log"},
};
// clang-format on

TEST_F(AuthorizerTest, EveryRoleActionAndScope) {
    const auto user_of = [&](Role r) -> const User& {
        switch (r) {
            case Role::admin:
                return admin;
            case Role::district_operator:
                return district;
            case Role::commune_operator:
                return commune;
            case Role::viewer:
                return viewer;
        }
        return viewer;
    };
    const auto own_class = [](Role r) {
        switch (r) {
            case Role::admin:
                return wire::PROVINCE;
            case Role::district_operator:
                return wire::DISTRICT;
            default:
                return wire::COMMUNE;
        }
    };
    // 4 roles × (6 scoped actions × inside/outside + 5 capabilities).
    EXPECT_EQ(std::size(kTable), 4u * (6u * 2u + 5u));
    for (const auto& row : kTable) {
        const User& u = user_of(row.role);
        const std::string unit = row.in_scope ? "30280" : "30301";
        const std::string station = "st-" + unit;
        const auto entry = entry_for_unit(unit, own_class(row.role));
        Status s;
        switch (row.act) {
            case Act::see_unit:
                s = authorizer.can_see_unit(u, unit);
                break;
            case Act::see_station:
                s = authorizer.can_see_station(u, station);
                break;
            case Act::create:
                s = authorizer.can_create_entry(u, entry);
                break;
            case Act::edit:
                s = authorizer.can_edit_entry(u, entry, entry);
                break;
            case Act::retire:
                s = authorizer.can_retire_entry(u, entry);
                break;
            case Act::approve:
                s = authorizer.can_approve_entry(u, entry, u);
                break;
            case Act::upload:
                s = authorizer.can(u, Capability::upload_assets);
                break;
            case Act::import_units:
                s = authorizer.can(u, Capability::import_units);
                break;
            case Act::manage_stations:
                s = authorizer.can(u, Capability::manage_stations);
                break;
            case Act::manage_users:
                s = authorizer.can(u, Capability::manage_users);
                break;
            case Act::read_audit:
                s = authorizer.can(u, Capability::read_audit);
                break;
        }
        SCOPED_TRACE(testing::Message() << role_name(row.role) << " " << act_name(row.act) << " "
                                        << (row.in_scope ? "inside" : "outside"));
        EXPECT_EQ(s.ok(), row.allowed) << s.message();
        if (!row.allowed) {
            EXPECT_NE(s.message().find(row.reason), std::string::npos) << s.message();
        }
    }
}

// Every role × every priority class, inside the user's scope.
TEST_F(AuthorizerTest, EveryRoleAndClass) {
    struct ClassRow {
        const User* u;
        PriorityClass priority;
        bool allowed;
    };
    const ClassRow rows[] = {
        {&admin, wire::EMERGENCY, true},    {&admin, wire::PROVINCE, true},
        {&admin, wire::DISTRICT, true},     {&admin, wire::COMMUNE, true},
        {&admin, wire::FILLER, true},       {&district, wire::EMERGENCY, false},
        {&district, wire::PROVINCE, false}, {&district, wire::DISTRICT, true},
        {&district, wire::COMMUNE, true},   {&district, wire::FILLER, true},
        {&commune, wire::EMERGENCY, false}, {&commune, wire::PROVINCE, false},
        {&commune, wire::DISTRICT, false},  {&commune, wire::COMMUNE, true},
        {&commune, wire::FILLER, true},     {&viewer, wire::EMERGENCY, false},
        {&viewer, wire::PROVINCE, false},   {&viewer, wire::DISTRICT, false},
        {&viewer, wire::COMMUNE, false},    {&viewer, wire::FILLER, false},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(testing::Message() << row.u->name << " " << priority_class_name(row.priority));
        const auto s = authorizer.can_create_entry(*row.u, entry_for_unit("30280", row.priority));
        EXPECT_EQ(s.ok(), row.allowed) << s.message();
    }
    const auto s = authorizer.can_create_entry(commune, entry_for_unit("30280", wire::DISTRICT));
    EXPECT_EQ(s.message(),
              "commune-operator of 30280 cannot schedule a district item: a commune-operator "
              "schedules only commune and filler items");
    const auto d = authorizer.can_create_entry(district, entry_for_unit("883", wire::PROVINCE));
    EXPECT_EQ(d.message(),
              "district-operator of 883 cannot schedule a province item: a district-operator "
              "schedules only district, commune and filler items");
    EXPECT_FALSE(
        authorizer.can_create_entry(admin, entry_for_unit("89", wire::PRIORITY_CLASS_UNSPECIFIED)));
}

TEST_F(AuthorizerTest, ReasonNamesTheUnitOutsideTheScope) {
    const auto s = authorizer.can_create_entry(user("lan", Role::district_operator, "889"),
                                               entry_for_unit("30280", wire::DISTRICT));
    EXPECT_EQ(s.message(),
              "district-operator of 889 cannot target unit 30280, which is outside 889");
}

TEST_F(AuthorizerTest, EveryKindOfTargetMustLieWithinScope) {
    ScheduleEntry e = entry_for_unit("30280", wire::COMMUNE);
    e.where.stations = {"st-30280"};
    e.where.zones = {{"st-30280", "market"}};
    EXPECT_TRUE(authorizer.can_create_entry(commune, e));

    ScheduleEntry by_station = e;
    by_station.where.stations.push_back("st-30283");
    EXPECT_EQ(authorizer.can_create_entry(commune, by_station).message(),
              "commune-operator of 30280 cannot target station st-30283 (unit 30283), which is "
              "outside 30280");

    ScheduleEntry by_zone = e;
    by_zone.where.zones.push_back({"st-30301", "main"});
    EXPECT_NE(authorizer.can_create_entry(commune, by_zone).message().find("station st-30301"),
              std::string::npos);

    // The district unit itself is above a commune operator's scope.
    EXPECT_FALSE(authorizer.can_create_entry(commune, entry_for_unit("883", wire::COMMUNE)));
    EXPECT_TRUE(authorizer.can_create_entry(district, entry_for_unit("883", wire::COMMUNE)));

    ScheduleEntry unknown = e;
    unknown.where.stations = {"st-nowhere"};
    EXPECT_EQ(authorizer.can_create_entry(admin, unknown).message(),
              "station st-nowhere is not a known station");
    EXPECT_EQ(authorizer.can_create_entry(admin, entry_for_unit("12345", wire::PROVINCE)).message(),
              "unit 12345 is not a known unit");
    ScheduleEntry none = e;
    none.where = {};
    EXPECT_EQ(authorizer.can_create_entry(admin, none).message(), "entry 7 has no target");
}

TEST_F(AuthorizerTest, EditNeedsTheEntryBeforeAndAfter) {
    const auto mine = entry_for_unit("30280", wire::COMMUNE);
    auto moved = mine;
    moved.where.units = {"30301"};
    EXPECT_NE(
        authorizer.can_edit_entry(commune, mine, moved).message().find("cannot make entry 7 so"),
        std::string::npos);
    // A province item that airs in the commune is not the commune operator's to change.
    const auto province = entry_for_unit("30280", wire::PROVINCE);
    auto demoted = province;
    demoted.priority = wire::COMMUNE;
    EXPECT_NE(authorizer.can_edit_entry(commune, province, demoted)
                  .message()
                  .find("cannot edit entry 7: commune-operator of 30280 cannot schedule a "
                        "province item"),
              std::string::npos);
    EXPECT_FALSE(authorizer.can_retire_entry(commune, province));
    EXPECT_TRUE(authorizer.can_retire_entry(admin, province));
}

TEST_F(AuthorizerTest, ApprovalOfCommuneEntriesNeedsAWiderScope) {
    Authorizer strict{tree, stations, AuthPolicy{{Role::commune_operator}}};
    const auto e = entry_for_unit("30280", wire::COMMUNE);
    EXPECT_TRUE(strict.needs_approval(Role::commune_operator));
    EXPECT_FALSE(strict.needs_approval(Role::district_operator));
    EXPECT_EQ(strict.initial_state(commune), EntryState::draft);
    EXPECT_EQ(strict.initial_state(district), EntryState::approved);
    EXPECT_EQ(strict.initial_state(admin), EntryState::approved);

    const auto own = strict.can_approve_entry(commune, e, commune);
    EXPECT_NE(own.message().find("minh cannot approve entry 7: it is its own entry"),
              std::string::npos)
        << own.message();
    const User colleague = user("hoa", Role::commune_operator, "30280");
    EXPECT_EQ(strict.can_approve_entry(colleague, e, commune).message(),
              "commune-operator of 30280 cannot approve entry 7: entries of a commune-operator "
              "need a user whose scope is wider than its author's (30280)");
    EXPECT_TRUE(strict.can_approve_entry(district, e, commune));
    EXPECT_TRUE(strict.can_approve_entry(admin, e, commune));
    EXPECT_TRUE(strict.can_approve_entry(user("an", Role::admin, "89"), e, commune));
    EXPECT_NE(strict.can_approve_entry(user("vy", Role::district_operator, "889"), e, commune)
                  .message()
                  .find("cannot target unit 30280, which is outside 889"),
              std::string::npos);
    EXPECT_FALSE(strict.can_approve_entry(viewer, e, commune));

    // Without the policy, an author may approve its own draft.
    EXPECT_TRUE(authorizer.can_approve_entry(commune, e, commune));
    EXPECT_EQ(authorizer.initial_state(commune), EntryState::approved);
}

TEST_F(AuthorizerTest, EntriesAreVisibleWhereTheyOverlapTheScope) {
    EXPECT_TRUE(authorizer.sees_entry(commune, entry_for_unit("89", wire::PROVINCE)));
    EXPECT_TRUE(authorizer.sees_entry(commune, entry_for_unit("883", wire::DISTRICT)));
    EXPECT_FALSE(authorizer.sees_entry(commune, entry_for_unit("30283", wire::COMMUNE)));
    EXPECT_FALSE(authorizer.sees_entry(commune, entry_for_unit("889", wire::DISTRICT)));
    EXPECT_TRUE(authorizer.sees_entry(viewer, entry_for_unit("30283", wire::COMMUNE)));
    EXPECT_TRUE(authorizer.sees_entry(admin, entry_for_unit("30301", wire::COMMUNE)));
    ScheduleEntry by_station;
    by_station.where.stations = {"st-30301", "st-30280"};
    EXPECT_TRUE(authorizer.sees_entry(commune, by_station));
    by_station.where.stations = {"st-30301"};
    EXPECT_FALSE(authorizer.sees_entry(commune, by_station));
    // Units above the scope are visible (the province a commune belongs to), siblings not.
    EXPECT_TRUE(authorizer.can_see_unit(commune, "89"));
    EXPECT_FALSE(authorizer.can_see_unit(commune, "30283"));
}

TEST_F(AuthorizerTest, DisabledUsersAndBadScopesMayDoNothing) {
    User off = district;
    off.disabled = true;
    EXPECT_EQ(authorizer.can(off, Capability::read).message(), "user 'lan' is disabled");
    EXPECT_FALSE(authorizer.can_create_entry(off, entry_for_unit("30280", wire::COMMUNE)));
    EXPECT_FALSE(authorizer.sees_entry(off, entry_for_unit("30280", wire::COMMUNE)));

    const User lost = user("ghost", Role::district_operator, "999");
    EXPECT_EQ(authorizer.can(lost, Capability::read).message(),
              "the scope 999 of user 'ghost' is not a known unit");
    const User unscoped = user("nobody", Role::viewer, "");
    EXPECT_FALSE(authorizer.can_see_unit(unscoped, "30280"));
}

TEST_F(AuthorizerTest, AdminsHandOutOnlyScopesTheyHave) {
    EXPECT_TRUE(authorizer.can_manage_user(admin, {"lan", "", Role::district_operator, "883"}));
    EXPECT_TRUE(authorizer.can_manage_user(admin, {"boss", "", Role::admin, ""}));
    EXPECT_TRUE(authorizer.can_manage_user(admin, {"boss", "", Role::admin, "89"}));
    EXPECT_EQ(authorizer.can_manage_user(admin, {"x", "", Role::viewer, "999"}).message(),
              "scope: 999 is not a known unit");
    EXPECT_EQ(authorizer.can_manage_user(admin, {"x", "", Role::admin, "883"}).message(),
              "scope: an admin's scope is every unit or a root unit, and 883 lies under 89");
    EXPECT_EQ(authorizer.can_manage_user(admin, {"x", "", Role::viewer, ""}).message(),
              "scope: a viewer needs a scope");

    const User provincial = user("an", Role::admin, "89");
    EXPECT_TRUE(authorizer.can_manage_user(provincial, {"x", "", Role::viewer, "30301"}));
    EXPECT_EQ(authorizer.can_manage_user(provincial, {"x", "", Role::admin, ""}).message(),
              "admin of 89 cannot give user 'x' every unit: it has only 89");
    EXPECT_NE(authorizer.can_manage_user(district, {"x", "", Role::viewer, "30280"})
                  .message()
                  .find("cannot manage users"),
              std::string::npos);
}

TEST(Roles, NamesRoundTrip) {
    for (const Role r : all_roles()) {
        EXPECT_EQ(parse_role(role_name(r)), r);
    }
    EXPECT_FALSE(parse_role("superuser"));
    EXPECT_TRUE(is_valid_user_name("nguyen.van-an_2"));
    EXPECT_FALSE(is_valid_user_name(".hidden"));
    EXPECT_FALSE(is_valid_user_name(""));
    EXPECT_FALSE(is_valid_user_name(std::string(65, 'a')));
}

}  // namespace
