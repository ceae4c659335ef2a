#pragma once

#include "loa/cli/api_client.hpp"
#include "loa/common/clock.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

// The commands of `loa`, one function each, called by CliApp once the command line is parsed.
// Each returns the process exit code (0, or 1 after printing "loa: <why>" to err).
namespace loa::cli {

struct CommandContext {
    ApiClient& api;
    std::ostream& out;
    std::ostream& err;
    bool json = false;  // print the scheduler's JSON instead of tables
    std::string zone;   // IANA zone for times shown and typed
    TimePoint now;      // for relative times
};

struct StationAddOptions {
    std::string id;
    std::string name;
    std::string public_key;
    std::string agent_config;  // file to write the returned agent config to
};

struct ScheduleAddOptions {
    std::string asset;
    std::string programme;
    std::string at;                     // the start, or with rrule the first occurrence
    std::vector<std::string> stations;  // --stations a,b,c and --station (repeatable)
    std::vector<std::string> units;     // --unit CODE: the unit's whole subtree
    std::vector<std::string> zones;     // --zone STATION:ZONE
    std::string title;
    std::string priority;  // --class (or --priority)
    std::string policy;    // shorten | move | drop
    std::string rrule;
    std::vector<std::string> exdates;
    std::string valid_from;
    std::string valid_until;
    bool draft = false;
};

struct AsrunListOptions {
    std::string station;
    std::optional<int> limit;
};

int station_add(CommandContext& ctx, const StationAddOptions& options);
int station_list(CommandContext& ctx);
int asset_add(CommandContext& ctx, const std::vector<std::string>& files);
int asset_list(CommandContext& ctx);

struct AssetTtsOptions {
    std::string text;
    std::string voice;  // empty: the scheduler's default
    std::string name;   // empty: the scheduler names it
};

int asset_tts(CommandContext& ctx, const AssetTtsOptions& options);
int asset_show(CommandContext& ctx, const std::string& id);
// Downloads the asset's Opus file, decodes it and plays it through PortAudio on `device`.
int asset_play_local(CommandContext& ctx, const std::string& id, const std::string& device);
int schedule_add(CommandContext& ctx, const ScheduleAddOptions& options);
int schedule_list(CommandContext& ctx);
// `action` is "approve" or "retire".
int schedule_set_state(CommandContext& ctx, const std::string& id, const std::string& action);
// Exit code 0 without conflicts, 1 with some (or when the request failed).
int schedule_check(CommandContext& ctx, const std::string& station, const std::string& unit);
int schedule_readiness(CommandContext& ctx, std::optional<int> hours);

// Planning: units, station import and provisioning, programmes (planning_commands.cpp,
// station_commands.cpp).
int unit_import(CommandContext& ctx, const std::string& file, bool default_stations);
int unit_list(CommandContext& ctx, const std::string& under);
int station_import(CommandContext& ctx, const std::string& file);

struct StationProvisionOptions {
    std::vector<std::string> ids;
    bool all = false;  // every station without a key
    std::string out_dir;
    std::string scheduler_endpoint;  // empty: the scheduler's own [link] public endpoint
};

int station_provision(CommandContext& ctx, const StationProvisionOptions& options);
int programme_add(CommandContext& ctx, const std::string& title,
                  const std::vector<std::string>& assets);
int programme_list(CommandContext& ctx);

// Authentication (auth_commands.cpp). `token_file` is where login keeps the token.
struct LoginOptions {
    std::string user;
    std::string password_file;
    std::string token_file;
};

int login(CommandContext& ctx, const LoginOptions& options);
int logout(CommandContext& ctx, const std::string& token_file);

struct UserAddOptions {
    std::string name;
    std::string role;
    std::string scope;
    std::string display_name;
    std::string password_file;
};

int user_add(CommandContext& ctx, const UserAddOptions& options);
int user_list(CommandContext& ctx);
int user_disable(CommandContext& ctx, const std::string& name);
// `user` empty: the logged-in user (GET /api/v1/me).
int token_issue(CommandContext& ctx, const std::string& label, const std::string& user,
                std::optional<int> days);
int token_revoke(CommandContext& ctx, const std::string& id);

struct AuditOptions {
    std::string from;
    std::string until;
    std::string user;
    std::string kind;
    std::string object;
    std::optional<int> limit;
};

int audit_list(CommandContext& ctx, const AuditOptions& options);

// Bulletins from above (bulletin_commands.cpp).
struct BulletinSendOptions {
    std::string kind;
    std::string title;
    std::string asset;
    std::vector<std::string> units;
};

int bulletin_send(CommandContext& ctx, const BulletinSendOptions& options);
int bulletin_list(CommandContext& ctx);
int bulletin_show(CommandContext& ctx, const std::string& id);
int bulletin_inbox(CommandContext& ctx, const std::string& station, bool pending);
int bulletin_air(CommandContext& ctx, const std::string& id, const std::string& station,
                 const std::string& at);
int bulletin_decline(CommandContext& ctx, const std::string& id, const std::string& station,
                     const std::string& note);
int asrun_list(CommandContext& ctx, const AsrunListOptions& options);

// Shared by the commands (output_format.cpp).

// Prints "loa: <message>" to err; returns 1.
int fail(CommandContext& ctx, std::string_view message);
// Pretty-printed JSON, UTF-8 kept.
void print_json(CommandContext& ctx, const nlohmann::json& value);
// A field of an object; null when absent or when `object` is no object.
const nlohmann::json& field(const nlohmann::json& object, std::string_view key);
// Prints an answer that should be an array: JSON, `empty` when there is nothing, else calls
// `table` to print it. Returns the exit code (1 when the answer is not an array).
int print_list(CommandContext& ctx, const Result<ApiAnswer>& answer, std::string_view empty,
               const std::function<void(const nlohmann::json&)>& table);
// "a,b,c" of an array field's elements; "-" when empty or absent.
std::string field_list(const nlohmann::json& object, std::string_view key);
// The bytes of a file, or why they cannot be read.
Result<std::string> read_file(const std::string& path);
// A field as text: strings as they are, numbers, yes/no, "-" when absent or null.
std::string field_text(const nlohmann::json& object, std::string_view key);
// A UTC time field shown in `zone`; "-" when absent or null, the raw text when not a time.
// `milliseconds` adds the fraction (as-run times, where milliseconds matter).
std::string field_time(const nlohmann::json& object, std::string_view key, std::string_view zone,
                       bool milliseconds = false);
// "3:25.4" from milliseconds; "1:02:03.0" past an hour.
std::string duration_text(const nlohmann::json& milliseconds);
// "512 B", "48.2 kB", "3.1 MB".
std::string size_text(const nlohmann::json& bytes);
// The first 12 characters of a long id, which is enough to tell assets apart.
std::string short_id(std::string_view id);

}  // namespace loa::cli
