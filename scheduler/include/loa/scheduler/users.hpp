#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The plain data of the scheduler's users: roles, scopes and accounts (see auth_store.hpp for
// where they live and authorizer.hpp for what each may do). Pure; any thread.
namespace loa::scheduler {

// Widest to narrowest. A role bounds which priority classes a user may schedule; a scope bounds
// where.
enum class Role : std::uint8_t { admin, district_operator, commune_operator, viewer };

// "admin", "district-operator", "commune-operator", "viewer".
std::string_view role_name(Role role);
std::optional<Role> parse_role(std::string_view name);
// Every role, widest first.
const std::vector<Role>& all_roles();

// A user account. `scope` is one admin-unit code: the user sees and plans for that unit and
// its whole subtree. Only an admin may have an empty scope, meaning every unit.
struct User {
    std::int64_t id = 0;
    std::string name;  // login name, 1–64 of letters, digits, '.', '_', '-'; never changes
    std::string display_name;
    Role role = Role::viewer;
    std::string scope;
    bool disabled = false;
    std::int64_t created_at_us = 0;
    std::int64_t updated_at_us = 0;

    // True when the user's scope is every unit.
    bool has_global_scope() const { return scope.empty(); }
    bool operator==(const User&) const = default;
};

// What a new account is made of (the store gives it an id and its times).
struct NewUser {
    std::string name;
    std::string display_name;  // empty: the name
    Role role = Role::viewer;
    std::string scope;
};

// True for a login name: 1–64 ASCII letters, digits, '.', '_', '-', starting with a letter or
// digit.
bool is_valid_user_name(std::string_view name);

// The problems of `user`'s fields taken alone (name, display name, role/scope combination),
// each naming the field. Whether the scope is a known unit is the authorizer's check.
std::vector<std::string> user_problems(const NewUser& user);

}  // namespace loa::scheduler
