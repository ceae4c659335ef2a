#include "loa/scheduler/auth_store.hpp"

#include "loa/common/digest.hpp"
#include "loa/common/time_format.hpp"
#include "loa/scheduler/auth_schema.hpp"

#include <fmt/format.h>
#include <sodium.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <array>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <utility>

namespace loa::scheduler {
namespace {

constexpr std::string_view kTokenPrefix = "loa_";
constexpr std::size_t kTokenBytes = 32;
constexpr std::size_t kMaxPasswordLength = 4096;
constexpr std::size_t kMaxLabelLength = 200;
constexpr std::int64_t kLastUseResolutionUs = 60'000'000;
constexpr std::string_view kWrongLogin = "wrong user name or password";

constexpr std::string_view kUserColumns =
    "u.id, u.name, u.display_name, u.role, u.scope, u.disabled, u.created_at_us, "
    "u.updated_at_us";
constexpr std::string_view kTokenColumns =
    "t.id, u.name, t.kind, t.label, t.created_at_us, t.expires_at_us, t.last_used_at_us, "
    "t.revoked_at_us";

User user_from(const sqlite::Statement& s, int first = 0) {
    User u;
    u.id = s.int64(first);
    u.name = s.text(first + 1);
    u.display_name = s.text(first + 2);
    // The table's CHECK admits only the four names.
    u.role = parse_role(s.text(first + 3)).value_or(Role::viewer);
    u.scope = s.text(first + 4);
    u.disabled = s.int64(first + 5) != 0;
    u.created_at_us = s.int64(first + 6);
    u.updated_at_us = s.int64(first + 7);
    return u;
}

TokenInfo token_from(const sqlite::Statement& s, int first = 0) {
    TokenInfo t;
    t.id = s.int64(first);
    t.user = s.text(first + 1);
    t.kind = s.text(first + 2) == "api" ? TokenKind::api : TokenKind::session;
    t.label = s.text(first + 3);
    t.created_at_us = s.int64(first + 4);
    t.expires_at_us = s.optional_int64(first + 5);
    t.last_used_at_us = s.optional_int64(first + 6);
    t.revoked_at_us = s.optional_int64(first + 7);
    return t;
}

bool is_hex(std::string_view s) {
    for (const char c : s) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

bool well_formed_token(std::string_view token) {
    return token.size() == kTokenPrefix.size() + 2 * kTokenBytes &&
           token.starts_with(kTokenPrefix) && is_hex(token.substr(kTokenPrefix.size()));
}

std::string token_digest(std::string_view token) {
    return sha256_hex(std::span<const std::uint8_t>{
        reinterpret_cast<const std::uint8_t*>(token.data()), token.size()});
}

std::string new_token() {
    std::array<std::uint8_t, kTokenBytes> bytes{};
    randombytes_buf(bytes.data(), bytes.size());
    std::string token{kTokenPrefix};
    token += to_hex(bytes);
    sodium_memzero(bytes.data(), bytes.size());
    return token;
}

bool has_control_char(std::string_view text) {
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
            return true;
        }
    }
    return false;
}

nlohmann::json optional_json(const std::optional<std::int64_t>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

std::string join(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& p : parts) {
        out += out.empty() ? "" : "; ";
        out += p;
    }
    return out;
}

}  // namespace

std::string_view token_kind_name(TokenKind kind) {
    return kind == TokenKind::api ? "api" : "session";
}

AuthStore::AuthStore(sqlite::Database& db, const IClock& clock, AuthOptions options)
    : db_{db}, clock_{clock}, options_{options}, audit_{clock} {
    if (sodium_init() < 0) {
        throw std::runtime_error{"libsodium could not be initialised"};
    }
    migrate_auth_schema(db_);
}

AuthStore::AuthStore(const std::filesystem::path& path, const IClock& clock, AuthOptions options)
    : owned_{std::make_unique<sqlite::Database>(path)},
      db_{*owned_},
      clock_{clock},
      options_{options},
      audit_{clock} {
    if (sodium_init() < 0) {
        throw std::runtime_error{"libsodium could not be initialised"};
    }
    migrate_auth_schema(db_);
}

AuthStore::~AuthStore() = default;

