#pragma once

#include "loa/common/result.hpp"
#include "loa/scheduler/auth_store.hpp"
#include "loa/scheduler/authorizer.hpp"
#include "loa/scheduler/users.hpp"

#include <string>
#include <string_view>

namespace loa::scheduler {

// An answer for the HTTP API to send as it is: a status and a JSON body ({"error": "..."} when
// the status is 4xx).
struct HttpAnswer {
    int status = 200;
    std::string body;
};

// The HTTP face of authentication, for the API to call on every request, and the handlers of
// the auth endpoints (docs/security.md lists them).
//
// Every request but `POST /api/v1/login` and `GET /api/v1/health` starts with authenticate():
// an error is a 401 (send kChallenge as WWW-Authenticate) whose body names the problem. A
// denial of the Authorizer is a 403: forbidden(status) makes the answer.
//
// Works on the AuthStore it is given; NOT thread-safe, like the store: the API calls it under
// the mutex that guards its store connection. authenticate() never runs argon2 (SHA-256 and one
// indexed lookup); login() does (~0.1 s).
class RequestAuth {
public:
    static constexpr int kUnauthorized = 401;
    static constexpr int kForbidden = 403;
    static constexpr std::string_view kChallenge = R"(Bearer realm="loa")";

    explicit RequestAuth(AuthStore& store) : store_{store} {}

    // The token of an `Authorization: Bearer <token>` header value (scheme case-insensitive).
    static Result<std::string_view> parse_bearer(std::string_view header);

    // The user making the request, or why not (a 401).
    Result<User> authenticate(std::string_view authorization_header);

    static HttpAnswer unauthorized(const Error& error);
    static HttpAnswer forbidden(const Status& denial);
    static HttpAnswer error(int status, std::string_view message);

    // POST /api/v1/login {"user","password"}: 201 {"token","token_id","expires_at","user"};
    // 401 for a wrong name or password, 400 for a malformed body.
    HttpAnswer login(std::string_view body, std::string_view client_address);
    // DELETE /api/v1/session: revokes the token the request came with; 204.
    HttpAnswer logout(const User& user, std::string_view authorization_header,
                      std::string_view client_address);
    // GET /api/v1/me: the user.
    HttpAnswer whoami(const User& user) const;

    // Admin endpoints; each checks authorizer.can(user, manage_users or read_audit) itself.
    // GET /api/v1/users
    HttpAnswer list_users(const User& user, const Authorizer& authorizer);
    // POST /api/v1/users {"name","display_name"?,"role","scope"?,"password"?}: 201 user.
    HttpAnswer add_user(const User& user, const Authorizer& authorizer, std::string_view body,
                        std::string_view client_address);
    // PATCH /api/v1/users/{name} {"display_name"?,"role"?,"scope"?,"disabled"?,"password"?}.
    HttpAnswer update_user(const User& user, const Authorizer& authorizer, std::string_view name,
                           std::string_view body, std::string_view client_address);
    // POST /api/v1/tokens {"user","label"?,"lifetime_days"?}: 201 {"token","token_id",
    // "expires_at"|null,...}: the token is in this answer only.
    HttpAnswer issue_token(const User& user, const Authorizer& authorizer, std::string_view body,
                           std::string_view client_address);
    // DELETE /api/v1/tokens/{id}: 204. A user may revoke its own tokens; an admin any.
    HttpAnswer revoke_token(const User& user, const Authorizer& authorizer, std::string_view id,
                            std::string_view client_address);
    // GET /api/v1/audit?from=&until=&user=&kind=&object=&limit=: newest first. `from` and
    // `until` are already-parsed query values (empty: absent), ISO 8601.
    struct AuditParams {
        std::string from, until, user, kind, object, limit;
    };
    HttpAnswer query_audit(const User& user, const Authorizer& authorizer,
                           const AuditParams& params);

private:
    AuthStore& store_;
};

}  // namespace loa::scheduler
