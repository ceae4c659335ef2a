#pragma once

#include "loa/common/clock.hpp"
#include "loa/common/result.hpp"
#include "loa/common/sqlite.hpp"
#include "loa/scheduler/audit_log.hpp"
#include "loa/scheduler/users.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loa::scheduler {

struct AuthOptions {
    // How long a login's token is valid.
    Duration session_lifetime = std::chrono::hours{24 * 30};
    // How long an API token (for machines) is valid when its issuer names no lifetime;
    // nullopt: until revoked.
    std::optional<Duration> api_token_lifetime;
    // argon2id cost (libsodium's crypto_pwhash_*_INTERACTIVE: 2 passes over 64 MiB, about
    // 0.1 s per hash). Tests lower them.
    std::uint64_t pwhash_opslimit = 2;
    std::size_t pwhash_memlimit = std::size_t{64} << 20;
    // Passwords shorter than this are refused.
    std::size_t min_password_length = 10;
};

enum class TokenKind : std::uint8_t { session, api };
std::string_view token_kind_name(TokenKind kind);

// A token as the store keeps it: never the token itself, only what describes it.
struct TokenInfo {
    std::int64_t id = 0;
    std::string user;  // the owner's name
    TokenKind kind = TokenKind::session;
    std::string label;
    std::int64_t created_at_us = 0;
    std::optional<std::int64_t> expires_at_us;  // nullopt: never
    std::optional<std::int64_t> last_used_at_us;
    std::optional<std::int64_t> revoked_at_us;
};

// A newly issued bearer token. `token` is shown once, to the one who asked: the store keeps only
// its SHA-256.
struct IssuedToken {
    std::string token;  // "loa_" and 64 hex digits (32 random bytes)
    TokenInfo info;
};

// What may change of a user (nullopt: unchanged).
struct UserChange {
    std::optional<std::string> display_name;
    std::optional<Role> role;
    std::optional<std::string> scope;
    std::optional<bool> disabled;
};

// Users, their argon2id password hashes and their bearer tokens, in the scheduler's database
// (tables auth_users and auth_tokens, see auth_schema.hpp). Every change is written to the audit
// log in the same transaction, naming `actor`.
//
// Passwords are hashed with argon2id (libsodium crypto_pwhash_str) and never stored, logged or
// returned. A token is 32 random bytes; only its SHA-256 is stored, so authenticate() is one
// indexed lookup and never runs argon2.
//
// One instance works on one connection: either the caller's (the HTTP API passes the
// connection its store uses, so entry changes and auth changes share transactions) or one it
// opens on a path. NOT thread-safe: the owner serialises calls (the HTTP API calls it under its
// store mutex). The constructors migrate the auth schema. Database failures throw sqlite::Error;
// expected failures (unknown user, wrong password, duplicate name) are Results naming the
// problem and change nothing.
class AuthStore {
public:
    AuthStore(sqlite::Database& db, const IClock& clock, AuthOptions options = {});
    // Opens its own connection on `path` (":memory:" for a private database).
    AuthStore(const std::filesystem::path& path, const IClock& clock, AuthOptions options = {});
    ~AuthStore();
    AuthStore(const AuthStore&) = delete;
    AuthStore& operator=(const AuthStore&) = delete;

    sqlite::Database& database() { return db_; }
    const AuditLog& audit() const { return audit_; }
    const AuthOptions& options() const { return options_; }

    // --- users
    // Adds a user with a password (`password` empty: the user cannot log in with a password,
    // only with API tokens issued for it). Fails naming the field: a bad name, scope or
    // role/scope pair, a too-short password, a name already taken.
    Result<User> add_user(const NewUser& user, std::string_view password, const Actor& actor);
    Result<User> update_user(std::string_view name, const UserChange& change, const Actor& actor);
    // Disabling a user also revokes all its tokens.
    Status set_password(std::string_view name, std::string_view password, const Actor& actor);
    std::optional<User> find_user(std::string_view name);
    std::optional<User> find_user(std::int64_t id);
    std::vector<User> list_users();
    std::size_t count_users();

    // --- tokens
    // Checks the password (argon2id, ~0.1 s) and issues a session token valid for
    // session_lifetime. Every failure answers the same "wrong user name or password" so that
    // names cannot be probed; a disabled user is told so once the password was right.
    Result<IssuedToken> login(std::string_view name, std::string_view password,
                              const Actor& client);
    // An API token for `user` (a machine account), valid for `lifetime`, or for
    // api_token_lifetime when nullopt.
    Result<IssuedToken> issue_api_token(std::string_view user, std::string_view label,
                                        std::optional<Duration> lifetime, const Actor& actor);
    // The user a bearer token belongs to: a known, unrevoked, unexpired token of an enabled
    // user. One SHA-256 and one indexed lookup; notes the token's last use (at most once a
    // minute). The error says which of those failed, without echoing the token.
    Result<User> authenticate(std::string_view token);
    // The token's info, looked up by the token itself (e.g. for logout).
    std::optional<TokenInfo> find_token(std::string_view token);
    std::optional<TokenInfo> find_token(std::int64_t id);
    Status revoke_token(std::int64_t id, const Actor& actor);
    // Revokes every live token of `user`; answers how many.
    Result<std::size_t> revoke_tokens_of(std::string_view user, const Actor& actor);
    // Every token of `user` (all users when empty), newest first.
    std::vector<TokenInfo> list_tokens(std::string_view user = {});

    // The user as JSON text, as the audit log and the API show it: {"id","name",
    // "display_name","role","scope","disabled","created_at_us","updated_at_us"}.
    static std::string user_json(const User& user);
    static std::string token_json(const TokenInfo& token);

    // Reads a password from a file (its first line, without the line end; "-" is standard
    // input), for the local --create-admin command. Fails naming the file when it cannot be read
    // or is empty.
    static Result<std::string> read_password_file(const std::filesystem::path& path);

private:
    Result<IssuedToken> issue(const User& user, TokenKind kind, std::string_view label,
                              std::optional<Duration> lifetime, const Actor& actor,
                              std::string_view action);
    std::optional<std::string> hash_password(std::string_view password) const;

    std::unique_ptr<sqlite::Database> owned_;
    sqlite::Database& db_;
    const IClock& clock_;
    AuthOptions options_;
    AuditLog audit_;
    std::string dummy_hash_;  // verified against when a login names no known user
};

}  // namespace loa::scheduler