std::optional<std::string> AuthStore::hash_password(std::string_view password) const {
    std::array<char, crypto_pwhash_STRBYTES> out{};
    if (crypto_pwhash_str(out.data(), password.data(), password.size(), options_.pwhash_opslimit,
                          options_.pwhash_memlimit) != 0) {
        return std::nullopt;  // out of memory
    }
    return std::string{out.data()};
}

std::string AuthStore::user_json(const User& user) {
    return nlohmann::json{{"id", user.id},
                          {"name", user.name},
                          {"display_name", user.display_name},
                          {"role", role_name(user.role)},
                          {"scope", user.scope},
                          {"disabled", user.disabled},
                          {"created_at_us", user.created_at_us},
                          {"updated_at_us", user.updated_at_us}}
        .dump();
}

std::string AuthStore::token_json(const TokenInfo& token) {
    return nlohmann::json{{"id", token.id},
                          {"user", token.user},
                          {"kind", token_kind_name(token.kind)},
                          {"label", token.label},
                          {"created_at_us", token.created_at_us},
                          {"expires_at_us", optional_json(token.expires_at_us)},
                          {"last_used_at_us", optional_json(token.last_used_at_us)},
                          {"revoked_at_us", optional_json(token.revoked_at_us)}}
        .dump();
}

// --- users

Result<User> AuthStore::add_user(const NewUser& user, std::string_view password,
                                 const Actor& actor) {
    NewUser u = user;
    if (u.display_name.empty()) {
        u.display_name = u.name;
    }
    auto problems = user_problems(u);
    if (!password.empty() && password.size() < options_.min_password_length) {
        problems.push_back(
            fmt::format("password: must be at least {} characters", options_.min_password_length));
    }
    if (password.size() > kMaxPasswordLength) {
        problems.emplace_back("password: must be at most 4096 bytes");
    }
    if (!problems.empty()) {
        return Error{join(problems)};
    }
    std::optional<std::string> hash;
    if (!password.empty()) {
        // Hashed before the transaction: argon2 takes a while and needs no lock.
        hash = hash_password(password);
        if (!hash) {
            return Error{"password: cannot be hashed (out of memory)"};
        }
    }
    sqlite::Transaction tx{db_};
    if (find_user(u.name)) {
        return Error{fmt::format("name: a user named '{}' exists already", u.name)};
    }
    const std::int64_t now = to_unix_us(clock_.now());
    sqlite::Statement insert{db_,
                             "INSERT INTO auth_users (name, display_name, role, scope, "
                             "password_hash, disabled, created_at_us, updated_at_us) "
                             "VALUES (?, ?, ?, ?, ?, 0, ?, ?)"};
    insert.bind(1, u.name).bind(2, u.display_name).bind(3, role_name(u.role)).bind(4, u.scope);
    if (hash) {
        insert.bind(5, *hash);
    } else {
        insert.bind_null(5);
    }
    insert.bind(6, now).bind(7, now).run();
    User created{db_.last_insert_rowid(), u.name, u.display_name, u.role, u.scope, false, now, now};
    audit_.record(db_, {actor, "create", "user", u.name, std::nullopt, user_json(created)});
    tx.commit();
    spdlog::info("auth: {} created user {} ({} of {})", actor.name, u.name, role_name(u.role),
                 u.scope.empty() ? "every unit" : u.scope);
    return created;
}

Result<User> AuthStore::update_user(std::string_view name, const UserChange& change,
                                    const Actor& actor) {
    sqlite::Transaction tx{db_};
    const auto before = find_user(name);
    if (!before) {
        return Error{fmt::format("no user named '{}'", name)};
    }
    User after = *before;
    if (change.display_name) {
        after.display_name = change.display_name->empty() ? after.name : *change.display_name;
    }
    if (change.role) {
        after.role = *change.role;
    }
    if (change.scope) {
        after.scope = *change.scope;
    }
    if (change.disabled) {
        after.disabled = *change.disabled;
    }
    if (const auto problems =
            user_problems(NewUser{after.name, after.display_name, after.role, after.scope});
        !problems.empty()) {
        return Error{join(problems)};
    }
    if (after == *before) {
        return after;  // nothing to change, nothing to record
    }
    after.updated_at_us = to_unix_us(clock_.now());
    sqlite::Statement{db_,
                      "UPDATE auth_users SET display_name = ?, role = ?, scope = ?, disabled = ?, "
                      "updated_at_us = ? WHERE id = ?"}
        .bind(1, after.display_name)
        .bind(2, role_name(after.role))
        .bind(3, after.scope)
        .bind(4, after.disabled ? 1 : 0)
        .bind(5, after.updated_at_us)
        .bind(6, after.id)
        .run();
    audit_.record(db_, {actor, "update", "user", after.name, user_json(*before), user_json(after)});
    if (after.disabled && !before->disabled) {
        if (auto revoked = revoke_tokens_of(after.name, actor); !revoked) {
            return revoked.error();
        }
    }
    tx.commit();
    return after;
}

