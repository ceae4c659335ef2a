#pragma once

#include "loa/common/result.hpp"
#include "loa/scheduler/admin_units.hpp"
#include "loa/scheduler/planning.hpp"
#include "loa/scheduler/station_csv.hpp"
#include "loa/scheduler/users.hpp"

#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace loa::scheduler {

// The parts of the scheduler's config that decide who may do what ([auth] section).
struct AuthPolicy {
    // Entries made by users of these roles are drafts until a user whose scope is wider than
    // the author's approves them (approval_required_for = ["commune-operator"]).
    std::vector<Role> approval_required_for;
};

// What a user may do without naming one object: the rows of the role table.
enum class Capability : std::uint8_t {
    read,             // see what lies in the scope (units, stations, entries, as-run, reports)
    plan,             // create, edit, retire and approve schedule entries (in scope, per class)
    upload_assets,    // upload audio and typed notices
    import_units,     // import or change the admin-unit tree
    manage_stations,  // register, import and change stations
    manage_users,     // add users, change their roles and scopes, issue and revoke tokens
    read_audit,       // read the audit log
};
std::string_view capability_name(Capability capability);

// Decides whether a user may do something, and says why not: each denial is a Status whose
// message names the user's role and scope and the object refused ("district-operator of 889
// cannot target unit 30280, which is outside 889"), ready to be the body of a 403.
//
// The rules (docs/security.md), one table per role:
//   - read: every user, within its scope (an admin with no scope sees everything);
//   - plan: admin (every class), district-operator (district, commune, filler),
//     commune-operator (commune, filler), viewer (nothing); every target of an entry (each unit,
//     each station's unit, each zone's station's unit) must lie within the user's scope;
//   - approving an entry whose author's role is in approval_required_for takes a user who may
//     plan the entry and whose scope is strictly wider than the author's (never the author);
//   - upload assets: every role but viewer; import units, manage stations and users, read the
//     audit log: admin only.
//
// Pure: it reads only the tree and the stations it was made with (both must outlive it) and its
// policy, and changes nothing. Construct one per request or keep one while the tree and the
// stations stay as they are (it indexes the stations by id). Const methods may be called from any
// thread.
class Authorizer {
public:
    Authorizer(const AdminUnitTree& units, std::span<const Station> stations,
               AuthPolicy policy = {});

    // May the user do this kind of thing at all (its role's row)? A disabled user may do
    // nothing.
    Status can(const User& user, Capability capability) const;

    // --- reading
    // The unit lies within the user's scope (or the user's scope within it: a commune operator
    // sees the province and district units above its commune, not their other communes).
    Status can_see_unit(const User& user, std::string_view unit_code) const;
    Status can_see_station(const User& user, std::string_view station_id) const;
    // An entry is visible when any of its targets overlaps the user's scope: a commune operator
    // sees the province-wide news that airs in its commune.
    bool sees_entry(const User& user, const ScheduleEntry& entry) const;

    // --- planning
    Status can_create_entry(const User& user, const ScheduleEntry& entry) const;
    // Both the entry as it is and as it would become must be the user's to plan.
    Status can_edit_entry(const User& user, const ScheduleEntry& before,
                          const ScheduleEntry& after) const;
    Status can_retire_entry(const User& user, const ScheduleEntry& entry) const;
    Status can_approve_entry(const User& approver, const ScheduleEntry& entry,
                             const User& author) const;
    // Whether entries made (or edited) by `role` wait for approval.
    bool needs_approval(Role role) const;
    // The state an entry takes when `author` creates or edits it: draft when its role needs
    // approval, approved otherwise.
    EntryState initial_state(const User& author) const;

    // --- users
    // May `admin` create `target`, or change a user into it? Admins only; the target's scope
    // must be a known unit within the admin's own scope (an admin cannot hand out more than it
    // has), and an admin's scope must be empty or a root unit.
    Status can_manage_user(const User& admin, const NewUser& target) const;

    const AuthPolicy& policy() const { return policy_; }

private:
    // The user's scope is a known unit (or empty for an admin).
    Status valid_scope(const User& user) const;
    Status unit_within_scope(const User& user, std::string_view unit_code,
                             std::string_view verb) const;
    Status station_within_scope(const User& user, std::string_view station_id,
                                std::string_view verb) const;
    Status targets_within_scope(const User& user, const ScheduleEntry& entry) const;
    Status class_allowed(const User& user, PriorityClass priority) const;
    bool overlaps_scope(const User& user, std::string_view unit_code) const;
    std::string who(const User& user) const;

    const AdminUnitTree& units_;
    std::unordered_map<std::string_view, std::string_view> station_units_;  // id -> unit code
    AuthPolicy policy_;
};

}  // namespace loa::scheduler
