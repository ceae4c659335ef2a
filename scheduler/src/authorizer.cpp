#include "loa/scheduler/authorizer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace loa::scheduler {
namespace {

// One row per role: what it may do, and the highest class it may schedule.
struct RoleRow {
    Role role;
    PriorityClass highest_class;  // PRIORITY_CLASS_UNSPECIFIED: plans nothing
    bool upload_assets;
    bool import_units;
    bool manage_stations;
    bool manage_users;
    bool read_audit;
};

constexpr std::array<RoleRow, 4> kRoleTable{{
    {Role::admin, wire::EMERGENCY, true, true, true, true, true},
    {Role::district_operator, wire::DISTRICT, true, false, false, false, false},
    {Role::commune_operator, wire::COMMUNE, true, false, false, false, false},
    {Role::viewer, wire::PRIORITY_CLASS_UNSPECIFIED, false, false, false, false, false},
}};

const RoleRow& row_of(Role role) {
    for (const auto& row : kRoleTable) {
        if (row.role == role) {
            return row;
        }
    }
    return kRoleTable.back();  // unreachable: every role has a row
}

bool allowed_by_row(const RoleRow& row, Capability capability) {
    switch (capability) {
        case Capability::read:
            return true;
        case Capability::plan:
            return row.highest_class != wire::PRIORITY_CLASS_UNSPECIFIED;
        case Capability::upload_assets:
            return row.upload_assets;
        case Capability::import_units:
            return row.import_units;
        case Capability::manage_stations:
            return row.manage_stations;
        case Capability::manage_users:
            return row.manage_users;
        case Capability::read_audit:
            return row.read_audit;
    }
    return false;
}

// "commune and filler", "district, commune and filler", ...
std::string classes_up_to(PriorityClass highest) {
    std::vector<std::string_view> names;
    for (int c = highest; c >= wire::FILLER; --c) {
        names.push_back(priority_class_name(static_cast<PriorityClass>(c)));
    }
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        out += i == 0 ? "" : (i + 1 == names.size() ? " and " : ", ");
        out += names[i];
    }
    return out;
}

std::string entry_name(const ScheduleEntry& entry) {
    return entry.id > 0 ? fmt::format("entry {}", entry.id) : std::string{"the entry"};
}

}  // namespace

std::string_view capability_name(Capability capability) {
    switch (capability) {
        case Capability::read:
            return "read";
        case Capability::plan:
            return "plan schedule entries";
        case Capability::upload_assets:
            return "upload assets";
        case Capability::import_units:
            return "import admin units";
        case Capability::manage_stations:
            return "manage stations";
        case Capability::manage_users:
            return "manage users";
        case Capability::read_audit:
            return "read the audit log";
    }
    return "do that";
}

Authorizer::Authorizer(const AdminUnitTree& units, std::span<const Station> stations,
                       AuthPolicy policy)
    : units_{units}, policy_{std::move(policy)} {
    station_units_.reserve(stations.size());
    for (const auto& station : stations) {
        station_units_.emplace(station.id, station.unit_code);
    }
}

std::string Authorizer::who(const User& user) const {
    if (user.has_global_scope()) {
        return fmt::format("{} {}", role_name(user.role), user.name);
    }
    return fmt::format("{} of {}", role_name(user.role), user.scope);
}

Status Authorizer::can(const User& user, Capability capability) const {
    if (user.disabled) {
        return Error{fmt::format("user '{}' is disabled", user.name)};
    }
    if (!allowed_by_row(row_of(user.role), capability)) {
        return Error{fmt::format("{} cannot {}: a {} may not", who(user),
                                 capability_name(capability), role_name(user.role))};
    }
    return valid_scope(user);
}