Status AuthStore::set_password(std::string_view name, std::string_view password,
                               const Actor& actor) {
    if (password.size() < options_.min_password_length) {
        return Error{
            fmt::format("password: must be at least {} characters", options_.min_password_length)};
    }
    if (password.size() > kMaxPasswordLength) {
        return Error{"password: must be at most 4096 bytes"};
    }
    const auto hash = hash_password(password);
    if (!hash) {
        return Error{"password: cannot be hashed (out of memory)"};
    }
    sqlite::Transaction tx{db_};
    const auto user = find_user(name);
    if (!user) {
        return Error{fmt::format("no user named '{}'", name)};
    }
    const std::int64_t now = to_unix_us(clock_.now());
    sqlite::Statement{db_,
                      "UPDATE auth_users SET password_hash = ?, updated_at_us = ? WHERE id = ?"}
        .bind(1, *hash)
        .bind(2, now)
        .bind(3, user->id)
        .run();
    // The hash is never shown, not even in the audit log: only that it changed.
    audit_.record(db_, {actor, "set-password", "user", user->name, std::nullopt, std::nullopt});
    tx.commit();
    return {};
}

std::optional<User> AuthStore::find_user(std::string_view name) {
    sqlite::Statement s{db_,
                        fmt::format("SELECT {} FROM auth_users u WHERE u.name = ?", kUserColumns)};
    s.bind(1, name);
    if (!s.step()) {
        return std::nullopt;
    }
    return user_from(s);
}

std::optional<User> AuthStore::find_user(std::int64_t id) {
    sqlite::Statement s{db_,
                        fmt::format("SELECT {} FROM auth_users u WHERE u.id = ?", kUserColumns)};
    s.bind(1, id);
    if (!s.step()) {
        return std::nullopt;
    }
    return user_from(s);
}

std::vector<User> AuthStore::list_users() {
    sqlite::Statement s{db_,
                        fmt::format("SELECT {} FROM auth_users u ORDER BY u.name", kUserColumns)};
    std::vector<User> users;
    while (s.step()) {
        users.push_back(user_from(s));
    }
    return users;
}

std::size_t AuthStore::count_users() {
    sqlite::Statement s{db_, "SELECT COUNT(*) FROM auth_users"};
    s.step();
    return static_cast<std::size_t>(s.int64(0));
}

// --- tokens

Result<IssuedToken> AuthStore::login(std::string_view name, std::string_view password,
                                     const Actor& client) {
    std::optional<User> user;
    std::optional<std::string> hash;
    {
        sqlite::Statement s{db_, fmt::format("SELECT {}, u.password_hash FROM auth_users u "
                                             "WHERE u.name = ?",
                                             kUserColumns)};
        s.bind(1, name);
        if (s.step()) {
            user = user_from(s);
            if (!s.is_null(8)) {
                hash = s.text(8);
            }
        }
    }
    if (!hash) {
        // Spend the time a real check takes, so that the answer's delay does not tell whether
        // the name exists.
        if (dummy_hash_.empty()) {
            dummy_hash_ = hash_password("not a password of anyone").value_or("");
        }
        if (!dummy_hash_.empty()) {
            const int ignored =
                crypto_pwhash_str_verify(dummy_hash_.c_str(), password.data(), password.size());
            static_cast<void>(ignored);
        }
        spdlog::warn("auth: failed login for '{}' from {}: no such user or no password", name,
                     client.address);
        return Error{std::string{kWrongLogin}};
    }
    if (password.size() > kMaxPasswordLength ||
        crypto_pwhash_str_verify(hash->c_str(), password.data(), password.size()) != 0) {
        spdlog::warn("auth: failed login for '{}' from {}: wrong password", name, client.address);
        return Error{std::string{kWrongLogin}};
    }
    if (user->disabled) {
        return Error{fmt::format("user '{}' is disabled", user->name)};
    }
    if (crypto_pwhash_str_needs_rehash(hash->c_str(), options_.pwhash_opslimit,
                                       options_.pwhash_memlimit) != 0) {
        // The cost was raised since this hash was made: upgrade it now that the password is
        // at hand. Not a change of the password, so not audited.
        if (const auto fresh = hash_password(password)) {
            sqlite::Statement{db_, "UPDATE auth_users SET password_hash = ? WHERE id = ?"}
                .bind(1, *fresh)
                .bind(2, user->id)
                .run();
        }
    }
    return issue(*user, TokenKind::session, "login", options_.session_lifetime,
                 Actor{user->name, client.address}, "login");
}

