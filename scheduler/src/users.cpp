#include "loa/scheduler/users.hpp"

#include "loa/scheduler/admin_units.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace loa::scheduler {
namespace {

constexpr std::size_t kMaxNameLength = 64;
constexpr std::size_t kMaxDisplayNameLength = 200;

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool has_control_char(std::string_view text) {
    return std::any_of(text.begin(), text.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7f;
    });
}

}  // namespace

std::string_view role_name(Role role) {
    switch (role) {
        case Role::admin:
            return "admin";
        case Role::district_operator:
            return "district-operator";
        case Role::commune_operator:
            return "commune-operator";
        case Role::viewer:
            return "viewer";
    }
    return "viewer";
}

std::optional<Role> parse_role(std::string_view name) {
    for (const Role role : all_roles()) {
        if (role_name(role) == name) {
            return role;
        }
    }
    return std::nullopt;
}

const std::vector<Role>& all_roles() {
    static const std::vector<Role> roles{Role::admin, Role::district_operator,
                                         Role::commune_operator, Role::viewer};
    return roles;
}

bool is_valid_user_name(std::string_view name) {
    return !name.empty() && name.size() <= kMaxNameLength && is_alnum(name.front()) &&
           std::all_of(name.begin(), name.end(), is_name_char);
}

std::vector<std::string> user_problems(const NewUser& user) {
    std::vector<std::string> problems;
    if (!is_valid_user_name(user.name)) {
        problems.push_back(fmt::format(
            "name: '{}' is not a user name (1-64 letters, digits, '.', '_', '-', starting with a "
            "letter or digit)",
            user.name));
    }
    if (user.display_name.size() > kMaxDisplayNameLength || has_control_char(user.display_name)) {
        problems.emplace_back("display_name: must be at most 200 bytes without control characters");
    }
    if (!user.scope.empty() && !is_valid_code(user.scope)) {
        problems.push_back(fmt::format("scope: '{}' is not a unit code", user.scope));
    }
    if (user.scope.empty() && user.role != Role::admin) {
        problems.push_back(fmt::format(
            "scope: a {} needs a scope (the code of the unit it works for); only an admin may "
            "have none",
            role_name(user.role)));
    }
    return problems;
}

}  // namespace loa::scheduler