Status Authorizer::valid_scope(const User& user) const {
    if (user.has_global_scope()) {
        if (user.role != Role::admin) {
            return Error{fmt::format("{} {} has no scope; only an admin may have none",
                                     role_name(user.role), user.name)};
        }
        return {};
    }
    if (units_.find(user.scope) == nullptr) {
        return Error{
            fmt::format("the scope {} of user '{}' is not a known unit", user.scope, user.name)};
    }
    return {};
}

bool Authorizer::overlaps_scope(const User& user, std::string_view unit_code) const {
    return user.has_global_scope() || units_.is_within(unit_code, user.scope) ||
           units_.is_within(user.scope, unit_code);
}

Status Authorizer::unit_within_scope(const User& user, std::string_view unit_code,
                                     std::string_view verb) const {
    if (units_.find(unit_code) == nullptr) {
        return Error{fmt::format("unit {} is not a known unit", unit_code)};
    }
    if (user.has_global_scope() || units_.is_within(unit_code, user.scope)) {
        return {};
    }
    return Error{fmt::format("{} cannot {} unit {}, which is outside {}", who(user), verb,
                             unit_code, user.scope)};
}

Status Authorizer::station_within_scope(const User& user, std::string_view station_id,
                                        std::string_view verb) const {
    const auto it = station_units_.find(station_id);
    if (it == station_units_.end()) {
        return Error{fmt::format("station {} is not a known station", station_id)};
    }
    if (user.has_global_scope() || units_.is_within(it->second, user.scope)) {
        return {};
    }
    return Error{fmt::format("{} cannot {} station {} (unit {}), which is outside {}", who(user),
                             verb, station_id, it->second, user.scope)};
}

Status Authorizer::can_see_unit(const User& user, std::string_view unit_code) const {
    if (auto s = can(user, Capability::read); !s) {
        return s;
    }
    if (units_.find(unit_code) == nullptr) {
        return Error{fmt::format("unit {} is not a known unit", unit_code)};
    }
    if (overlaps_scope(user, unit_code)) {
        return {};
    }
    return Error{fmt::format("{} cannot see unit {}, which is outside {}", who(user), unit_code,
                             user.scope)};
}

Status Authorizer::can_see_station(const User& user, std::string_view station_id) const {
    if (auto s = can(user, Capability::read); !s) {
        return s;
    }
    return station_within_scope(user, station_id, "see");
}

bool Authorizer::sees_entry(const User& user, const ScheduleEntry& entry) const {
    if (!can(user, Capability::read)) {
        return false;
    }
    if (user.has_global_scope()) {
        return true;
    }
    const auto station_overlaps = [&](std::string_view station_id) {
        const auto it = station_units_.find(station_id);
        return it != station_units_.end() && units_.is_within(it->second, user.scope);
    };
    return std::any_of(entry.where.units.begin(), entry.where.units.end(),
                       [&](const std::string& u) { return overlaps_scope(user, u); }) ||
           std::any_of(entry.where.stations.begin(), entry.where.stations.end(),
                       station_overlaps) ||
           std::any_of(entry.where.zones.begin(), entry.where.zones.end(),
                       [&](const ZoneTarget& z) { return station_overlaps(z.station_id); });
}

Status Authorizer::class_allowed(const User& user, PriorityClass priority) const {
    const auto highest = row_of(user.role).highest_class;
    if (priority == wire::PRIORITY_CLASS_UNSPECIFIED || priority > highest) {
        return Error{fmt::format("{} cannot schedule a {} item: a {} schedules only {} items",
                                 who(user), priority_class_name(priority), role_name(user.role),
                                 classes_up_to(highest))};
    }
    return {};
}

Status Authorizer::targets_within_scope(const User& user, const ScheduleEntry& entry) const {
    if (entry.where.empty()) {
        return Error{fmt::format("{} has no target", entry_name(entry))};
    }
    for (const auto& unit : entry.where.units) {
        if (auto s = unit_within_scope(user, unit, "target"); !s) {
            return s;
        }
    }
    for (const auto& station : entry.where.stations) {
        if (auto s = station_within_scope(user, station, "target"); !s) {
            return s;
        }
    }
    for (const auto& zone : entry.where.zones) {
        if (auto s = station_within_scope(user, zone.station_id, "target"); !s) {
            return s;
        }
    }
    return {};
}