Result<IssuedToken> AuthStore::issue_api_token(std::string_view user, std::string_view label,
                                               std::optional<Duration> lifetime,
                                               const Actor& actor) {
    if (label.size() > kMaxLabelLength || has_control_char(label)) {
        return Error{"label: must be at most 200 bytes without control characters"};
    }
    if (lifetime && lifetime->count() <= 0) {
        return Error{"lifetime: must be positive"};
    }
    const auto owner = find_user(user);
    if (!owner) {
        return Error{fmt::format("no user named '{}'", user)};
    }
    if (owner->disabled) {
        return Error{fmt::format("user '{}' is disabled", owner->name)};
    }
    return issue(*owner, TokenKind::api, label, lifetime ? lifetime : options_.api_token_lifetime,
                 actor, "issue-token");
}

Result<IssuedToken> AuthStore::issue(const User& user, TokenKind kind, std::string_view label,
                                     std::optional<Duration> lifetime, const Actor& actor,
                                     std::string_view action) {
    IssuedToken issued;
    issued.token = new_token();
    TokenInfo& info = issued.info;
    info.user = user.name;
    info.kind = kind;
    info.label = std::string{label};
    info.created_at_us = to_unix_us(clock_.now());
    if (lifetime) {
        info.expires_at_us =
            info.created_at_us +
            std::chrono::duration_cast<std::chrono::microseconds>(*lifetime).count();
    }
    sqlite::Transaction tx{db_};
    sqlite::Statement insert{db_,
                             "INSERT INTO auth_tokens (user_id, token_sha256, kind, label, "
                             "created_at_us, expires_at_us) VALUES (?, ?, ?, ?, ?, ?)"};
    insert.bind(1, user.id)
        .bind(2, token_digest(issued.token))
        .bind(3, token_kind_name(kind))
        .bind(4, info.label)
        .bind(5, info.created_at_us)
        .bind(6, info.expires_at_us)
        .run();
    info.id = db_.last_insert_rowid();
    audit_.record(db_, {actor, std::string{action}, "token", std::to_string(info.id), std::nullopt,
                        token_json(info)});
    tx.commit();
    spdlog::info("auth: {} token {} issued to {} by {} from {}", token_kind_name(kind), info.id,
                 user.name, actor.name, actor.address);
    return issued;
}

Result<User> AuthStore::authenticate(std::string_view token) {
    if (!well_formed_token(token)) {
        return Error{"the bearer token is malformed (expected loa_ and 64 hex digits)"};
    }
    sqlite::Statement s{db_, fmt::format("SELECT {}, t.id, t.expires_at_us, t.revoked_at_us, "
                                         "t.last_used_at_us FROM auth_tokens t JOIN auth_users "
                                         "u ON u.id = t.user_id WHERE t.token_sha256 = ?",
                                         kUserColumns)};
    s.bind(1, token_digest(token));
    if (!s.step()) {
        return Error{"the bearer token is not known (log in again)"};
    }
    User user = user_from(s);
    const std::int64_t token_id = s.int64(8);
    const auto expires = s.optional_int64(9);
    const bool revoked = !s.is_null(10);
    const auto last_used = s.optional_int64(11);
    // Ends the read before the write below: a statement left open holds a read transaction,
    // which SQLite cannot upgrade (busy at once, no waiting) after another connection wrote.
    s.reset();
    const std::int64_t now = to_unix_us(clock_.now());
    if (revoked) {
        return Error{fmt::format("token {} was revoked (log in again)", token_id)};
    }
    if (expires && now >= *expires) {
        return Error{fmt::format("token {} expired at {} (log in again)", token_id,
                                 format_utc(from_unix_us(*expires)))};
    }
    if (user.disabled) {
        return Error{fmt::format("user '{}' is disabled", user.name)};
    }
    if (!last_used || now - *last_used >= kLastUseResolutionUs) {
        sqlite::Statement{db_, "UPDATE auth_tokens SET last_used_at_us = ? WHERE id = ?"}
            .bind(1, now)
            .bind(2, token_id)
            .run();
    }
    return user;
}

