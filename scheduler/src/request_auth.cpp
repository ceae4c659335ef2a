#include "loa/scheduler/request_auth.hpp"

#include "loa/common/time_format.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <optional>
#include <tuple>
#include <variant>

namespace loa::scheduler {
namespace {

using json = nlohmann::json;

constexpr std::int64_t kMaxLifetimeDays = 3650;

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

json time_json(const std::optional<std::int64_t>& us) {
    return us ? json(format_utc(from_unix_us(*us))) : json(nullptr);
}

json user_object(const User& u) {
    return json{{"name", u.name},
                {"display_name", u.display_name},
                {"role", role_name(u.role)},
                {"scope", u.scope.empty() ? json(nullptr) : json(u.scope)},
                {"disabled", u.disabled},
                {"created_at", format_utc(from_unix_us(u.created_at_us))},
                {"updated_at", format_utc(from_unix_us(u.updated_at_us))}};
}

json token_object(const TokenInfo& t) {
    return json{{"token_id", t.id},
                {"user", t.user},
                {"kind", token_kind_name(t.kind)},
                {"label", t.label},
                {"created_at", format_utc(from_unix_us(t.created_at_us))},
                {"expires_at", time_json(t.expires_at_us)},
                {"last_used_at", time_json(t.last_used_at_us)},
                {"revoked_at", time_json(t.revoked_at_us)}};
}

HttpAnswer ok(int status, const json& body) {
    return {status, body.dump()};
}

// The body as an object with only `allowed` keys, or the 400 answer.
std::variant<json, HttpAnswer> object_body(std::string_view body,
                                           std::initializer_list<std::string_view> allowed) {
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return RequestAuth::error(400, "request body must be a JSON object");
    }
    for (const auto& [key, value] : j.items()) {
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            std::string names;
            for (const auto a : allowed) {
                names += names.empty() ? "" : ", ";
                names += a;
            }
            return RequestAuth::error(400,
                                      fmt::format("unknown field '{}' (expected {})", key, names));
        }
    }
    return j;
}

// A string field: nullopt when absent or null; an error answer when not a string.
std::variant<std::optional<std::string>, HttpAnswer> text_field(const json& j,
                                                                std::string_view key) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        return std::optional<std::string>{};
    }
    if (!it->is_string()) {
        return RequestAuth::error(400, fmt::format("{}: must be a string", key));
    }
    return std::optional<std::string>{it->get<std::string>()};
}

}  // namespace

Result<std::string_view> RequestAuth::parse_bearer(std::string_view header) {
    header = trim(header);
    if (header.empty()) {
        return Error{
            "authentication required: send 'Authorization: Bearer <token>' (get a token "
            "with 'loa login')"};
    }
    const auto space = header.find(' ');
    const auto scheme = header.substr(0, space);
    if (!iequals(scheme, "Bearer")) {
        return Error{
            fmt::format("the Authorization scheme '{}' is not supported: use 'Bearer <token>'",
                        scheme.substr(0, 20))};
    }
    const auto token =
        space == std::string_view::npos ? std::string_view{} : trim(header.substr(space + 1));
    if (token.empty()) {
        return Error{"the Authorization header has no token after 'Bearer'"};
    }
    return token;
}

Result<User> RequestAuth::authenticate(std::string_view authorization_header) {
    const auto token = parse_bearer(authorization_header);
    if (!token) {
        return token.error();
    }
    return store_.authenticate(*token);
}

HttpAnswer RequestAuth::error(int status, std::string_view message) {
    return {status, json{{"error", message}}.dump()};
}

HttpAnswer RequestAuth::unauthorized(const Error& error) {
    return RequestAuth::error(kUnauthorized, error.message);
}

HttpAnswer RequestAuth::forbidden(const Status& denial) {
    return error(kForbidden, denial.message());
}

HttpAnswer RequestAuth::login(std::string_view body, std::string_view client_address) {
    auto parsed = object_body(body, {"user", "password"});
    if (auto* answer = std::get_if<HttpAnswer>(&parsed)) {
        return *answer;
    }
    const json& j = std::get<json>(parsed);
    auto user = text_field(j, "user");
    auto password = text_field(j, "password");
    for (auto* f : {&user, &password}) {
        if (auto* answer = std::get_if<HttpAnswer>(f)) {
            return *answer;
        }
    }
    const auto& name = std::get<0>(user);
    const auto& secret = std::get<0>(password);
    if (!name || !secret) {
        return error(400, "user and password are required");
    }
    auto issued = store_.login(*name, *secret, Actor{*name, std::string{client_address}});
    if (!issued) {
        return unauthorized(issued.error());
    }
    const auto account = store_.find_user(*name);
    return ok(201, json{{"token", issued->token},
                        {"token_id", issued->info.id},
                        {"expires_at", time_json(issued->info.expires_at_us)},
                        {"user", account ? user_object(*account) : json(nullptr)}});
}