Status Authorizer::can_create_entry(const User& user, const ScheduleEntry& entry) const {
    if (auto s = can(user, Capability::plan); !s) {
        return s;
    }
    if (auto s = class_allowed(user, entry.priority); !s) {
        return s;
    }
    return targets_within_scope(user, entry);
}

Status Authorizer::can_edit_entry(const User& user, const ScheduleEntry& before,
                                  const ScheduleEntry& after) const {
    if (auto s = can_create_entry(user, before); !s) {
        return Error{fmt::format("cannot edit {}: {}", entry_name(before), s.message())};
    }
    if (auto s = can_create_entry(user, after); !s) {
        return Error{fmt::format("cannot make {} so: {}", entry_name(before), s.message())};
    }
    return {};
}

Status Authorizer::can_retire_entry(const User& user, const ScheduleEntry& entry) const {
    if (auto s = can_create_entry(user, entry); !s) {
        return Error{fmt::format("cannot retire {}: {}", entry_name(entry), s.message())};
    }
    return {};
}

bool Authorizer::needs_approval(Role role) const {
    return std::find(policy_.approval_required_for.begin(), policy_.approval_required_for.end(),
                     role) != policy_.approval_required_for.end();
}

EntryState Authorizer::initial_state(const User& author) const {
    return needs_approval(author.role) ? EntryState::draft : EntryState::approved;
}

Status Authorizer::can_approve_entry(const User& approver, const ScheduleEntry& entry,
                                     const User& author) const {
    if (auto s = can_create_entry(approver, entry); !s) {
        return Error{fmt::format("cannot approve {}: {}", entry_name(entry), s.message())};
    }
    if (!needs_approval(author.role)) {
        return {};
    }
    if (approver.name == author.name) {
        return Error{fmt::format(
            "{} cannot approve {}: it is its own entry, and entries of a {} need another "
            "user's approval",
            approver.name, entry_name(entry), role_name(author.role))};
    }
    const bool wider = approver.has_global_scope() ||
                       (!author.has_global_scope() && approver.scope != author.scope &&
                        units_.is_within(author.scope, approver.scope));
    if (!wider) {
        return Error{fmt::format(
            "{} cannot approve {}: entries of a {} need a user whose scope is wider than its "
            "author's ({})",
            who(approver), entry_name(entry), role_name(author.role),
            author.has_global_scope() ? std::string{"every unit"} : author.scope)};
    }
    return {};
}

Status Authorizer::can_manage_user(const User& admin, const NewUser& target) const {
    if (auto s = can(admin, Capability::manage_users); !s) {
        return s;
    }
    if (target.scope.empty()) {
        if (target.role != Role::admin) {
            return Error{fmt::format("scope: a {} needs a scope", role_name(target.role))};
        }
        if (!admin.has_global_scope()) {
            return Error{fmt::format("{} cannot give user '{}' every unit: it has only {}",
                                     who(admin), target.name, admin.scope)};
        }
        return {};
    }
    const auto index = units_.index_of(target.scope);
    if (!index) {
        return Error{fmt::format("scope: {} is not a known unit", target.scope)};
    }
    if (target.role == Role::admin && units_.parent_index(*index) != AdminUnitTree::kNoParent) {
        return Error{fmt::format(
            "scope: an admin's scope is every unit or a root unit, and {} lies under {}",
            target.scope, units_.unit(units_.parent_index(*index)).code)};
    }
    if (!admin.has_global_scope() && !units_.is_within(target.scope, admin.scope)) {
        return Error{fmt::format("{} cannot give user '{}' the scope {}, which is outside {}",
                                 who(admin), target.name, target.scope, admin.scope)};
    }
    return {};
}

}  // namespace loa::scheduler
