#include "commands.hpp"
#include "credentials.hpp"
#include "loa/cli/table.hpp"
#include "loa/cli/time_input.hpp"
#include "loa/common/time_format.hpp"
#include "messages.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <system_error>

namespace loa::cli {
namespace {

// A password from --password-file, or typed twice (`confirm`) without echo on the terminal.
Result<std::string> password_of(const std::string& file, bool confirm) {
    if (!file.empty()) {
        return read_secret_file(file);
    }
    auto first = ask_terminal(text::kPasswordPrompt, true, "--password-file");
    if (!first) {
        return first;
    }
    if (first->empty()) {
        return Error{std::string{text::kEmptyPassword}};
    }
    if (confirm) {
        auto again = ask_terminal(text::kPasswordAgain, true, "--password-file");
        if (!again) {
            return again;
        }
        if (*again != *first) {
            return Error{std::string{text::kPasswordsDiffer}};
        }
    }
    return first;
}

// "name (role, scope 883)" of a user object, or the text when the scheduler sent a name only.
std::string user_text(const nlohmann::json& user) {
    if (user.is_string()) {
        return user.get<std::string>();
    }
    const auto scope = field_text(user, "scope");
    return fmt::format("{} ({}, {})", field_text(user, "name"), field_text(user, "role"),
                       scope == text::kNone || scope.empty() ? std::string{text::kEveryUnit}
                                                             : fmt::format(text::kScope, scope));
}

}  // namespace

int login(CommandContext& ctx, const LoginOptions& options) {
    std::string user = options.user;
    if (user.empty()) {
        auto typed = ask_terminal(text::kUserPrompt, false, "--user");
        if (!typed) {
            return fail(ctx, typed.error().message);
        }
        user = *typed;
    }
    auto password = password_of(options.password_file, false);
    if (!password) {
        return fail(ctx, password.error().message);
    }
    ctx.api.set_login_hint(false);
    auto answer =
        ctx.api.post_json("/api/v1/login", nlohmann::json{{"user", user}, {"password", *password}});
    if (!answer) {
        return fail(ctx, answer.error().message);
    }
    const auto& token = field(answer->body, "token");
    if (!token.is_string() || token.get<std::string>().empty()) {
        return fail(ctx, fmt::format(text::kUnexpectedAnswer, answer->body.dump()));
    }
    const auto file = token_file_path(options.token_file);
    if (auto s = save_token(file, token.get<std::string>()); !s) {
        return fail(ctx, s.message());
    }
    if (ctx.json) {
        auto shown = answer->body;
        shown.erase("token");  // it is in the file; not on the screen
        shown["token_file"] = file;
        print_json(ctx, shown);
        return 0;
    }
    ctx.out << fmt::format(text::kLoggedIn, user_text(field(answer->body, "user")),
                           field_time(answer->body, "expires_at", ctx.zone), file)
            << '\n';
    return 0;
}

int logout(CommandContext& ctx, const std::string& token_file) {
    auto answer = ctx.api.remove("/api/v1/session");
    // The file goes whatever the scheduler said: a token it refuses is of no use either.
    const auto file = token_file_path(token_file);
    const bool removed = ::unlink(file.c_str()) == 0;
    const int unlink_error = errno;
    if (!answer) {
        return fail(ctx, answer.error().message);
    }
    if (!removed && unlink_error != ENOENT) {
        return fail(ctx, fmt::format(text::kCannotRemove, file,
                                     std::generic_category().message(unlink_error)));
    }
    ctx.out << (removed ? fmt::format(text::kLoggedOutFile, file) : std::string{text::kLoggedOut})
            << '\n';
    return 0;
}

int user_add(CommandContext& ctx, const UserAddOptions& options) {
    auto password = password_of(options.password_file, true);
    if (!password) {
        return fail(ctx, password.error().message);
    }
    nlohmann::json request = {
        {"name", options.name}, {"role", options.role}, {"password", *password}};
    if (!options.scope.empty()) {
        request["scope"] = options.scope;
    }
    if (!options.display_name.empty()) {
        request["display_name"] = options.display_name;
    }
    auto answer = ctx.api.post_json("/api/v1/users", request);
    if (!answer) {
        return fail(ctx, answer.error().message);
    }
    if (ctx.json) {
        print_json(ctx, answer->body);
        return 0;
    }
    ctx.out << fmt::format(text::kUserAdded, user_text(answer->body)) << '\n';
    return 0;
}

int user_list(CommandContext& ctx) {
    return print_list(
        ctx, ctx.api.get("/api/v1/users"), text::kNoUsers, [&](const nlohmann::json& users) {
            Table table{{std::string{text::kColName}, std::string{text::kColDisplayName},
                         std::string{text::kColRole}, std::string{text::kColScope},
                         std::string{text::kColDisabled}, std::string{text::kColCreated}}};
            for (const auto& u : users) {
                auto scope = field_text(u, "scope");
                table.add_row(
                    {field_text(u, "name"), field_text(u, "display_name"), field_text(u, "role"),
                     scope.empty() || scope == text::kNone ? std::string{text::kEveryUnit} : scope,
                     field_text(u, "disabled"), field_time(u, "created_at", ctx.zone)});
            }
            table.print(ctx.out);
        });
}

int user_disable(CommandContext& ctx, const std::string& name) {
    auto answer =
        ctx.api.patch_json("/api/v1/users/" + url_encode(name), nlohmann::json{{"disabled", true}});
    if (!answer) {
        return fail(ctx, answer.error().message);
    }
    if (ctx.json) {
        print_json(ctx, answer->body);
        return 0;
    }
    ctx.out << fmt::format(text::kUserDisabled, name) << '\n';
    return 0;
}

int token_issue(CommandContext& ctx, const std::string& label, const std::string& user,
                std::optional<int> days) {
    std::string owner = user;
    if (owner.empty()) {
        // The token is the logged-in user's own.
        auto me = ctx.api.get("/api/v1/me");
        if (!me) {
            return fail(ctx, me.error().message);
        }
        owner = field_text(me->body, "name");
        if (owner == text::kNone) {
            return fail(ctx, fmt::format(text::kUnexpectedAnswer, me->body.dump()));
        }
    }
    nlohmann::json request = {{"user", owner}, {"label", label}};
    if (days) {
        request["lifetime_days"] = *days;
    }
    auto answer = ctx.api.post_json("/api/v1/tokens", request);
    if (!answer) {
        return fail(ctx, answer.error().message);
    }
    if (ctx.json) {
        print_json(ctx, answer->body);
        return 0;
    }
    const auto& token = field(answer->body, "token");
    if (!token.is_string()) {
        return fail(ctx, fmt::format(text::kUnexpectedAnswer, answer->body.dump()));
    }
    auto id = field_text(answer->body, "token_id");
    if (id == text::kNone) {
        id = field_text(answer->body, "id");
    }
    auto expires = field_time(answer->body, "expires_at", ctx.zone);
    // stdout holds the token alone, for `loa token issue ... > file`.
    ctx.out << token.get<std::string>() << '\n';
    ctx.err << fmt::format(text::kTokenIssued, label, owner, id,
                           expires == text::kNone ? std::string{text::kNoExpiry} : expires)
            << '\n';
    return 0;
}

int token_revoke(CommandContext& ctx, const std::string& id) {
    auto answer = ctx.api.remove("/api/v1/tokens/" + url_encode(id));
    if (!answer) {
        return fail(ctx, answer.error().message);
    }
    if (ctx.json) {
        print_json(ctx, answer->body);
        return 0;
    }
    ctx.out << fmt::format(text::kTokenRevoked, id) << '\n';
    return 0;
}

int audit_list(CommandContext& ctx, const AuditOptions& options) {
    ApiClient::Query query;
    for (const auto& [option, value, key] : {std::tuple{"--from", &options.from, "from"},
                                             std::tuple{"--until", &options.until, "until"}}) {
        if (!value->empty()) {
            auto t = parse_time_input(*value, ctx.zone, ctx.now);
            if (!t) {
                return fail(ctx, fmt::format("{}: {}", option, t.error().message));
            }
            query[key] = format_utc(*t);
        }
    }
    for (const auto& [value, key] :
         {std::pair{&options.user, "user"}, std::pair{&options.kind, "kind"},
          std::pair{&options.object, "object"}}) {
        if (!value->empty()) {
            query[key] = *value;
        }
    }
    if (options.limit) {
        query["limit"] = std::to_string(*options.limit);
    }
    return print_list(
        ctx, ctx.api.get("/api/v1/audit", query), text::kNoAuditEvents,
        [&](const nlohmann::json& events) {
            Table table{{std::string{text::kColAt}, std::string{text::kColUser},
                         std::string{text::kColAction}, std::string{text::kColKind},
                         std::string{text::kColObject}}};
            for (const auto& e : events) {
                const auto first_of = [&](std::string_view a, std::string_view b) {
                    auto v = field_text(e, a);
                    return v == text::kNone ? field_text(e, b) : v;
                };
                table.add_row({field_time(e, "at", ctx.zone), first_of("actor", "user"),
                               field_text(e, "action"), first_of("object_kind", "kind"),
                               first_of("object_id", "object")});
            }
            table.print(ctx.out);
        });
}

}  // namespace loa::cli