HttpAnswer RequestAuth::logout(const User& user, std::string_view authorization_header,
                               std::string_view client_address) {
    const auto token = parse_bearer(authorization_header);
    const auto info = token ? store_.find_token(*token) : std::nullopt;
    if (!info) {
        return unauthorized(Error{"the bearer token is not known"});
    }
    if (auto s = store_.revoke_token(info->id, Actor{user.name, std::string{client_address}}); !s) {
        return error(400, s.message());
    }
    return {204, ""};
}

HttpAnswer RequestAuth::whoami(const User& user) const {
    return ok(200, user_object(user));
}

HttpAnswer RequestAuth::list_users(const User& user, const Authorizer& authorizer) {
    if (auto s = authorizer.can(user, Capability::manage_users); !s) {
        return forbidden(s);
    }
    json list = json::array();
    for (const auto& u : store_.list_users()) {
        list.push_back(user_object(u));
    }
    return ok(200, list);
}

HttpAnswer RequestAuth::add_user(const User& user, const Authorizer& authorizer,
                                 std::string_view body, std::string_view client_address) {
    auto parsed = object_body(body, {"name", "display_name", "role", "scope", "password"});
    if (auto* answer = std::get_if<HttpAnswer>(&parsed)) {
        return *answer;
    }
    const json& j = std::get<json>(parsed);
    auto name = text_field(j, "name");
    auto display = text_field(j, "display_name");
    auto role = text_field(j, "role");
    auto scope = text_field(j, "scope");
    auto password = text_field(j, "password");
    for (auto* f : {&name, &display, &role, &scope, &password}) {
        if (auto* answer = std::get_if<HttpAnswer>(f)) {
            return *answer;
        }
    }
    if (!std::get<0>(name) || !std::get<0>(role)) {
        return error(400, "name and role are required");
    }
    const auto parsed_role = parse_role(*std::get<0>(role));
    if (!parsed_role) {
        return error(400, fmt::format("role: '{}' is not a role (admin, district-operator, "
                                      "commune-operator, viewer)",
                                      *std::get<0>(role)));
    }
    NewUser target{*std::get<0>(name), std::get<0>(display).value_or(""), *parsed_role,
                   std::get<0>(scope).value_or("")};
    if (auto s = authorizer.can_manage_user(user, target); !s) {
        return forbidden(s);
    }
    auto created = store_.add_user(target, std::get<0>(password).value_or(""),
                                   Actor{user.name, std::string{client_address}});
    if (!created) {
        const bool taken = created.error().message.find("exists already") != std::string::npos;
        return error(taken ? 409 : 400, created.error().message);
    }
    return ok(201, user_object(*created));
}

HttpAnswer RequestAuth::update_user(const User& user, const Authorizer& authorizer,
                                    std::string_view name, std::string_view body,
                                    std::string_view client_address) {
    auto parsed = object_body(body, {"display_name", "role", "scope", "disabled", "password"});
    if (auto* answer = std::get_if<HttpAnswer>(&parsed)) {
        return *answer;
    }
    const json& j = std::get<json>(parsed);
    const auto current = store_.find_user(name);
    if (!current) {
        if (auto s = authorizer.can(user, Capability::manage_users); !s) {
            return forbidden(s);
        }
        return error(404, fmt::format("no user named '{}'", name));
    }
    auto display = text_field(j, "display_name");
    auto role = text_field(j, "role");
    auto scope = text_field(j, "scope");
    auto password = text_field(j, "password");
    for (auto* f : {&display, &role, &scope, &password}) {
        if (auto* answer = std::get_if<HttpAnswer>(f)) {
            return *answer;
        }
    }
    UserChange change;
    change.display_name = std::get<0>(display);
    change.scope = std::get<0>(scope);
    if (const auto& r = std::get<0>(role)) {
        change.role = parse_role(*r);
        if (!change.role) {
            return error(400, fmt::format("role: '{}' is not a role (admin, district-operator, "
                                          "commune-operator, viewer)",
                                          *r));
        }
    }
    if (const auto it = j.find("disabled"); it != j.end() && !it->is_null()) {
        if (!it->is_boolean()) {
            return error(400, "disabled: must be true or false");
        }
        change.disabled = it->get<bool>();
    }
    // The admin must be allowed both the user as it is and as it becomes.
    const NewUser before{current->name, current->display_name, current->role, current->scope};
    const NewUser after{current->name, change.display_name.value_or(current->display_name),
                        change.role.value_or(current->role), change.scope.value_or(current->scope)};
    for (const auto* target : {&before, &after}) {
        if (auto s = authorizer.can_manage_user(user, *target); !s) {
            return forbidden(s);
        }
    }
    const Actor actor{user.name, std::string{client_address}};
    // One transaction: a refused password leaves the other fields unchanged too.
    sqlite::Transaction tx{store_.database()};
    auto updated = store_.update_user(name, change, actor);
    if (!updated) {
        return error(400, updated.error().message);
    }
    if (const auto& p = std::get<0>(password)) {
        if (auto s = store_.set_password(name, *p, actor); !s) {
            return error(400, s.message());
        }
    }
    tx.commit();
    return ok(200, user_object(*updated));
}