std::optional<TokenInfo> AuthStore::find_token(std::string_view token) {
    if (!well_formed_token(token)) {
        return std::nullopt;
    }
    sqlite::Statement s{db_, fmt::format("SELECT {} FROM auth_tokens t JOIN auth_users u ON u.id "
                                         "= t.user_id WHERE t.token_sha256 = ?",
                                         kTokenColumns)};
    s.bind(1, token_digest(token));
    if (!s.step()) {
        return std::nullopt;
    }
    return token_from(s);
}

std::optional<TokenInfo> AuthStore::find_token(std::int64_t id) {
    sqlite::Statement s{db_, fmt::format("SELECT {} FROM auth_tokens t JOIN auth_users u ON u.id "
                                         "= t.user_id WHERE t.id = ?",
                                         kTokenColumns)};
    s.bind(1, id);
    if (!s.step()) {
        return std::nullopt;
    }
    return token_from(s);
}

Status AuthStore::revoke_token(std::int64_t id, const Actor& actor) {
    sqlite::Transaction tx{db_};
    const auto before = find_token(id);
    if (!before) {
        return Error{fmt::format("no token with id {}", id)};
    }
    if (before->revoked_at_us) {
        return {};  // revoked already: nothing changes
    }
    TokenInfo after = *before;
    after.revoked_at_us = to_unix_us(clock_.now());
    sqlite::Statement{db_, "UPDATE auth_tokens SET revoked_at_us = ? WHERE id = ?"}
        .bind(1, *after.revoked_at_us)
        .bind(2, id)
        .run();
    audit_.record(db_, {actor, "revoke", "token", std::to_string(id), token_json(*before),
                        token_json(after)});
    tx.commit();
    return {};
}

Result<std::size_t> AuthStore::revoke_tokens_of(std::string_view user, const Actor& actor) {
    sqlite::Transaction tx{db_};
    if (!find_user(user)) {
        return Error{fmt::format("no user named '{}'", user)};
    }
    std::size_t count = 0;
    for (const auto& token : list_tokens(user)) {
        if (!token.revoked_at_us) {
            if (auto s = revoke_token(token.id, actor); !s) {
                return Error{s.message()};
            }
            ++count;
        }
    }
    tx.commit();
    return count;
}

std::vector<TokenInfo> AuthStore::list_tokens(std::string_view user) {
    sqlite::Statement s{db_, fmt::format("SELECT {} FROM auth_tokens t JOIN auth_users u ON u.id "
                                         "= t.user_id WHERE ? = '' OR u.name = ? ORDER BY t.id "
                                         "DESC",
                                         kTokenColumns)};
    s.bind(1, user).bind(2, user);
    std::vector<TokenInfo> tokens;
    while (s.step()) {
        tokens.push_back(token_from(s));
    }
    return tokens;
}

Result<std::string> AuthStore::read_password_file(const std::filesystem::path& path) {
    std::string line;
    if (path == "-") {
        if (!std::getline(std::cin, line) && line.empty()) {
            return Error{"password: nothing could be read from standard input"};
        }
    } else {
        std::ifstream in{path};
        if (!in) {
            return Error{fmt::format("password file {}: cannot be read", path.string())};
        }
        std::getline(in, line);
    }
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
    if (line.empty()) {
        return Error{fmt::format("password file {}: the first line is empty", path.string())};
    }
    return line;
}

}  // namespace loa::scheduler