HttpAnswer RequestAuth::issue_token(const User& user, const Authorizer& authorizer,
                                    std::string_view body, std::string_view client_address) {
    if (auto s = authorizer.can(user, Capability::manage_users); !s) {
        return forbidden(s);
    }
    auto parsed = object_body(body, {"user", "label", "lifetime_days"});
    if (auto* answer = std::get_if<HttpAnswer>(&parsed)) {
        return *answer;
    }
    const json& j = std::get<json>(parsed);
    auto owner = text_field(j, "user");
    auto label = text_field(j, "label");
    for (auto* f : {&owner, &label}) {
        if (auto* answer = std::get_if<HttpAnswer>(f)) {
            return *answer;
        }
    }
    if (!std::get<0>(owner)) {
        return error(400, "user is required");
    }
    std::optional<Duration> lifetime;
    if (const auto it = j.find("lifetime_days"); it != j.end() && !it->is_null()) {
        if (!it->is_number_integer() || it->get<std::int64_t>() < 1 ||
            it->get<std::int64_t>() > kMaxLifetimeDays) {
            return error(400, "lifetime_days: must be a whole number from 1 to 3650");
        }
        lifetime = std::chrono::hours{24 * it->get<std::int64_t>()};
    }
    const auto target = store_.find_user(*std::get<0>(owner));
    if (!target) {
        return error(404, fmt::format("no user named '{}'", *std::get<0>(owner)));
    }
    if (auto s = authorizer.can_manage_user(
            user, NewUser{target->name, target->display_name, target->role, target->scope});
        !s) {
        return forbidden(s);
    }
    auto issued = store_.issue_api_token(target->name, std::get<0>(label).value_or(""), lifetime,
                                         Actor{user.name, std::string{client_address}});
    if (!issued) {
        return error(400, issued.error().message);
    }
    json answer = token_object(issued->info);
    answer["token"] = issued->token;
    return ok(201, answer);
}

HttpAnswer RequestAuth::revoke_token(const User& user, const Authorizer& authorizer,
                                     std::string_view id, std::string_view client_address) {
    std::int64_t token_id = 0;
    const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), token_id);
    if (ec != std::errc{} || end != id.data() + id.size() || token_id <= 0) {
        return error(400, fmt::format("'{}' is not a token id", id.substr(0, 40)));
    }
    const auto info = store_.find_token(token_id);
    const bool own = info && info->user == user.name;
    if (!own) {
        if (auto s = authorizer.can(user, Capability::manage_users); !s) {
            return forbidden(s);
        }
    }
    if (!info) {
        return error(404, fmt::format("no token with id {}", token_id));
    }
    if (auto s = store_.revoke_token(token_id, Actor{user.name, std::string{client_address}}); !s) {
        return error(400, s.message());
    }
    return {204, ""};
}

HttpAnswer RequestAuth::query_audit(const User& user, const Authorizer& authorizer,
                                    const AuditParams& params) {
    if (auto s = authorizer.can(user, Capability::read_audit); !s) {
        return forbidden(s);
    }
    AuditQuery query;
    for (const auto& [text, field, name] : {std::tuple{&params.from, &query.from, "from"},
                                            std::tuple{&params.until, &query.until, "until"}}) {
        if (!text->empty()) {
            const auto t = parse_time(*text);
            if (!t) {
                return error(400, fmt::format("{}: {}", name, t.error().message));
            }
            *field = *t;
        }
    }
    if (!params.user.empty()) {
        query.actor = params.user;
    }
    if (!params.kind.empty()) {
        query.object_kind = params.kind;
    }
    if (!params.object.empty()) {
        if (params.kind.empty()) {
            return error(400, "object: needs kind too (e.g. kind=entry&object=12)");
        }
        query.object_id = params.object;
    }
    if (!params.limit.empty()) {
        std::size_t limit = 0;
        const auto [end, ec] =
            std::from_chars(params.limit.data(), params.limit.data() + params.limit.size(), limit);
        if (ec != std::errc{} || end != params.limit.data() + params.limit.size() || limit < 1 ||
            limit > 10000) {
            return error(400, "limit: must be a whole number from 1 to 10000");
        }
        query.limit = limit;
    }
    json list = json::array();
    for (const auto& e : store_.audit().query(store_.database(), query)) {
        const auto as_json = [](const std::optional<std::string>& text) {
            return text ? json::parse(*text, nullptr, false) : json(nullptr);
        };
        list.push_back(json{{"id", e.id},
                            {"at", format_utc(from_unix_us(e.at_us))},
                            {"user", e.actor},
                            {"action", e.action},
                            {"kind", e.object_kind},
                            {"object", e.object_id},
                            {"before", as_json(e.before)},
                            {"after", as_json(e.after)},
                            {"client_address", e.client_address}});
    }
    return ok(200, list);
}

}  // namespace loa::scheduler
